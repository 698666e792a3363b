package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// file builds raw safetensors bytes from a header and a data section.
func file(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

// withLen replaces the header length of b.
func withLen(b []byte, n uint64) []byte {
	binary.LittleEndian.PutUint64(b, n)
	return b
}

type hostileCase struct {
	name string
	data []byte
	is   error
	msg  string // the exact error message
}

func hostileCases() []hostileCase {
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	return []hostileCase{
		{"empty", nil, ErrFormat, "safetensors: truncated header length: need bytes '8' at byte 0x0"},
		{"huge header length", withLen(file(ok, 8), 1<<62), ErrUnsupported, "safetensors: header length above the 100 MB limit '4611686018427387904' at byte 0x0"},
		{"header beyond file", withLen(file(ok, 8), 1000), ErrFormat, "safetensors: header length exceeds the file '1000' at byte 0x0"},
		{"not an object", file(`[1,2]`, 0), ErrFormat, "safetensors: header does not start with '{' at byte 0x8"},
		{"bad utf8", file("{\"\xff\":1}", 0), ErrFormat, "safetensors: header is not valid UTF-8 at byte 0x8"},
		{"truncated json", file(`{"a":{"dtype":"F32"`, 0), ErrFormat, "safetensors: tensor \"a\": truncated JSON at byte 0x1b"},
		{"duplicate tensor", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), ErrFormat, "safetensors: duplicate key 'a' at byte 0x41"},
		{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`, 4), ErrFormat, "safetensors: tensor \"a\": duplicate key 'dtype' at byte 0x23"},
		{"duplicate metadata", file(`{"__metadata__":{"k":"1","k":"2"}}`, 0), ErrFormat, "safetensors: duplicate key 'k' at byte 0x24"},
		{"metadata not string", file(`{"__metadata__":{"k":1}}`, 0), ErrFormat, "safetensors: __metadata__ value is not a string 'k' at byte 0x1e"},
		{"unknown field", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), ErrFormat, "safetensors: tensor \"a\": unknown field 'x' at byte 0x40"},
		{"missing offsets", file(`{"a":{"dtype":"F32","shape":[1]}}`, 4), ErrFormat, "safetensors: tensor \"a\": missing field 'data_offsets' at byte 0x28"},
		{"unknown dtype", file(`{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}`, 4), ErrFormat, "safetensors: tensor \"a\": unknown dtype 'F99' at byte 0x1b"},
		{"unsupported dtype", file(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8), ErrUnsupported, "safetensors: tensor \"a\": dtype not supported (want F32, F16 or BF16) 'I64' at byte 0x1b"},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), ErrFormat, "safetensors: tensor \"a\": shape holds a value that is not a non-negative 64-bit integer '-1' at byte 0x27"},
		{"fractional offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}`, 4), ErrFormat, "safetensors: tensor \"a\": data_offsets holds a value that is not a non-negative 64-bit integer '4.0' at byte 0x3d"},
		{"three offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), ErrFormat, "safetensors: tensor \"a\": data_offsets has too many entries '3' at byte 0x3d"},
		{"end before begin", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4), ErrFormat, "safetensors: tensor \"a\": data_offsets end before begin '[4, 0]' at byte 0x3d"},
		{"shape size mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), ErrFormat, "safetensors: tensor \"a\": shape [3] of F32 needs 12 bytes, data_offsets give '8' at byte 0x3d"},
		{"dtype size mismatch", file(`{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}}`, 8), ErrFormat, "safetensors: tensor \"a\": shape [2] of BF16 needs 4 bytes, data_offsets give '8' at byte 0x3e"},
		{"shape overflow", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), ErrFormat, "safetensors: tensor \"a\": shape overflows '[4294967296 4294967296]' at byte 0x51"},
		{"out of range", file(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), ErrFormat, "safetensors: tensor \"a\": data_offsets [0, 16] lie outside the 8-byte data section"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), ErrFormat, "safetensors: tensor \"b\": data_offsets [4, 12] overlap the previous tensor, which ends at '8'"},
		{"gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), ErrFormat, "safetensors: tensor \"a\": data_offsets [4, 8] leave a gap after the previous tensor, which ends at '0'"},
		{"trailing bytes", file(ok, 12), ErrFormat, "safetensors: bytes after the last tensor '4' at byte 0x46"},
		{"truncated data", file(ok, 4), ErrFormat, "safetensors: tensor \"a\": data_offsets [0, 8] lie outside the 4-byte data section"},
		{"junk after header", file(ok+`x`, 8), ErrFormat, "safetensors: data after the header object at byte 0x3e"},
	}
}

func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if err.Error() != c.msg {
				t.Errorf("error\n%s\nwant\n%s", err, c.msg)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	b := file(`{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F16","shape":[0],"data_offsets":[12,12]}}  `, 12)
	copy(b[len(b)-12:], "aaaaaaaabbbb")
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" || len(f.Tensors) != 3 || f.Tensors[0].Name != "a" || f.Tensors[1].Name != "b" {
		t.Fatalf("parsed %+v", f)
	}
	tb, _ := f.Tensor("b")
	if string(f.TensorData(tb)) != "bbbb" || tb.DType != BF16 || tb.Elements() != 2 {
		t.Errorf("tensor b: %+v %q", tb, f.TensorData(tb))
	}
}

func TestOpenShared(t *testing.T) {
	for _, dir := range []string{"hf/stories260K", "hf/qwen2-tiny", "hf/qwen2-tiny-bf16"} {
		m, err := OpenModel(testdata.Path(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Names()) < 10 {
			t.Errorf("%s: %d tensors", dir, len(m.Names()))
		}
		m.Close()
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing file: %v", err)
	}
}

// TestSharded splits a shared model into two shards with an index and
// checks the tensors read back, and that an index naming a missing tensor
// or an escaping shard is refused.
func TestSharded(t *testing.T) {
	src, err := Open(filepath.Join(testdata.Path(t, "hf/stories260K"), SingleName))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	half := len(src.Tensors) / 2
	wm := map[string]string{}
	for s, ts := range [][]Tensor{src.Tensors[:half], src.Tensors[half:]} {
		name := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[s]
		writeShard(t, filepath.Join(dir, name), src, ts)
		for _, tt := range ts {
			wm[tt.Name] = name
		}
	}
	writeIndex(t, dir, wm)
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Files) != 2 || len(m.Names()) != len(src.Tensors) {
		t.Fatalf("%d files, %d tensors", len(m.Files), len(m.Names()))
	}
	for i := range src.Tensors {
		want := &src.Tensors[i]
		f, got, ok := m.Tensor(want.Name)
		if !ok || string(f.TensorData(got)) != string(src.TensorData(want)) {
			t.Fatalf("tensor %s differs", want.Name)
		}
	}
	wm["extra"] = "model-00001-of-00002.safetensors"
	writeIndex(t, dir, wm)
	if _, err := OpenModel(dir); err == nil || !strings.Contains(err.Error(), `tensor "extra": listed in the weight_map but absent from shard 'model-00001-of-00002.safetensors'`) {
		t.Errorf("missing tensor: %v", err)
	}
	delete(wm, "extra")
	wm[src.Tensors[0].Name] = "../x.safetensors"
	writeIndex(t, dir, wm)
	if _, err := OpenModel(dir); err == nil || !strings.Contains(err.Error(), "weight_map names a shard that is not a file in the same directory '../x.safetensors'") {
		t.Errorf("escaping shard: %v", err)
	}
}

func writeShard(t *testing.T, path string, src *File, ts []Tensor) {
	var ws []WriterTensor
	for i := range ts {
		ws = append(ws, WriterTensor{Name: ts[i].Name, DType: ts[i].DType, Shape: ts[i].Shape, Data: src.TensorData(&ts[i])})
	}
	var b bytes.Buffer
	if err := Write(&b, map[string]string{"format": "pt"}, ws); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeIndex(t *testing.T, dir string, wm map[string]string) {
	var b strings.Builder
	b.WriteString(`{"metadata":{"total_size":0},"weight_map":{`)
	i := 0
	for k, v := range wm {
		if i > 0 {
			b.WriteString(",")
		}
		i++
		b.WriteString(`"` + k + `":"` + v + `"`)
	}
	b.WriteString("}}")
	if err := os.WriteFile(filepath.Join(dir, IndexName), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
