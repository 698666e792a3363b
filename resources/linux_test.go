package resources

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinuxFiles checks the desktop entry with desktop-file-validate (when
// installed; required under POT_REQUIRE_SYSTEM=1) and that the MIME type
// parses and names the extension and the magic.
func TestLinuxFiles(t *testing.T) {
	entry, err := Linux.ReadFile("linux/pot-agent.desktop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(entry), "Exec=pot agent --open %f") || !strings.Contains(string(entry), "MimeType=application/x-gguf;") {
		t.Errorf("desktop entry:\n%s", entry)
	}
	var info struct {
		Types []struct {
			Type  string `xml:"type,attr"`
			Globs []struct {
				Pattern string `xml:"pattern,attr"`
			} `xml:"glob"`
			Magic struct {
				Match []struct {
					Value string `xml:"value,attr"`
				} `xml:"match"`
			} `xml:"magic"`
		} `xml:"mime-type"`
	}
	b, _ := Linux.ReadFile("linux/pot-gguf.xml")
	if err := xml.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Types) != 1 || info.Types[0].Type != "application/x-gguf" || info.Types[0].Globs[0].Pattern != "*.gguf" ||
		info.Types[0].Magic.Match[0].Value != "GGUF" {
		t.Errorf("MIME type %+v", info)
	}
	validate, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		if os.Getenv("POT_REQUIRE_SYSTEM") == "1" {
			t.Fatalf("desktop-file-validate is required (POT_REQUIRE_SYSTEM=1): %v", err)
		}
		t.Skip("desktop-file-validate not installed (apt-get install desktop-file-utils)")
	}
	p := filepath.Join(t.TempDir(), "pot-agent.desktop")
	os.WriteFile(p, entry, 0o644)
	if out, err := exec.Command(validate, p).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}
}
