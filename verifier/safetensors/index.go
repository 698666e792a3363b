package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IndexName and SingleName are the file names transformers gives a sharded
// model's index and an unsharded model's weights.
const (
	IndexName  = "model.safetensors.index.json"
	SingleName = "model.safetensors"
)

// maxIndexSize bounds the index file (real ones are well under 1 MB).
const maxIndexSize = 64 << 20

// Model is the weights of one model: a single file or the shards an index
// names. Tensor names are unique across shards.
type Model struct {
	Dir   string
	Files []*File // in the order of their names
	where map[string]*File
	names []string // by shard, then by offset
}

// OpenModel opens the weights in dir: the shards listed by IndexName if it
// exists, else SingleName. Every shard must hold exactly the tensors the
// index assigns to it.
func OpenModel(dir string) (*Model, error) {
	m := &Model{Dir: dir, where: map[string]*File{}}
	idx := filepath.Join(dir, IndexName)
	b, err := readSmall(idx)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f, err := Open(filepath.Join(dir, SingleName))
		if err != nil {
			return nil, err
		}
		m.add(f)
		return m, nil
	case err != nil:
		return nil, err
	}
	weightMap, err := parseIndex(idx, b)
	if err != nil {
		return nil, err
	}
	byShard := map[string][]string{}
	for name, shard := range weightMap {
		byShard[shard] = append(byShard[shard], name)
	}
	for _, shard := range slices.Sorted(maps.Keys(byShard)) {
		f, err := Open(filepath.Join(dir, shard))
		if err != nil {
			m.Close()
			return nil, err
		}
		m.add(f)
		if err := checkShard(idx, f, byShard[shard]); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

func (m *Model) add(f *File) {
	m.Files = append(m.Files, f)
	for i := range f.Tensors {
		m.where[f.Tensors[i].Name] = f
		m.names = append(m.names, f.Tensors[i].Name)
	}
}

// checkShard checks that f holds exactly the tensors the index assigns it.
func checkShard(idx string, f *File, names []string) error {
	for _, n := range names {
		if _, ok := f.Tensor(n); !ok {
			return &FormatError{Path: idx, Tensor: n, Off: -1, Msg: "listed in the weight_map but absent from shard", Val: filepath.Base(f.Path), class: ErrFormat}
		}
	}
	if len(f.Tensors) != len(names) {
		for _, t := range f.Tensors {
			if !slices.Contains(names, t.Name) {
				return &FormatError{Path: f.Path, Tensor: t.Name, Off: -1, Msg: "not assigned to this shard by the weight_map of", Val: IndexName, class: ErrFormat}
			}
		}
	}
	return nil
}

// readSmall reads a small file, refusing one above maxIndexSize.
func readSmall(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxIndexSize {
		return nil, &FormatError{Path: path, Off: -1, Msg: "file too large", Val: st.Size(), class: ErrFormat}
	}
	return os.ReadFile(path)
}

// parseIndex reads {"metadata": {...}, "weight_map": {tensor: shard}},
// refusing duplicate tensor names and shard names that are not plain file
// names in the same directory.
func parseIndex(path string, b []byte) (map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	jerr := func(msg string, val any) error {
		return &FormatError{Path: path, Off: d.InputOffset(), Msg: msg, Val: val, class: ErrFormat}
	}
	var weightMap map[string]string
	err := object(d, jerr, func(key string) error {
		if key != "weight_map" {
			var skip json.RawMessage // metadata (total_size) and anything else
			if err := d.Decode(&skip); err != nil {
				return jerr("invalid JSON: "+err.Error(), nil)
			}
			return nil
		}
		weightMap = map[string]string{}
		return object(d, jerr, func(name string) error {
			tok, err := d.Token()
			if err != nil {
				return jsonErr(err, jerr, "")
			}
			shard, ok := tok.(string)
			if !ok || !plainName(shard) {
				e := jerr("weight_map names a shard that is not a file in the same directory", fmt.Sprint(tok)).(*FormatError)
				e.Tensor = name
				return e
			}
			weightMap[name] = shard
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if len(weightMap) == 0 {
		return nil, &FormatError{Path: path, Off: -1, Msg: "no weight_map", class: ErrFormat}
	}
	return weightMap, nil
}

func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`+"\x00") && strings.HasSuffix(s, ".safetensors")
}

// Names returns every tensor name, shard by shard, in data order.
func (m *Model) Names() []string { return m.names }

// Tensor returns the tensor called name and the file holding it.
func (m *Model) Tensor(name string) (*File, *Tensor, bool) {
	f, ok := m.where[name]
	if !ok {
		return nil, nil, false
	}
	t, _ := f.Tensor(name)
	return f, t, true
}

// Close closes every file.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.Files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
