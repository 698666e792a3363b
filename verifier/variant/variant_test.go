package variant

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/synth"
)

// changed writes src with edits and returns the written file and the names
// of tensors whose data differs from src's.
func changed(t *testing.T, src string, edits ...Edit) (*gguf.File, map[string]bool) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "v.gguf")
	if err := Write(src, dst, edits...); err != nil {
		t.Fatal(err)
	}
	a, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	diff := map[string]bool{}
	for i := range a.Tensors {
		ta := &a.Tensors[i]
		tb, ok := b.Tensor(ta.Name)
		if !ok {
			t.Fatalf("tensor %s lost", ta.Name)
		}
		if tb.Type != ta.Type || !bytes.Equal(a.TensorData(ta), b.TensorData(tb)) {
			diff[ta.Name] = true
		}
	}
	return b, diff
}

func TestEdits(t *testing.T) {
	src := testdata.Path(t, "stories260K.gguf")
	for _, tc := range []struct {
		name  string
		edit  Edit
		wantN int // tensors changed; -1: at least one
		only  string
	}{
		{"noise", Noise("blk.1.attn_q.weight", 0.01, 1), 1, "blk.1.attn_q.weight"},
		{"scale", Scale("output_norm.weight", 1.02), 1, "output_norm.weight"},
		{"rename", SetString("general.name", "x"), 0, ""},
		{"reinit", Reinit(5), -1, ""},
		{"requantize", Requantize("Q8_0"), -1, ""},
	} {
		f, diff := changed(t, src, tc.edit)
		switch {
		case tc.wantN >= 0 && len(diff) != tc.wantN:
			t.Errorf("%s: %d tensors changed (%v), want %d", tc.name, len(diff), diff, tc.wantN)
		case tc.wantN < 0 && len(diff) == 0:
			t.Errorf("%s: nothing changed", tc.name)
		case tc.only != "" && !diff[tc.only]:
			t.Errorf("%s: %s unchanged", tc.name, tc.only)
		}
		if tc.name == "reinit" && (diff["output_norm.weight"] || diff["blk.0.attn_norm.weight"]) {
			t.Error("reinit changed a norm")
		}
		if tc.name == "rename" {
			if n, _ := f.String("general.name"); n != "x" {
				t.Errorf("general.name = %q", n)
			}
		}
		if tc.name == "requantize" {
			want := synth.ProfileTypes(f, "Q8_0")
			for _, ti := range f.Tensors {
				if ti.Type != want[ti.Name] {
					t.Errorf("%s: %s, want %s", ti.Name, ti.Type, want[ti.Name])
				}
			}
			if ft, _ := f.Uint("general.file_type"); ft != uint64(synth.FileTypeID("Q8_0")) {
				t.Errorf("general.file_type = %d", ft)
			}
			if ti, _ := f.Tensor("blk.0.attn_q.weight"); ti.Type != quant.Q8_0 {
				t.Errorf("attn_q is %s", ti.Type)
			}
		}
	}
	if err := Write(src, filepath.Join(t.TempDir(), "x.gguf"), Noise("no.such.tensor", 0.1, 1)); err == nil {
		t.Error("noise on a missing tensor: no error")
	}
}
