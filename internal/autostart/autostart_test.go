package autostart

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/internal/testdata"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var entry = Entry{Program: "/Applications/PoT.app/Contents/MacOS/pot", Args: []string{"run-queue", "--watch"},
	LogPath: "/Users/ada/Library/Logs/PoT & co/runner.log"}

var odd = Entry{Program: `/home/ada/my bin/pot$1"x"`, Args: []string{"run-queue", "--watch", "100%"}}

func golden(t *testing.T, name string, got []byte) string {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
	return path
}

// validate runs a real validator on a file (.ci/run installs
// libplist-utils and desktop-file-utils; see testdata.Missing).
func validate(t *testing.T, path string, tool string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		testdata.Missing(t, tool, "apt-get install libplist-utils desktop-file-utils")
	}
	if out, err := exec.Command(tool, append(args, path)...).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 && tool == "desktop-file-validate" {
		t.Errorf("%s %s: %v\n%s", tool, path, err, out)
	}
}

func TestLaunchAgent(t *testing.T) {
	p := golden(t, "launchagent.plist", LaunchAgent(entry))
	validate(t, p, "plistutil", "-f", "bin", "-o", filepath.Join(t.TempDir(), "out.bplist"), "-i")
	// A parse back through plistutil as XML shows the escaped path intact.
	if _, err := exec.LookPath("plistutil"); err == nil {
		out, err := exec.Command("plistutil", "-f", "xml", "-i", p).Output()
		if err != nil || !bytes.Contains(out, []byte("PoT &amp; co")) {
			t.Errorf("plistutil round trip: %v\n%s", err, out)
		}
	}
}

func TestDesktopEntry(t *testing.T) {
	golden(t, "pot-runner.desktop", DesktopEntry(entry))
	p := golden(t, "odd.desktop", DesktopEntry(odd))
	validate(t, p, "desktop-file-validate")
	validate(t, filepath.Join("testdata", "pot-runner.desktop"), "desktop-file-validate")
}

func TestEnableDisable(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		home := t.TempDir()
		e := appdirs.Env{GOOS: goos, Home: home}
		if _, err := Enable(e, Entry{Program: "pot"}); err == nil {
			t.Error("a relative program was accepted")
		}
		p, err := Enable(e, entry)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(home, ".config", "autostart", "pot-runner.desktop")
		if goos == "darwin" {
			want = filepath.Join(home, "Library", "LaunchAgents", Label+".plist")
		}
		if p != want {
			t.Errorf("%s: %s, want %s", goos, p, want)
		}
		data, _ := os.ReadFile(p)
		if !bytes.Equal(data, File(e, entry)) {
			t.Errorf("%s: file content", goos)
		}
		if on, _, err := Enabled(e); !on || err != nil {
			t.Errorf("%s: not enabled (%v)", goos, err)
		}
		for range 2 { // disabling twice is fine
			if _, err := Disable(e); err != nil {
				t.Error(err)
			}
		}
		if on, _, _ := Enabled(e); on {
			t.Errorf("%s: still enabled", goos)
		}
	}
	if p, _ := Path(appdirs.Env{GOOS: "linux", Home: "/h", XDGConfigHome: "/x"}); p != "/x/autostart/pot-runner.desktop" {
		t.Errorf("XDG_CONFIG_HOME: %s", p)
	}
	if _, err := Path(appdirs.Env{GOOS: "darwin"}); err == nil {
		t.Error("no home accepted")
	}
}
