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
	return f.WillNeedRange(t, 0, t.Size)
}

// DontNeed tells the kernel t's pages may be dropped from this process
// (MADV_DONTNEED) after a layer is done; the mapping is read-only and
// file-backed, so a later access just reads them again. The range is
// narrowed inward to whole pages, so pages shared with a neighbouring tensor
// are left alone. A no-op for Parse'd files and where unsupported.
func (f *File) DontNeed(t *TensorInfo) error {
	return f.DontNeedRange(t, 0, t.Size)
}

// WillNeedRange is WillNeed for the n bytes of t's data from offset off, so
// that a tensor read in parts (the output projection, one vocabulary slice
// at a time) is prefetched part by part. A range outside t is an error.
func (f *File) WillNeedRange(t *TensorInfo, off, n uint64) error {
	return f.advise(t, off, n, true)
}

// DontNeedRange is DontNeed for the n bytes of t's data from offset off, so
// that a tensor read in parts is released part by part and only the part in
// use stays resident. Pages shared with the rest of t are left alone too:
// they are dropped with the part that covers them whole, or by DontNeed.
func (f *File) DontNeedRange(t *TensorInfo, off, n uint64) error {
	return f.advise(t, off, n, false)
}

// advise applies MADV_WILLNEED (widened outward) or MADV_DONTNEED (narrowed
// inward) to the bytes [off, off+n) of t's data.
func (f *File) advise(t *TensorInfo, off, n uint64, willNeed bool) error {
	what := "DONTNEED"
	if willNeed {
		what = "WILLNEED"
	}
	buf, lo, hi, ok, inside := f.pages(t, off, n, willNeed)
	if !inside {
		return fmt.Errorf("gguf %s: tensor %q: madvise(%s) of bytes [%d, %d+%d) outside its %d", f.Path, t.Name, what, off, off, n, t.Size)
	}
	if !ok {
		return nil
	}
	if err := madvise(buf[lo:hi], willNeed); err != nil {
		return fmt.Errorf("gguf %s: tensor %q: madvise(%s): %w", f.Path, t.Name, what, err)
	}
	return nil
}

// pageRange returns the mapping holding t and the page-aligned part of it
// covering t: the smallest whole-page range containing it (outward) or the
// largest one inside it (inward).
func (f *File) pageRange(t *TensorInfo, outward bool) (buf []byte, lo, hi uint64, ok bool) {
	buf, lo, hi, ok, _ = f.pages(t, 0, t.Size, outward)
	return buf, lo, hi, ok
}

// pages is pageRange for the bytes [off, off+n) of t's data; inside is
// false if they are not all inside t (then ok is false too), and ok is
// false for an empty range. A mapping starts on a page boundary (mmap
// returns page-aligned addresses), so file offsets align the same way.
func (f *File) pages(t *TensorInfo, off, n uint64, outward bool) (buf []byte, lo, hi uint64, ok, inside bool) {
	buf, start, end, mapped, found := f.locate(t)
	if found && (off > end-start || n > end-start-off) {
		return nil, 0, 0, false, false
	}
	if !found || !mapped || n == 0 {
		return nil, 0, 0, false, true
	}
	start += off
	end = start + n
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
	return buf, lo, hi, lo < hi, true
}
