package atomicfile

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads the file at path whole if it holds at most limit bytes:
// the counterpart of WriteFile for the small state files (checkpoints,
// settings, manifests, certificates) that a hostile or damaged disk could
// make huge. A missing file gives an error matching fs.ErrNotExist; a
// larger one an error saying so. Errors do not repeat path unless the
// operating system's do.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
