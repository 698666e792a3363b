package report

import (
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/stats"
)

// Plot geometry in SVG user units (the SVG scales to the page width).
const (
	plotW, plotH           = 720, 340
	padL, padR, padT, padB = 56, 16, 16, 44
	innerW, innerH         = plotW - padL - padR, plotH - padT - padB
	maxPlotPoints          = 2000 // thin longer transcripts for the drawing
	yTicks                 = 5
)

// plot is one level's confidence sequence drawn as SVG: the interval on the
// candidate's exceedance rate as a band, its bounds and the running mean as
// lines, the SAME tolerance ε and the faithful bound as dashed rules.
type plot struct {
	Title                 string
	ID                    string // suffix of element ids
	W, H                  int
	Band                  string // path: upper bounds forward, lower bounds back
	Upper, Lower, Mean    string // paths
	SameY, DiffY          string // y of the rules
	Same, Diff            string // labels
	Exact                 bool   // exact rule: DIFFERENT at the first exceedance, no faithful rule drawn
	X0, X1, Y0, Y1        string // plot area corners
	XTicks, YTicks        []tick
	LastX, LastY1, LastY2 string
}

type tick struct {
	Pos   string // x or y coordinate
	Label string
}

// newPlot draws level lv of the rule over the records.
func newPlot(recs []cert.Record, rule stats.Rule, lv int) *plot {
	level := rule.Levels[lv]
	n := len(recs)
	step := 1
	if n > maxPlotPoints {
		step = (n + maxPlotPoints - 1) / maxPlotPoints
	}
	xmax := float64(n)
	if xmax < 2 {
		xmax = 2
	}
	x := func(i int) float64 { return padL + innerW*float64(i)/xmax }
	y := func(v float64) float64 { return padT + innerH*(1-v) }
	var up, lo, mean, band strings.Builder
	var back []string
	for i := 0; i < n; i += step {
		if i+step >= n {
			i = n - 1
		}
		r := recs[i].Levels[lv]
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		xi := f(x(i + 1))
		seg := func(b *strings.Builder, v float64) {
			b.WriteString(cmd + xi + "," + f(y(v)) + " ")
		}
		seg(&up, r.Upper)
		seg(&lo, r.Lower)
		seg(&mean, r.Mean)
		seg(&band, r.Upper)
		back = append(back, "L"+xi+","+f(y(r.Lower))+" ")
	}
	for i := len(back) - 1; i >= 0; i-- {
		band.WriteString(back[i])
	}
	band.WriteString("Z")
	pl := &plot{
		W: plotW, H: plotH,
		Band: band.String(), Upper: strings.TrimSpace(up.String()), Lower: strings.TrimSpace(lo.String()), Mean: strings.TrimSpace(mean.String()),
		SameY: f(y(level.Epsilon)), DiffY: f(y(level.Faithful)), Same: num(level.Epsilon), Diff: num(level.Faithful),
		Exact: rule.Exact(), ID: strconv.Itoa(lv),
		X0: f(padL), X1: f(padL + innerW), Y0: f(padT), Y1: f(padT + innerH),
		LastX: f(x(n)), LastY1: f(y(recs[n-1].Levels[lv].Upper)), LastY2: f(y(recs[n-1].Levels[lv].Lower)),
	}
	for k := 0; k <= yTicks-1; k++ {
		v := float64(k) / float64(yTicks-1)
		pl.YTicks = append(pl.YTicks, tick{f(y(v)), num(v)})
	}
	for _, t := range xTicks(n) {
		pl.XTicks = append(pl.XTicks, tick{f(x(t)), strconv.Itoa(t)})
	}
	return pl
}

// xTicks returns up to ~6 round tick values in [0, n].
func xTicks(n int) []int {
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000} {
		step = s
		if n/s <= 6 {
			break
		}
	}
	var ts []int
	for t := 0; t <= n; t += step {
		ts = append(ts, t)
	}
	return ts
}

// f formats a coordinate with one decimal.
func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
