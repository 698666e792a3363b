// Package atomicfile writes files so that a reader (or a crash) sees either
// the complete old contents or the complete new ones, never a mix.
//
// The new contents go to a temporary file in the same directory, which is
// fsynced and then renamed over the target; the directory is fsynced so the
// rename itself is durable. Scope: regular files on local file systems.
// Left out: preserving the old file's owner, mode or extended attributes.
// Security: the temporary name is unpredictable (os.CreateTemp) and created
// with O_EXCL, so it cannot be pre-planted.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile calls write with a temporary file in path's directory, then
// fsyncs it, sets its mode to perm (exactly, without the umask), renames it
// to path and fsyncs the directory. On any error, including one returned by
// write, the temporary file is removed and an existing file at path is left
// untouched.
func WriteFile(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("atomicfile %s: %w", path, err)
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}
