package gguf

import (
	"fmt"
	"os"
)

// WillNeed asks the kernel to read t's pages ahead (MADV_WILLNEED), so a
// layer can be prefetched while the previous one computes. The range is
// widened outward to whole pages. It is a no-op for Parse'd files and where
// madvise is unsupported.
func (f *File) WillNeed(t *TensorInfo) error {
	buf, lo, hi, ok := f.pageRange(t, true)
	if !ok {
		return nil
	}
	if err := madvise(buf[lo:hi], true); err != nil {
		return fmt.Errorf("gguf %s: tensor %q: madvise(WILLNEED): %w", f.Path, t.Name, err)
	}
	return nil
}

// DontNeed tells the kernel t's pages may be dropped from this process
// (MADV_DONTNEED) after a layer is done; the mapping is read-only and
// file-backed, so a later access just reads them again. The range is
// narrowed inward to whole pages, so pages shared with a neighbouring tensor
// are left alone. A no-op for Parse'd files and where unsupported.
func (f *File) DontNeed(t *TensorInfo) error {
	buf, lo, hi, ok := f.pageRange(t, false)
	if !ok {
		return nil
	}
	if err := madvise(buf[lo:hi], false); err != nil {
		return fmt.Errorf("gguf %s: tensor %q: madvise(DONTNEED): %w", f.Path, t.Name, err)
	}
	return nil
}

// pageRange returns the mapping holding t and the page-aligned part of it
// covering t: the smallest whole-page range containing it (outward) or the
// largest one inside it (inward). A mapping starts on a page boundary (mmap
// returns page-aligned addresses), so file offsets align the same way.
func (f *File) pageRange(t *TensorInfo, outward bool) (buf []byte, lo, hi uint64, ok bool) {
	buf, start, end, mapped, ok := f.locate(t)
	if !ok || !mapped {
		return nil, 0, 0, false
	}
	page := uint64(os.Getpagesize())
	if outward {
		lo = start / page * page
		hi = min((end+page-1)/page*page, uint64(len(buf)))
	} else {
		lo = (start + page - 1) / page * page
		hi = end / page * page
		// The file's last partial page belongs to no one else.
		if end == uint64(len(buf)) {
			hi = end
		}
	}
	return buf, lo, hi, lo < hi
}
