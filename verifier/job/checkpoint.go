package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/stats"
)

// checkpointKey names the run a checkpoint belongs to.
type checkpointKey struct {
	Candidate   string `json:"candidate"` // file SHA-256
	Reference   string `json:"reference,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Preset      string `json:"preset"`
}

// checkpoint is the durable state of the behavioural layer: everything
// needed to continue exactly where a run stopped. It holds the secret seed,
// so it is written with mode 0600.
type checkpoint struct {
	Version int           `json:"version"`
	Key     checkpointKey `json:"key"`
	Seed    string        `json:"seed"`
	// SeedChosenBy is cert.SeedByVerifier or cert.SeedByRunner.
	SeedChosenBy string          `json:"seedChosenBy,omitempty"`
	Floor        score.Floor     `json:"floor"`
	Records      []cert.Record   `json:"records"`
	Sequence     json.RawMessage `json:"sequence,omitempty"`

	seq *stats.Sequence // nil until the floor is known
}

const checkpointVersion = 1

// maxCheckpoint bounds what is read back: far above nMax records.
const maxCheckpoint = 256 << 20

// loadCheckpoint returns the checkpoint at path, nil if there is none (or
// path is ""). A checkpoint of another run is an error, never overwritten.
func loadCheckpoint(path string, key checkpointKey) (*checkpoint, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCheckpoint+1))
	if err != nil {
		return nil, fmt.Errorf("job: checkpoint %s: %w", path, err)
	}
	if len(data) > maxCheckpoint {
		return nil, fmt.Errorf("job: checkpoint %s: larger than %d bytes", path, maxCheckpoint)
	}
	var ck checkpoint
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ck); err != nil {
		return nil, fmt.Errorf("job: checkpoint %s: corrupt: %w", path, err)
	}
	if ck.Version != checkpointVersion {
		return nil, fmt.Errorf("job: checkpoint %s: version %d, want %d", path, ck.Version, checkpointVersion)
	}
	if ck.Key != key {
		return nil, fmt.Errorf("job: checkpoint %s belongs to another run (%+v)", path, ck.Key)
	}
	if ck.Sequence != nil {
		ck.seq = new(stats.Sequence)
		if err := json.Unmarshal(ck.Sequence, ck.seq); err != nil {
			return nil, fmt.Errorf("job: checkpoint %s: sequence: %w", path, err)
		}
		if ck.seq.N() != len(ck.Records) {
			return nil, fmt.Errorf("job: checkpoint %s: %d records but %d scores", path, len(ck.Records), ck.seq.N())
		}
	}
	return &ck, nil
}

// save commits the checkpoint durably (write, fsync, rename, fsync dir).
func (ck *checkpoint) save(path string) error {
	if path == "" {
		return nil
	}
	ck.Version = checkpointVersion
	seq, err := json.Marshal(ck.seq)
	if err != nil {
		return err
	}
	ck.Sequence = seq
	return atomicfile.WriteFile(path, 0o600, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(ck)
	})
}
