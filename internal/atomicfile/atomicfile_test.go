package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
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
