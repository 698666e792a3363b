// Command iconsgen draws the agent's menu-bar and tray icons into
// resources/icons. It is run by `go generate ./resources` and its output is
// committed; iconsgen_test.go fails when the committed PNGs are stale.
//
// Every icon is a shield outline with a glyph inside naming the agent's
// state: a check mark (idle), three dots (working), two bars (paused) and an
// exclamation mark (attention). Shapes are described in the unit square and
// rasterised with 8×8 supersampling, so the same description gives every
// size.
//
// Outputs, per state NAME:
//   - NAMETemplate.png (18×18) and NAMETemplate@2x.png (36×36): macOS
//     template images, black with alpha only, so AppKit tints them for the
//     light and dark menu bar.
//   - NAME.png (64×64): Linux tray icons, a dark glyph with a light halo so
//     they read on light and dark panels; attention is amber.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// States lists the icon states in the order the agent defines them.
var states = []string{"idle", "working", "paused", "attention"}

// macSizes are the template image sizes: the menu bar is 22 pt high and
// Apple's guidance is an 18 pt glyph, drawn at 1× and 2×.
var macSizes = []struct {
	suffix string
	px     int
}{{"Template.png", 18}, {"Template@2x.png", 36}}

// linuxSize is large enough for HiDPI panels; StatusNotifierItem hosts scale
// the pixmap down to the panel's size.
const linuxSize = 64

func main() {
	out := flag.String("o", "icons", "output directory")
	flag.Parse()
	files, err := render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "iconsgen:", err)
		os.Exit(1)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "iconsgen:", err)
			os.Exit(1)
		}
	}
}

// render returns every icon file by name.
func render() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, s := range states {
		for _, m := range macSizes {
			b, err := encode(draw(s, m.px, templateInk))
			if err != nil {
				return nil, err
			}
			files[s+m.suffix] = b
		}
		ink := linuxInk
		if s == "attention" {
			ink = attentionInk
		}
		b, err := encode(draw(s, linuxSize, ink))
		if err != nil {
			return nil, err
		}
		files[s+".png"] = b
	}
	return files, nil
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inks: the glyph colour and the halo colour (the halo is a ring around the
// glyph, drawn under it; zero alpha means none).
type ink struct{ glyph, halo color.NRGBA }

var (
	templateInk  = ink{glyph: color.NRGBA{0, 0, 0, 255}}
	linuxInk     = ink{glyph: color.NRGBA{0x30, 0x30, 0x30, 255}, halo: color.NRGBA{0xff, 0xff, 0xff, 200}}
	attentionInk = ink{glyph: color.NRGBA{0xd9, 0x48, 0x0f, 255}, halo: color.NRGBA{0xff, 0xff, 0xff, 200}}
)

// draw rasterises the state's shape at px×px.
func draw(state string, px int, k ink) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, px, px))
	const ss = 8 // supersamples per axis
	halo := 0.0
	if k.halo.A != 0 {
		halo = 3 / float64(px) // 3 px, in unit coordinates
	}
	for y := 0; y < px; y++ {
		for x := 0; x < px; x++ {
			var g, h int
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					u := (float64(x) + (float64(sx)+0.5)/ss) / float64(px)
					v := (float64(y) + (float64(sy)+0.5)/ss) / float64(px)
					switch {
					case inside(state, u, v, 0):
						g++
					case halo > 0 && inside(state, u, v, halo):
						h++
					}
				}
			}
			img.SetNRGBA(x, y, blend(k, float64(g)/(ss*ss), float64(h)/(ss*ss)))
		}
	}
	return img
}

// blend composes glyph coverage g over halo coverage h as one NRGBA pixel.
func blend(k ink, g, h float64) color.NRGBA {
	ga := g * float64(k.glyph.A) / 255
	ha := h * float64(k.halo.A) / 255
	a := ga + ha*(1-ga)
	if a == 0 {
		return color.NRGBA{}
	}
	mix := func(c1, c2 uint8) uint8 {
		return uint8(math.Round((float64(c1)*ga + float64(c2)*ha*(1-ga)) / a))
	}
	return color.NRGBA{mix(k.glyph.R, k.halo.R), mix(k.glyph.G, k.halo.G), mix(k.glyph.B, k.halo.B), uint8(math.Round(a * 255))}
}

// inside reports whether the point (u, v) of the unit square, v downwards,
// lies within grow of the state's shape.
func inside(state string, u, v, grow float64) bool {
	if shieldRing(u, v, grow) {
		return true
	}
	switch state {
	case "idle": // a check mark
		return segment(u, v, 0.33, 0.50, 0.46, 0.63) < 0.055+grow ||
			segment(u, v, 0.46, 0.63, 0.68, 0.38) < 0.055+grow
	case "working": // three dots
		for _, cx := range []float64{0.34, 0.50, 0.66} {
			if math.Hypot(u-cx, v-0.48) < 0.06+grow {
				return true
			}
		}
	case "paused": // two bars
		return box(u, v, 0.375, 0.31, 0.455, 0.65, grow) || box(u, v, 0.545, 0.31, 0.625, 0.65, grow)
	case "attention": // an exclamation mark
		return box(u, v, 0.46, 0.27, 0.54, 0.55, grow) || math.Hypot(u-0.5, v-0.65) < 0.05+grow
	}
	return false
}

// shieldRing is the shield's outline: inside the outer shield, outside the
// inner one.
func shieldRing(u, v, grow float64) bool {
	const stroke = 0.085
	return shield(u, v, 0+grow) && !shield(u, v, -stroke-grow)
}

// shield is a shield shape grown (or shrunk, when negative) by d: a
// rectangle from y 0.06 to 0.45, x 0.14 to 0.86, closed below by half an
// ellipse reaching y 0.96.
func shield(u, v, d float64) bool {
	const top, mid, bottom, half = 0.06, 0.45, 0.96, 0.36
	dx := math.Abs(u - 0.5)
	if v < top-d || v > bottom+d {
		return false
	}
	if v <= mid {
		return dx <= half+d
	}
	// Half ellipse with semi-axes (half+d, bottom-mid+d).
	a, b := half+d, bottom-mid+d
	if a <= 0 || b <= 0 {
		return false
	}
	t := (v - mid) / b
	return dx/a*dx/a+t*t <= 1
}

// segment is the distance from (u, v) to the segment (x0,y0)–(x1,y1).
func segment(u, v, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	t := ((u-x0)*dx + (v-y0)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(u-(x0+t*dx), v-(y0+t*dy))
}

// box reports whether (u, v) lies in the rectangle grown by g.
func box(u, v, x0, y0, x1, y1, g float64) bool {
	return u >= x0-g && u <= x1+g && v >= y0-g && v <= y1+g
}
