//go:build unix

package gguf

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

const mmapSupported = true

// mapFile maps the whole file at path read-only (MAP_SHARED, so the pages
// are the page cache's). The descriptor is closed before returning: the
// mapping keeps the file alive.
func mapFile(path string) ([]byte, func([]byte) error, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("gguf %s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		// mmap of length 0 fails; an empty file is simply too short.
		return nil, nil, &FormatError{Path: path, Msg: "empty file", class: ErrFormat}
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, nil, &FormatError{Path: path, Msg: "file too large to map", Val: size, class: ErrUnsupported}
	}
	data, err := unix.Mmap(int(fd.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf %s: mmap: %w", path, err)
	}
	return data, unix.Munmap, nil
}

func madvise(b []byte, willNeed bool) error {
	advice := unix.MADV_DONTNEED
	if willNeed {
		advice = unix.MADV_WILLNEED
	}
	return unix.Madvise(b, advice)
}
