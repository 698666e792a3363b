//go:build unix

package mmap

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// Supported reports whether Map really maps files (so Advise has effect).
const Supported = true

// Map maps the whole regular file at path read-only (MAP_SHARED, so the
// pages are the page cache's) and returns the mapping and the function that
// unmaps it. The descriptor is closed before returning: the mapping keeps
// the file alive. Errors name the path.
func Map(path string) ([]byte, func([]byte) error, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return nil, nil, ErrEmpty
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, nil, ErrTooLarge
	}
	data, err := unix.Mmap(int(fd.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return data, unix.Munmap, nil
}

// Advise passes MADV_WILLNEED (read ahead) or MADV_DONTNEED (drop from this
// process; a later access reads the file again) for b, which must be a
// page-aligned part of a mapping made by Map.
func Advise(b []byte, willNeed bool) error {
	advice := unix.MADV_DONTNEED
	if willNeed {
		advice = unix.MADV_WILLNEED
	}
	return unix.Madvise(b, advice)
}
