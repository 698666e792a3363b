package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stubZenity puts a zenity on PATH that logs its arguments, one call per
// line, and answers each call with the next line of answers ("exit 1"
// means the user cancelled).
func stubZenity(t *testing.T, answers ...string) (log string) {
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	var script strings.Builder
	script.WriteString("#!/bin/sh\nPATH=/usr/bin:/bin\nprintf '%s\\n' \"$*\" >> " + log + "\nn=$(wc -l < " + log + ")\ncase $n in\n")
	for i, a := range answers {
		script.WriteString("  " + string(rune('1'+i)) + ") ")
		if a == "exit 1" {
			script.WriteString("exit 1;;\n")
		} else {
			script.WriteString("echo '" + a + "';;\n")
		}
	}
	script.WriteString("esac\n")
	os.WriteFile(filepath.Join(dir, "zenity"), []byte(script.String()), 0o755)
	t.Setenv("PATH", dir)
	return log
}

// TestChooserFallbacks: with no portal on the bus, zenity answers; with
// neither, the error says what to install. It runs before the tray test
// registers a portal stand-in (files run in name order).
func TestChooserFallbacks(t *testing.T) {
	req := referenceRequest("/m/tiny.gguf", "/data/fingerprints")
	t.Run("zenity", func(t *testing.T) {
		log := stubZenity(t, "/data/fingerprints/tiny.potfp", "tonight")
		ans, err := NewChooser().ChooseFile(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		want := FileAnswer{Path: "/data/fingerprints/tiny.potfp", Choices: map[string]string{choiceWhen: WhenTonight}}
		if !reflect.DeepEqual(ans, want) {
			t.Errorf("answer %+v, want %+v", ans, want)
		}
		calls, _ := os.ReadFile(log)
		lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "--file-selection") ||
			!strings.Contains(lines[0], "--filename=/data/fingerprints/") ||
			!strings.Contains(lines[0], "--file-filter=Fingerprints and models | *.potfp *.gguf") ||
			!strings.Contains(lines[1], "--radiolist") || !strings.Contains(lines[1], "TRUE now Now FALSE tonight Tonight") {
			t.Errorf("zenity calls:\n%s", calls)
		}
	})
	t.Run("zenity cancelled", func(t *testing.T) {
		stubZenity(t, "exit 1")
		if _, err := NewChooser().ChooseFile(context.Background(), req); !errors.Is(err, ErrCancelled) {
			t.Errorf("cancel: %v", err)
		}
	})
	t.Run("neither", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := NewChooser().ChooseFile(context.Background(), req)
		if !errors.Is(err, ErrNoChooser) || !strings.Contains(err.Error(), "install xdg-desktop-portal") {
			t.Errorf("no chooser: %v", err)
		}
	})
}
