//go:build !unix

package atomicfile

// syncDir is a no-op where directories cannot be opened for fsync
// (Windows); the rename is still atomic there.
func syncDir(dir string) error { return nil }
