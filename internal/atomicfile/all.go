package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is one file of WriteAll.
type File struct {
	Path string
	Perm os.FileMode
	Data []byte
}

// WriteAll writes files as one unit, for new files that are only
// meaningful together (a certificate and its transcript): each file's
// contents go to a temporary file beside it, all are fsynced, then they are
// renamed in order and their directories fsynced. If any step fails, every
// temporary file is removed and so is every file already renamed: on error
// none of the paths holds new contents. An existing file at a path is
// replaced, and on error removed, not restored: give WriteAll unused paths.
//
// A crash between two renames can leave the first files without the
// later ones; order files so that the last one vouches for the others (the
// certificate names its transcript's digest), and the earlier ones alone
// are harmless.
func WriteAll(files []File) error {
	return writeAll(files, os.Rename)
}

// writeAll is WriteAll with the rename step given, so tests can make it
// fail.
func writeAll(files []File, rename func(from, to string) error) (err error) {
	tmps := make([]string, 0, len(files))
	var renamed []string
	defer func() {
		if err == nil {
			return
		}
		for _, t := range tmps {
			os.Remove(t)
		}
		for _, p := range renamed {
			os.Remove(p)
		}
	}()
	for _, f := range files {
		t, err := writeTemp(f)
		if t != "" {
			tmps = append(tmps, t)
		}
		if err != nil {
			return fmt.Errorf("atomicfile %s: %w", f.Path, err)
		}
	}
	for i, f := range files {
		if err := rename(tmps[i], f.Path); err != nil {
			return fmt.Errorf("atomicfile %s: %w", f.Path, err)
		}
		renamed = append(renamed, f.Path)
	}
	synced := map[string]bool{}
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		if synced[dir] {
			continue
		}
		synced[dir] = true
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("atomicfile %s: %w", f.Path, err)
		}
	}
	return nil
}

// writeTemp writes f's contents to a new temporary file beside f.Path,
// fsynced and with mode f.Perm, and returns its name (also on error, when
// the file was created).
func writeTemp(f File) (string, error) {
	dir, base := filepath.Split(f.Path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(f.Data)
	err = errors.Join(err, tmp.Chmod(f.Perm))
	if err == nil {
		err = tmp.Sync()
	}
	return tmp.Name(), errors.Join(err, tmp.Close())
}
