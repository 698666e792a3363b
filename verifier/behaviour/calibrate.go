package behaviour

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/variant"
)

// Calibration describes one noise-floor measurement: the distances between
// the reference and a faithful copy of it on M calibration probes.
type Calibration struct {
	// Reference is the reference model file; Types the per-tensor types
	// of the faithful copy (the candidate's).
	Reference string
	Types     map[string]quant.Type
	// Dither, if non-zero, makes the copy a dithered one (variant.Dither
	// with this seed): for a quantized reference, whose own rounding
	// error a plain requantization would not repeat.
	Dither uint64
	// Probes returns calibration probes from…from+n−1 (indices relative
	// to the calibration set); M of them are measured. It is called from
	// another goroutine, while the copy measures the previous batch.
	Probes func(from uint64, n int) ([]Probe, error)
	M      int
	// Have are distances already measured (a resumed run): measuring
	// continues after them. Commit, if set, is called with all distances
	// so far after each batch, so a checkpoint can keep them.
	Have   []float64
	Commit func([]float64) error
	// Pause, if set, is asked after each committed batch; when it says
	// true Calibrate stops with ErrPaused (Have and Commit resume it).
	Pause func() bool

	Engine engine.Options
	// Backend, if set, makes the copy's engine backend (else Engine's).
	Backend  func() (engine.Backend, error)
	TempDir  string
	Batch    int
	Progress func(done, total int)
	// Written, if set, is told how long writing the faithful copy took.
	Written func(time.Duration)
}

// Calibrate measures the floor c describes and returns its M distances.
// The copy is written to a temporary file in TempDir and removed after.
func Calibrate(c Calibration) ([]float64, error) {
	ds := append([]float64(nil), c.Have...)
	if len(ds) >= c.M {
		return ds[:c.M], nil
	}
	// The reference scores the first batch while the copy is written.
	batch := max(c.Batch, 1)
	var pf Prefetch
	defer pf.Stop()
	fetch := func(from int) {
		if from < c.M {
			pf.Start(func() ([]Probe, error) { return c.Probes(uint64(from), min(batch, c.M-from)) })
		}
	}
	fetch(len(ds))
	dir := c.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "pot-calibration-*.gguf")
	if err != nil {
		return nil, fmt.Errorf("calibration copy: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	edit := variant.Retype(c.Types)
	if c.Dither != 0 {
		edit = variant.Dither(c.Types, c.Dither)
	}
	t0 := time.Now()
	if err := variant.Write(c.Reference, path, edit); err != nil {
		return nil, fmt.Errorf("calibration copy: %w", err)
	}
	if c.Written != nil {
		c.Written(time.Since(t0))
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opt := c.Engine
	if c.Backend != nil {
		be, err := c.Backend()
		if err != nil {
			return nil, fmt.Errorf("calibration: engine backend: %w", err)
		}
		if cl, ok := be.(io.Closer); ok {
			defer cl.Close()
		}
		opt.Backend = be
	}
	sess, err := engine.Load(f, opt)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	for len(ds) < c.M {
		ps, err := pf.Wait()
		if err != nil {
			return nil, err
		}
		fetch(len(ds) + len(ps)) // the reference's next batch, beside the copy's
		ms, err := Measure(sess, ps)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			ds = append(ds, m.Distance)
		}
		if c.Commit != nil {
			if err := c.Commit(ds); err != nil {
				return nil, err
			}
		}
		if c.Progress != nil {
			c.Progress(len(ds), c.M)
		}
		if len(ds) < c.M && c.Pause != nil && c.Pause() {
			return nil, ErrPaused
		}
	}
	return ds, nil
}

// ErrPaused is returned by a calibration that Calibration.Pause stopped.
var ErrPaused = errors.New("behaviour: calibration paused")

// TypeMap returns f's tensor types by name.
func TypeMap(f *gguf.File) map[string]quant.Type {
	m := make(map[string]quant.Type, len(f.Tensors))
	for _, t := range f.Tensors {
		m[t.Name] = t.Type
	}
	return m
}
