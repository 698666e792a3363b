package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedIconsAreCurrent fails when resources/icons differs from what
// the generator draws: run `go generate ./resources` and commit.
func TestCommittedIconsAreCurrent(t *testing.T) {
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(states)*(len(macSizes)+1) {
		t.Fatalf("%d files, want %d", len(files), len(states)*(len(macSizes)+1))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "icons", name))
		if err != nil {
			t.Fatalf("%v (run go generate ./resources)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("icons/%s is stale: run go generate ./resources", name)
		}
	}
}

// TestIconsDiffer checks each state draws a different picture, template
// images are black with alpha only, and the glyph covers a sensible area.
func TestIconsDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, s := range states {
		img := draw(s, 36, templateInk)
		key := string(img.Pix)
		if other, dup := seen[key]; dup {
			t.Errorf("%s draws the same as %s", s, other)
		}
		seen[key] = s
		var ink int
		for i := 0; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 0 || img.Pix[i+1] != 0 || img.Pix[i+2] != 0 {
				if img.Pix[i+3] != 0 {
					t.Fatalf("%s template has a non-black pixel", s)
				}
			}
			if img.Pix[i+3] > 128 {
				ink++
			}
		}
		if frac := float64(ink) / float64(36*36); frac < 0.15 || frac > 0.6 {
			t.Errorf("%s covers %.2f of the square", s, frac)
		}
	}
	b, _ := encode(draw("idle", linuxSize, linuxInk))
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != linuxSize {
		t.Fatalf("linux icon does not decode at %d px: %v", linuxSize, err)
	}
}
