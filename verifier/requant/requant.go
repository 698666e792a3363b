// Package requant converts model files to other element types the way
// llama-quantize does: the per-tensor type rules of each llama.cpp file type
// (mix.go), and a streaming, parallel row converter that writes a requantized
// copy of a GGUF file atomically. Rows are converted by package quant, whose
// quantizers are bit-exact with llama-quantize; the output never depends on
// the number of threads.
package requant

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// ChunkRows is the chunk size Tensor uses: the unit of parallel work.
const ChunkRows = 64

// Source fills x (n·cols floats, n ≤ the chunk size) with rows r0…r0+n−1
// of chunk c (r0 = c·chunk).
type Source func(c, r0 int64, x []float32) error

// Rows writes a tensor of rows×cols elements to w as type to, in chunks of
// `chunk` rows, in order: chunks are filled by src and quantized on `threads`
// workers (0: one per CPU), a bounded window of chunks ahead of the one
// being written. If ordered, src runs on the calling goroutine in chunk
// order (for sources with state, such as one random stream); otherwise it
// runs on the workers. Memory stays O(threads·chunk·cols).
func Rows(w io.Writer, to quant.Type, rows, cols, chunk int64, threads int, ordered bool, src Source) error {
	rowBytes, err := quant.RowSize(to, cols)
	if err != nil {
		return err
	}
	threads = Workers(threads)
	nChunks := (rows + chunk - 1) / chunk
	type result struct {
		buf []byte
		err error
	}
	pool := sync.Pool{New: func() any { return make([]float32, chunk*cols) }}
	quantize := func(c int64, x []float32) result {
		n := min(chunk, rows-c*chunk)
		buf := make([]byte, n*rowBytes)
		for i := range n {
			if err := quant.Quantize(to, x[i*cols:(i+1)*cols], buf[i*rowBytes:(i+1)*rowBytes]); err != nil {
				return result{err: err}
			}
		}
		return result{buf: buf}
	}
	fill := func(c int64) ([]float32, error) {
		n := min(chunk, rows-c*chunk)
		x := pool.Get().([]float32)[:n*cols]
		return x, src(c, c*chunk, x)
	}
	window := int64(2 * threads)
	slots := make([]chan result, nChunks)
	sem := make(chan struct{}, threads)
	var wg sync.WaitGroup
	start := func(c int64) {
		slots[c] = make(chan result, 1)
		var x []float32
		if ordered {
			var err error
			if x, err = fill(c); err != nil {
				slots[c] <- result{err: err}
				return
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !ordered {
				var err error
				if x, err = fill(c); err != nil {
					slots[c] <- result{err: err}
					return
				}
			}
			r := quantize(c, x)
			pool.Put(x[:cap(x)])
			slots[c] <- r
		}()
	}
	var werr error
	next := int64(0)
	for c := int64(0); c < nChunks && werr == nil; c++ {
		for ; werr == nil && next < nChunks && next < c+window; next++ {
			start(next)
		}
		res := <-slots[c]
		slots[c] = nil
		if werr = res.err; werr == nil {
			_, werr = w.Write(res.buf)
		}
	}
	wg.Wait()
	return werr
}

// Workers returns n, or one per CPU if n ≤ 0.
func Workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// Tensor streams tensor t of f converted to type to, each row dequantized,
// passed to edit (if not nil; called in row order on the calling goroutine,
// so it may hold state) and quantized on `threads` workers.
func Tensor(w io.Writer, f *gguf.File, t *gguf.TensorInfo, to quant.Type, threads int, edit func(row []float32)) error {
	if len(t.Dims) == 0 {
		return fmt.Errorf("tensor %s has no dimensions", t.Name)
	}
	cols := int64(t.Dims[0])
	in, err := quant.RowSize(t.Type, cols)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", t.Name, err)
	}
	data := f.TensorData(t)
	rows := int64(len(data)) / in
	err = Rows(w, to, rows, cols, ChunkRows, threads, edit != nil, func(_, r0 int64, x []float32) error {
		for i := int64(0); i < int64(len(x))/cols; i++ {
			row := x[i*cols : (i+1)*cols]
			if err := quant.Dequantize(t.Type, data[(r0+i)*in:(r0+i+1)*in], row); err != nil {
				return err
			}
			if edit != nil {
				edit(row)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tensor %s: %w", t.Name, err)
	}
	return nil
}

// Retype points the tensors of ts (f.WriterTensors(), possibly edited)
// named in types at a conversion to that type; tensors not named, or
// already of that type, keep their data. Conversion happens when ts is
// written.
func Retype(f *gguf.File, ts []gguf.WriterTensor, types map[string]quant.Type, threads int) error {
	if len(ts) != len(f.Tensors) {
		return fmt.Errorf("requant: %d writer tensors for %d tensors", len(ts), len(f.Tensors))
	}
	for i := range ts {
		to, ok := types[ts[i].Name]
		if !ok || to == ts[i].Type {
			continue
		}
		if !quant.Supported(to) {
			return fmt.Errorf("requant: tensor %s: cannot quantize to %s", ts[i].Name, to)
		}
		t := &f.Tensors[i]
		ts[i].Type = to
		ts[i].Data = func(w io.Writer) error { return Tensor(w, f, t, to, threads, nil) }
	}
	return nil
}

// Options tune File.
type Options struct {
	Threads  int      // workers; 0: one per CPU
	FileType FileType // if set, general.file_type is set to it
}

// File writes to dst (atomically) a copy of the model at src with the
// tensors named in types converted to those types, streaming: memory stays
// bounded whatever the model size.
func File(src, dst string, types map[string]quant.Type, opt Options) error {
	f, err := gguf.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	kv := slices.Clone(f.KV)
	ts := f.WriterTensors()
	if err := Retype(f, ts, types, opt.Threads); err != nil {
		return fmt.Errorf("requantize %s: %w", src, err)
	}
	if opt.FileType != "" {
		kv = SetFileType(kv, opt.FileType)
	}
	return gguf.WriteFile(dst, 0o644, kv, ts, f.Alignment)
}
