package testdata

import (
	"strings"
	"testing"
)

// TestMissing: a missing tool skips the test (outside CI), and the summary
// line names it and how to get it.
func TestMissing(t *testing.T) {
	t.Setenv("POT_REQUIRE_SYSTEM", "")
	var skipped bool
	t.Run("needs-a-tool", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Tool(t, "apt-get install no-such-tool", "no-such-tool-1", "no-such-tool-2")
		t.Error("Tool returned for a missing tool")
	})
	if !skipped {
		t.Error("the test was not skipped")
	}
	s := summary()
	if !strings.HasPrefix(s, "NOTE: tests were skipped") || !strings.Contains(s, "no-such-tool-1 or no-such-tool-2 (apt-get install no-such-tool)") {
		t.Errorf("summary %q", s)
	}
	if p := Tool(t, "", "no-such-tool", "go", "sh"); p == "" {
		t.Error("found no tool on PATH")
	}
}
