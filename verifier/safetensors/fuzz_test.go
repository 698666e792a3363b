package safetensors

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// FuzzParse checks that Parse never panics, that every failure is a
// *FormatError of one class, and that an accepted file's tensors tile its
// data section. Seeds: the headers (and first tensor bytes) of the shared
// Hugging Face files, and the hostile corpus.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"hf/stories260K", "hf/qwen2-tiny-bf16"} {
		b, err := os.ReadFile(filepath.Join(testdata.Path(f, dir), SingleName))
		if err != nil {
			f.Fatal(err)
		}
		g, err := Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), int(g.DataOffset)+4096)])
	}
	for _, c := range hostileCases() {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T", err, err)
			}
			if errors.Is(err, ErrFormat) == errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v has no single class", err)
			}
			return
		}
		var at uint64
		for i := range g.Tensors {
			tt := &g.Tensors[i]
			if tt.Begin != at || uint64(len(g.TensorData(tt))) != tt.Elements()*tt.DType.Size() {
				t.Fatalf("tensor %q: [%d, %d) after %d", tt.Name, tt.Begin, tt.End, at)
			}
			at = tt.End
		}
		if int64(at)+g.DataOffset != int64(len(data)) {
			t.Fatalf("tensors end at %d, file %d", at, len(data))
		}
	})
}
