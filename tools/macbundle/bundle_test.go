package main

import (
	"bytes"
	"debug/macho"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// darwinHello builds a tiny darwin program for arch (pure Go, like pot).
func darwinHello(t *testing.T, dir, arch string) string {
	t.Helper()
	src := filepath.Join(dir, "hello")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26.0\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644)
	out := filepath.Join(dir, "hello-"+arch)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", arch, err, b)
	}
	return out
}

// TestBuildAndCheck builds a bundle around two tiny darwin executables
// with the project's Info.plist and icons, checks it, and checks that
// Check catches a tampered page, a wrong plist and a missing slice.
func TestBuildAndCheck(t *testing.T) {
	dir := t.TempDir()
	arm, amd := darwinHello(t, dir, "arm64"), darwinHello(t, dir, "amd64")
	app := filepath.Join(dir, "PoT.app")
	if err := Build(Options{Out: app, ARM64: arm, AMD64: amd, Plist: "../../Info.plist", Icons: "../../resources/icons"}); err != nil {
		t.Fatal(err)
	}
	r, err := Check(app)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	exe := filepath.Join(app, "Contents/MacOS/pot")
	ff, err := macho.OpenFat(exe)
	if err != nil {
		t.Fatal(err)
	}
	if len(ff.Arches) != 2 {
		t.Errorf("%d slices", len(ff.Arches))
	}
	ff.Close()
	for _, f := range []string{"Contents/Resources/AppIcon.icns", "Contents/Resources/StatusTemplate.png", "Contents/Resources/StatusTemplate@2x.png", "Contents/PkgInfo"} {
		if _, err := os.Stat(filepath.Join(app, f)); err != nil {
			t.Error(err)
		}
	}

	// A changed byte in a signed page.
	b, _ := os.ReadFile(exe)
	bad := bytes.Clone(b)
	bad[len(bad)/3] ^= 1
	os.WriteFile(exe, bad, 0o755)
	if _, err := Check(app); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("tampered page: %v", err)
	}
	// A single-architecture executable.
	single, _ := os.ReadFile(arm)
	os.WriteFile(exe, single, 0o755)
	if _, err := Check(app); err == nil {
		t.Error("thin executable accepted")
	}
	// Restored, it passes again.
	os.WriteFile(exe, b, 0o755)
	if _, err := Check(app); err != nil {
		t.Errorf("restored: %v", err)
	}
}

// TestPlist checks the Info.plist validation on broken variants of the
// project's plist.
func TestPlist(t *testing.T) {
	raw, err := os.ReadFile("../../Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsePlist(raw); err != nil {
		t.Fatalf("project plist: %v", err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"no LSUIElement":    {"<key>LSUIElement</key>\n\t<true/>", "<key>LSUIElement</key>\n\t<false/>", "LSUIElement"},
		"no gguf":           {"<string>gguf</string>", "<string>bin</string>", "gguf"},
		"no identifier":     {"<key>CFBundleIdentifier</key>", "<key>XCFBundleIdentifier</key>", "CFBundleIdentifier"},
		"executable path":   {"<string>pot</string>", "<string>../pot</string>", "file name"},
		"not a plist":       {"<plist version=\"1.0\">", "<plist version=\"1.0\"><dict>", "property list"},
		"package type":      {"<string>APPL</string>", "<string>FMWK</string>", "APPL"},
		"no minimum system": {"<key>LSMinimumSystemVersion</key>", "<key>LSMinimum</key>", "LSMinimumSystemVersion"},
	} {
		s := strings.Replace(string(raw), c.old, c.new, 1)
		if s == string(raw) {
			t.Errorf("%s: the plist has no %q", name, c.old)
			continue
		}
		if _, err := parsePlist([]byte(s)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, c.want)
		}
	}
}
