package job

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
)

// Spec is one verification as a queue stores it: only data (file paths,
// names, numbers), serialisable as it is, nothing bound to a process. Env
// supplies the rest when it runs.
type Spec struct {
	Candidate   string `json:"candidate"`
	Reference   string `json:"reference,omitempty"`   // a reference model file
	Fingerprint string `json:"fingerprint,omitempty"` // or a fingerprint
	Preset      string `json:"preset"`                // a PresetNames name
	// Seed is a seed chosen by the runner (64 hex digits), recorded as
	// such; empty draws a fresh secret one (kept in the checkpoint).
	Seed      string `json:"seed,omitempty"`
	Threads   int    `json:"threads,omitempty"`
	Streaming string `json:"streaming,omitempty"` // auto (default), on, off
	Behaviour bool   `json:"behaviour,omitempty"`
	// Trust are the fingerprint creators trusted for this run (with the
	// keys as PKIX bytes, so the spec stands alone).
	Trust fingerprint.Trust `json:"trust"`
}

// Env is what a run gets from where it runs: the engine backend, where its
// checkpoint lives, time, randomness and the hooks the scheduler drives.
// The zero Env runs on the CPU with no checkpoint, real time and
// crypto/rand.
type Env struct {
	Backend  func() (engine.Backend, error) // nil: the CPU
	Store    Store                          // nil: not resumable
	Clock    func() time.Time
	Rand     io.Reader
	TempDir  string
	Progress func(Event)
	// Pause is asked between challenges and calibration batches (see
	// Config.Pause): how a scheduler pauses, throttles (by sleeping in
	// it) or stops a run at a committed point.
	Pause func() bool
	// Throttle is called inside long batches (see Config.Throttle).
	Throttle func()
}

// Config resolves the spec for a run in env.
func (s Spec) Config(env Env) (Config, error) {
	p, err := LookupPreset(s.Preset)
	if err != nil {
		return Config{}, err
	}
	streaming := engine.StreamAuto
	if s.Streaming != "" {
		if streaming, err = engine.ParseStreaming(s.Streaming); err != nil {
			return Config{}, err
		}
	}
	cfg := Config{Candidate: s.Candidate, Reference: s.Reference, Fingerprint: s.Fingerprint, Trust: s.Trust,
		Preset: p, Threads: s.Threads, Streaming: streaming, Behaviour: s.Behaviour,
		Backend: env.Backend, Store: env.Store, Clock: env.Clock, Rand: env.Rand, TempDir: env.TempDir,
		Progress: env.Progress, Pause: env.Pause, Throttle: env.Throttle}
	if s.Seed != "" {
		if cfg.Seed, err = hex.DecodeString(s.Seed); err != nil || len(cfg.Seed) != 32 {
			return Config{}, fmt.Errorf("job: seed %q: want 64 hex digits", s.Seed)
		}
	}
	return cfg, nil
}

// Execute runs spec in env.
func Execute(spec Spec, env Env) (*Result, error) {
	cfg, err := spec.Config(env)
	if err != nil {
		return nil, err
	}
	return Run(cfg)
}

// Store keeps a run's checkpoint. Load returns nil and no error when there
// is none yet; Save must be durable when it returns (the run commits every
// challenge through it before the next starts).
type Store interface {
	Load() ([]byte, error)
	Save([]byte) error
}

// FileStore is a checkpoint in a file, written atomically (temp, fsync,
// rename, directory fsync) with mode 0600: it holds the secret seed.
type FileStore string

// Load implements Store.
func (f FileStore) Load() ([]byte, error) {
	data, err := atomicfile.ReadFile(string(f), maxCheckpoint)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// Save implements Store.
func (f FileStore) Save(data []byte) error {
	return atomicfile.WriteFile(string(f), 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// store returns the run's checkpoint store (nil: none) and a name for
// messages.
func (c *Config) store() (Store, string) {
	switch {
	case c.Store != nil:
		return c.Store, "checkpoint"
	case c.Checkpoint != "":
		return FileStore(c.Checkpoint), "checkpoint " + c.Checkpoint
	}
	return nil, ""
}
