// Package tmpfs gives tests a small file system of their own, to see what
// code does when the disk fills up. Mounting needs root on Linux (CI runs
// as root); elsewhere the test is skipped, or failed when
// POT_REQUIRE_SYSTEM=1, as for every system facility a test needs.
package tmpfs

import (
	"os"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// Mount mounts a tmpfs of size bytes on a new directory, unmounted when
// the test ends, and returns the directory.
func Mount(tb testing.TB, size int) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := mount(dir, size); err != nil {
		testdata.Missing(tb, "a tmpfs mount ("+err.Error()+")", "run the tests as root on Linux")
	}
	tb.Cleanup(func() {
		if err := unmount(dir); err != nil {
			tb.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file into dir until the file system is full, then frees
// about free bytes: room for small files but not for big ones.
func Fill(tb testing.TB, dir string, free int) {
	tb.Helper()
	f, err := os.CreateTemp(dir, "filler-")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	// Give back enough whole pages for the free bytes asked for.
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Truncate(max(0, st.Size()-int64(free))); err != nil {
		tb.Fatal(err)
	}
}
