package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckBadge(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	b := Badge{Verdict: "SAME", SHA256: "aa", Size: 100, ModTime: t0}
	errRead := errors.New("read error")
	tests := []struct {
		name      string
		size      int64
		mtime     time.Time
		sum       string
		sumErr    error
		wantOK    bool
		wantTime  time.Time
		wantHash  bool // whether hashing was needed
		wantError bool
	}{
		{"unchanged", 100, t0, "", nil, true, t0, false, false},
		{"size changed", 101, t0, "", nil, false, time.Time{}, false, false},
		{"size changed, new time", 99, t1, "", nil, false, time.Time{}, false, false},
		{"touched, same bytes", 100, t1, "aa", nil, true, t1, true, false},
		{"rewritten, same size", 100, t1, "bb", nil, false, time.Time{}, true, false},
		{"unreadable", 100, t1, "", errRead, false, t0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hashed := false
			kept, ok, err := CheckBadge(b, tt.size, tt.mtime, func() (string, error) { hashed = true; return tt.sum, tt.sumErr })
			if ok != tt.wantOK || hashed != tt.wantHash || (err != nil) != tt.wantError || !kept.ModTime.Equal(tt.wantTime) {
				t.Errorf("ok %v hashed %v err %v time %v; want %v %v %v %v", ok, hashed, err, kept.ModTime, tt.wantOK, tt.wantHash, tt.wantError, tt.wantTime)
			}
		})
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	s, err := LoadSettings(path)
	if err != nil || s.RunOnBattery || len(s.Badges) != 0 {
		t.Fatalf("missing file: %+v, %v", s, err)
	}
	s.RunOnBattery, s.Folders = true, []string{"/models"}
	s.Badges = map[string]Badge{"/m.gguf": {Verdict: "SAME", Size: 3}}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings(path)
	if err != nil || !got.RunOnBattery || got.Folders[0] != "/models" || got.Badges["/m.gguf"].Verdict != "SAME" {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	os.WriteFile(path, []byte("{broken"), 0o600)
	if _, err := LoadSettings(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken file: %v, want an error naming %s", err, path)
	}
}

func TestLabelJobs(t *testing.T) {
	dir := t.TempDir()
	blob := filepath.Join(dir, "sha256-abc")
	os.WriteFile(blob, []byte("GGUF"), 0o644)
	link := filepath.Join(dir, "link.gguf")
	os.Symlink(blob, link)
	jobs := []Job{{Candidate: blob}, {Candidate: link}, {Candidate: filepath.Join(dir, "other.gguf")}}
	labelJobs(jobs, []LocalModel{{Name: "llama3.2:1b", Source: "Ollama", File: blob}})
	got := []string{jobs[0].Name(), jobs[1].Name(), jobs[2].Name()}
	want := []string{"llama3.2:1b (Ollama)", "llama3.2:1b (Ollama)", "other.gguf"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("job %d named %q, want %q", i, got[i], want[i])
		}
	}
}
