// Package testdata locates the shared, externally made test files that live
// in ../shared/testdata beside the checkout (never copied into the repo).
//
// A missing file skips the test, unless POT_TESTDATA_REQUIRED=1 (as CI sets
// it), when it fails the test: nothing is skipped silently in CI.
package testdata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the shared testdata directory: $POT_TESTDATA if set, else
// ../shared/testdata relative to the module root.
func Dir() string {
	if d := os.Getenv("POT_TESTDATA"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, "..", "shared", "testdata")
}

// Path returns the path of the shared test file name (slash-separated,
// relative to Dir). If it does not exist the test is skipped, or failed when
// POT_TESTDATA_REQUIRED=1.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(Dir(), filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("POT_TESTDATA_REQUIRED") == "1" {
			tb.Fatalf("required test file missing: %v", err)
		}
		note("shared test data in "+Dir(), "see the README, Testing")
		tb.Logf("test file not available: %v", err)
		tb.Skipf("test file not available: %v", err)
	}
	return p
}
