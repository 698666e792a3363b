package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/proof-of-training/pot/internal/tmpfs"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.bin")
	for _, content := range []string{"first", "second, longer"} {
		err := WriteFile(p, 0o640, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640", st.Mode().Perm())
		}
	}
	if names := dirEntries(t, dir); len(names) != 1 || names[0] != "out.bin" {
		t.Errorf("directory holds %v", names)
	}
}

func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "partial new contents")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("old file now %q", got)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("temporary left behind: %v", names)
	}

	// A directory that does not exist: an error, nothing created.
	if err := WriteFile(filepath.Join(dir, "no", "x"), 0o644, func(io.Writer) error { return nil }); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	// A target that is a directory: the rename fails, the temp is removed.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "f"), nil, 0o644)
	if err := WriteFile(sub, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err == nil {
		t.Error("rename over a non-empty directory succeeded")
	}
	if names := dirEntries(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v, want model.gguf and sub", names)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.json")
	if err := WriteAll([]File{{a, 0o644, []byte("first")}, {b, 0o600, []byte("second")}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path, data string
		perm       os.FileMode
	}{{a, "first", 0o644}, {b, "second", 0o600}} {
		got, err := os.ReadFile(f.path)
		st, _ := os.Stat(f.path)
		if err != nil || string(got) != f.data || st.Mode().Perm() != f.perm {
			t.Errorf("%s: %q %v", f.path, got, err)
		}
	}
	if names := dirEntries(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v", names)
	}
}

// TestWriteAllBothOrNeither: whichever step fails, no file and no
// temporary file is left.
func TestWriteAllBothOrNeither(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name   string
		rename func(n *int) func(from, to string) error
	}{
		{"first rename fails", func(n *int) func(string, string) error {
			return func(string, string) error { return boom }
		}},
		{"second rename fails", func(n *int) func(string, string) error {
			return func(from, to string) error {
				if *n++; *n == 2 {
					return boom
				}
				return os.Rename(from, to)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			n := 0
			files := []File{{filepath.Join(dir, "t.jsonl"), 0o644, []byte("transcript")}, {filepath.Join(dir, "c.json"), 0o644, []byte("cert")}}
			if err := writeAll(files, c.rename(&n)); !errors.Is(err, boom) {
				t.Fatalf("error %v, want boom", err)
			}
			if names := dirEntries(t, dir); len(names) != 0 {
				t.Errorf("directory holds %v, want nothing", names)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		files := []File{{filepath.Join(dir, "t.jsonl"), 0o644, nil}, {filepath.Join(dir, "no", "c.json"), 0o644, nil}}
		if err := WriteAll(files); err == nil {
			t.Fatal("no error")
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Errorf("directory holds %v, want nothing", names)
		}
	})
}

// TestWriteAllDiskFull fills a small tmpfs: the second file does not fit,
// and neither file is left.
func TestWriteAllDiskFull(t *testing.T) {
	dir := tmpfs.Mount(t, 256<<10)
	files := []File{{filepath.Join(dir, "t.jsonl"), 0o644, []byte("transcript")}, {filepath.Join(dir, "c.json"), 0o644, make([]byte, 1<<20)}}
	err := WriteAll(files)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v, want ENOSPC", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("directory holds %v, want nothing", names)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if _, err := ReadFile(p, 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	os.WriteFile(p, []byte("0123456789"), 0o600)
	if b, err := ReadFile(p, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("10 bytes, limit 10: %q %v", b, err)
	}
	if _, err := ReadFile(p, 9); err == nil || !strings.Contains(err.Error(), "larger than 9 bytes") {
		t.Errorf("10 bytes, limit 9: %v", err)
	}
}
