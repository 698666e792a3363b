package power

import (
	"os"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// TestMain notes what the skipped tests missed (testdata.Main).
func TestMain(m *testing.M) { os.Exit(testdata.Main(m)) }
