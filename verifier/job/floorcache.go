package job

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/score"
)

// A measured noise floor depends only on the reference, the faithful
// copy's tensor types, the calibration challenges (preset and seed) and the
// engine that scored them; never on the candidate. So a floor measured
// once for (reference, candidate types, preset, backend, verifier) is kept
// in Config.FloorCache and reused by later runs instead of being measured
// again, the most expensive part of a first verification.
//
// Why reuse stays sound: every statement of a verdict is either about the
// calibration sample alone (how often a faithful copy exceeds a threshold,
// bounded over the draw of the calibration challenges) or about the
// candidate relative to that fixed sample (bounded over the draw of this
// run's test challenges, which come from this run's fresh secret seed).
// The first holds whoever chose the candidate, provided the calibration
// challenges were drawn by the verifier; the second holds for any fixed
// sample, even one the candidate's author has seen in an earlier
// certificate. So only floors measured from a seed the verifier drew are
// cached (a runner's --seed could have been chosen to make a lax floor),
// and the certificate names the calibration seed (cert.Floor.Seed) so the
// floor can be re-measured by anyone.

// floorKey is everything a measured floor depends on. Two runs with equal
// keys would measure floors from the same distribution.
type floorKey struct {
	Format    string            `json:"format"`
	Verifier  string            `json:"verifier"`  // VerifierVersion: engine numerics, challenge derivation code
	Reference string            `json:"reference"` // the reference's file SHA-256
	Types     map[string]string `json:"types"`     // the faithful copy's tensor types (the candidate's)
	Dither    bool              `json:"dither"`    // a quantized reference, dithered
	Preset    string            `json:"preset"`
	M         int               `json:"m"`
	K         int               `json:"k"`
	TopK      int               `json:"topK"`
	// Derivation is the run's challenge derivation without its seed
	// (templates, vocabulary, lengths).
	Derivation json.RawMessage `json:"derivation"`
	Backend    string          `json:"backend"`
}

const floorCacheFormat = "pot-floor/1"

// floorEntry is one cached floor.
type floorEntry struct {
	Key      floorKey    `json:"key"`
	Seed     string      `json:"seed"` // hex: the seed whose calibration challenges were measured
	Measured time.Time   `json:"measured"`
	Floor    score.Floor `json:"floor"`
}

// maxFloorEntry bounds what is read back (a floor of the audit preset is
// a few KB).
const maxFloorEntry = 4 << 20

func (k floorKey) file(dir string) (string, error) {
	b, err := json.Marshal(k)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), nil
}

// loadFloor returns the cached floor for k, or nil if there is none. A
// damaged entry is reported, not used; the caller measures instead.
func loadFloor(dir string, k floorKey) (*floorEntry, error) {
	path, err := k.file(dir)
	if err != nil {
		return nil, err
	}
	data, err := atomicfile.ReadFile(path, maxFloorEntry)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("noise floor cache %s: %w", path, err)
	}
	var e floorEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("noise floor cache %s: %w", path, err)
	}
	want, _ := json.Marshal(k)
	got, _ := json.Marshal(e.Key)
	if !bytes.Equal(want, got) {
		return nil, fmt.Errorf("noise floor cache %s: the entry is for another run (file renamed?)", path)
	}
	if seed, err := hex.DecodeString(e.Seed); err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("noise floor cache %s: bad calibration seed", path)
	}
	if len(e.Floor.Samples) != k.M {
		return nil, fmt.Errorf("noise floor cache %s: %d calibration distances, the preset measures %d", path, len(e.Floor.Samples), k.M)
	}
	f, err := score.NewFloor(e.Floor.Samples, e.Floor.Source) // range-checks and sorts
	if err != nil {
		return nil, fmt.Errorf("noise floor cache %s: %w", path, err)
	}
	e.Floor = f
	return &e, nil
}

// storeFloor writes e atomically (mode 0600: it is the user's own state).
func storeFloor(dir string, e *floorEntry) error {
	path, err := e.Key.file(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("noise floor cache: %w", err)
	}
	return atomicfile.WriteFile(path, 0o600, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(e)
	})
}

// reusedSource is the floor's source as a reusing run's certificate states it.
func reusedSource(e *floorEntry) string {
	return fmt.Sprintf("%s; measured %s by an earlier run from calibration seed %s (drawn by the verifier) and reused",
		e.Floor.Source, e.Measured.UTC().Format(time.RFC3339), e.Seed)
}

// calibrationSeedOK reports whether a run's floor may be cached: only one
// measured from a seed the verifier drew.
func calibrationSeedOK(chosenBy string) bool { return chosenBy == cert.SeedByVerifier }
