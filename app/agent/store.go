package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/proof-of-training/pot/internal/atomicfile"
)

// Settings is the agent's persisted state: the user's choices and what it
// remembers about models and jobs. It lives in one JSON file in the data
// directory (StateFile), written atomically.
type Settings struct {
	RunOnBattery bool     `json:"runOnBattery"`
	UserPaused   bool     `json:"userPaused"`
	Folders      []string `json:"folders,omitempty"` // model folders the user added
	// Seen lists jobs whose failure or DIFFERENT verdict the user has
	// looked at; Notified the jobs whose pause was announced.
	Seen     []string `json:"seen,omitempty"`
	Notified []string `json:"notified,omitempty"`
	// Badges maps a model file (symlinks resolved) to its last verdict.
	Badges map[string]Badge `json:"badges,omitempty"`
}

// StateFile is the settings file's name in the data directory.
const StateFile = "agent.json"

// maxStateFile caps the settings read: thousands of badges fit in 1 MiB.
const maxStateFile = 1 << 20

// LoadSettings reads path; a missing file gives the defaults.
func LoadSettings(path string) (Settings, error) {
	var s Settings
	b, err := atomicfile.ReadFile(path, maxStateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("agent settings %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("agent settings %s: not valid JSON (move it aside to start afresh): %v", path, err)
	}
	return s, nil
}

// Save writes s to path atomically.
func (s *Settings) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Badge is a model file's last verdict and the file as it was verified.
type Badge struct {
	Verdict     string    `json:"verdict"`
	Certificate string    `json:"certificate"`
	SHA256      string    `json:"sha256"` // the certificate's subject digest
	Size        int64     `json:"size"`
	ModTime     time.Time `json:"modTime"`
	// Withdrawn is set once the file changed: the model shows as changed
	// until it is verified again. The entry stays, so the certificate
	// that made it is not taken for the changed file's.
	Withdrawn bool `json:"withdrawn,omitempty"`
}

// CheckBadge decides whether badge b still holds for a file now of size
// and mtime, cheapest test first: a different size withdraws it; the same
// size and modification time keep it; the same size with a new time asks
// hash for the file's SHA-256 and keeps the badge only if it matches (then
// with the new time, so the file is not hashed again). It returns the badge
// to store, or ok false when the badge is withdrawn.
func CheckBadge(b Badge, size int64, mtime time.Time, hash func() (string, error)) (kept Badge, ok bool, err error) {
	if size != b.Size {
		return Badge{}, false, nil
	}
	if mtime.Equal(b.ModTime) {
		return b, true, nil
	}
	sum, err := hash()
	if err != nil {
		return b, false, err
	}
	if sum != b.SHA256 {
		return Badge{}, false, nil
	}
	b.ModTime = mtime
	return b, true, nil
}

// fileSHA256 hashes a file, hex-encoded.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
