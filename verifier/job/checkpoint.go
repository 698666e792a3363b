package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/stats"
)

// checkpointKey names the run a checkpoint belongs to, by content: the
// digests of the candidate, the reference model (or the model a fingerprint
// describes) and the fingerprint, and the preset. Paths do not matter, so a
// run resumes from a relative path, a moved file or another mount.
type checkpointKey struct {
	Candidate   string `json:"candidate"`             // file SHA-256
	Reference   string `json:"reference"`             // reference file SHA-256
	Fingerprint string `json:"fingerprint,omitempty"` // fingerprint SHA-256
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
	SeedChosenBy string    `json:"seedChosenBy"`
	Started      time.Time `json:"started"` // when the first process started the run
	// Calibration holds the calibration distances measured so far, until
	// the floor is complete.
	Calibration []float64       `json:"calibration,omitempty"`
	Floor       *score.Floor    `json:"floor,omitempty"`
	Records     []cert.Record   `json:"records"`
	Test        json.RawMessage `json:"test,omitempty"`

	test  *stats.Test // nil until the floor is known
	store Store       // where it is saved (nil: nowhere)
	name  string      // for messages
}

const checkpointVersion = 2

// maxCheckpoint bounds what is read back: far above nMax records.
const maxCheckpoint = 256 << 20

// loadCheckpoint returns the checkpoint in st, nil if there is none (or st
// is nil). A checkpoint of another run is an error, never overwritten.
func loadCheckpoint(st Store, name string, key checkpointKey) (*checkpoint, error) {
	if st == nil {
		return nil, nil
	}
	data, err := st.Load()
	if err != nil {
		return nil, fmt.Errorf("job: %s: %w", name, err)
	}
	if data == nil {
		return nil, nil
	}
	var ck checkpoint
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ck); err != nil {
		return nil, fmt.Errorf("job: %s: corrupt: %w", name, err)
	}
	if ck.Version != checkpointVersion {
		return nil, fmt.Errorf("job: %s: version %d, want %d", name, ck.Version, checkpointVersion)
	}
	if ck.Key != key {
		return nil, fmt.Errorf("job: %s belongs to another run: %s", name, ck.Key.differs(key))
	}
	if ck.Test != nil {
		if ck.Floor == nil {
			return nil, fmt.Errorf("job: %s: test state without a floor", name)
		}
		ck.test = new(stats.Test)
		if err := json.Unmarshal(ck.Test, ck.test); err != nil {
			return nil, fmt.Errorf("job: %s: test: %w", name, err)
		}
		if ck.test.N() != len(ck.Records) {
			return nil, fmt.Errorf("job: %s: %d records but %d ranks", name, len(ck.Records), ck.test.N())
		}
	}
	ck.store, ck.name = st, name
	return &ck, nil
}

// differs says in words how k differs from the run's own key.
func (k checkpointKey) differs(want checkpointKey) string {
	switch {
	case k.Candidate != want.Candidate:
		return "it was made for another candidate file"
	case k.Reference != want.Reference || k.Fingerprint != want.Fingerprint:
		return "it was made against another reference"
	}
	return fmt.Sprintf("it was made in mode %q, this run is %q", k.Preset, want.Preset)
}

// save commits the checkpoint durably through its store (none: a no-op).
func (ck *checkpoint) save() error {
	if ck.store == nil {
		return nil
	}
	ck.Version = checkpointVersion
	ck.Test = nil
	if ck.test != nil {
		b, err := json.Marshal(ck.test)
		if err != nil {
			return err
		}
		ck.Test = b
	}
	data, err := json.Marshal(ck)
	if err != nil {
		return err
	}
	if err := ck.store.Save(append(data, '\n')); err != nil {
		return fmt.Errorf("job: %s: %w", ck.name, err)
	}
	return nil
}
