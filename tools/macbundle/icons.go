package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// The icon is a check mark in a ring, black on transparent: a macOS
// "template" image, which the menu bar tints for light and dark mode. The
// app icon puts the same glyph on a white rounded square.

// appIconSizes are the AppIcon_<n>.png sizes, and icnsTypes the .icns
// entries each fills (Apple's OSType codes for PNG payloads).
var (
	appIconSizes = []int{16, 32, 64, 128, 256, 512, 1024}
	icnsTypes    = []struct {
		code string
		size int
	}{{"icp4", 16}, {"icp5", 32}, {"ic11", 32}, {"icp6", 64}, {"ic12", 64}, {"ic07", 128},
		{"ic08", 256}, {"ic13", 256}, {"ic09", 512}, {"ic14", 512}, {"ic10", 1024}}
)

// statusIcons are the menu-bar template images (18 pt, @1x and @2x).
var statusIcons = []struct {
	name string
	size int
}{{"StatusTemplate.png", 18}, {"StatusTemplate@2x.png", 36}}

// glyph returns the coverage (0…1) of the check-in-a-ring at (x, y) in
// the unit square.
func glyph(x, y float64) float64 {
	const w = 0.09 // stroke width
	r := math.Hypot(x-0.5, y-0.5)
	ring := math.Abs(r-0.40) < w/2
	d := min(segDist(x, y, 0.30, 0.52, 0.45, 0.67), segDist(x, y, 0.45, 0.67, 0.71, 0.36))
	if ring || d < w/2 {
		return 1
	}
	return 0
}

// segDist is the distance from (x, y) to the segment (ax, ay)–(bx, by).
func segDist(x, y, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := max(0, min(1, ((x-ax)*dx+(y-ay)*dy)/(dx*dx+dy*dy)))
	return math.Hypot(x-ax-t*dx, y-ay-t*dy)
}

// draw renders the glyph at n×n pixels with 4×4 supersampling; with
// background, inside a white rounded square.
func draw(n int, background bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	const ss = 4
	for py := range n {
		for px := range n {
			var ink, bg float64
			for sy := range ss {
				for sx := range ss {
					x, y := (float64(px)+(float64(sx)+0.5)/ss)/float64(n), (float64(py)+(float64(sy)+0.5)/ss)/float64(n)
					if background {
						x, y = (x-0.2)/0.6, (y-0.2)/0.6 // the glyph inside the square, with a margin
						if roundedSquare((float64(px)+(float64(sx)+0.5)/ss)/float64(n), (float64(py)+(float64(sy)+0.5)/ss)/float64(n)) {
							bg++
						}
					}
					ink += glyph(x, y)
				}
			}
			ink, bg = ink/(ss*ss), bg/(ss*ss)
			if background {
				// black ink over white, within the square's coverage
				v := uint8(math.Round(255 * (1 - ink)))
				img.SetNRGBA(px, py, color.NRGBA{v, v, v, uint8(math.Round(255 * bg))})
			} else {
				img.SetNRGBA(px, py, color.NRGBA{0, 0, 0, uint8(math.Round(255 * ink))})
			}
		}
	}
	return img
}

// roundedSquare reports whether (x, y) lies in the app icon's rounded
// square (Apple's grid: 10% margin, 22% corner radius).
func roundedSquare(x, y float64) bool {
	const lo, hi, rad = 0.1, 0.9, 0.176
	cx, cy := max(lo+rad, min(hi-rad, x)), max(lo+rad, min(hi-rad, y))
	return x >= lo && x <= hi && y >= lo && y <= hi && math.Hypot(x-cx, y-cy) <= rad
}

// WriteIcons draws AppIcon_<n>.png and the status-bar templates into dir.
func WriteIcons(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, img image.Image) error {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		return writeAtomic(filepath.Join(dir, name), b.Bytes())
	}
	for _, n := range appIconSizes {
		if err := write(fmt.Sprintf("AppIcon_%d.png", n), draw(n, true)); err != nil {
			return err
		}
	}
	for _, s := range statusIcons {
		if err := write(s.name, draw(s.size, false)); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes b to path through a temporary file and a rename.
// (pot's internal/atomicfile is not importable from this module.)
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// makeIcns packs the AppIcon PNGs of dir into an .icns file: "icns", the
// total length, then per entry its OSType, length and PNG bytes (all
// big-endian).
func makeIcns(dir string) ([]byte, error) {
	var body bytes.Buffer
	for _, t := range icnsTypes {
		p, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("AppIcon_%d.png", t.size)))
		if err != nil {
			return nil, err
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(p))
		if err != nil || cfg.Width != t.size || cfg.Height != t.size {
			return nil, fmt.Errorf("AppIcon_%d.png: not a %d×%d PNG", t.size, t.size, t.size)
		}
		body.WriteString(t.code)
		binary.Write(&body, binary.BigEndian, uint32(8+len(p)))
		body.Write(p)
	}
	out := append([]byte("icns"), binary.BigEndian.AppendUint32(nil, uint32(8+body.Len()))...)
	return append(out, body.Bytes()...), nil
}

// installIcons writes <iconFile>.icns and copies the status-bar templates
// into res.
func installIcons(dir, res, iconFile string) error {
	icns, err := makeIcns(dir)
	if err != nil {
		return err
	}
	if filepath.Ext(iconFile) == "" {
		iconFile += ".icns"
	}
	if err := os.WriteFile(filepath.Join(res, iconFile), icns, 0o644); err != nil {
		return err
	}
	for _, s := range statusIcons {
		if err := copyFile(filepath.Join(res, s.name), filepath.Join(dir, s.name), 0o644); err != nil {
			return err
		}
	}
	return nil
}
