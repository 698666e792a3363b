package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/proof-of-training/pot/verifier/job"
)

// Progress output.
//
// Long phases (hashing, comparing weights, calibrating, challenges,
// fingerprinting) report how far they are on stderr, in one of four forms
// chosen by --progress:
//
//	bar    one line redrawn in place (the default on a terminal)
//	plain  a line every few seconds and one when a phase ends (the default
//	       elsewhere: logs stay short and a long run never looks hung)
//	json   one JSON object per line (format pot.progress/v1), for the agent
//	       and for scripts
//	none   nothing
//
// All four show the same numbers, computed once here: done/total, the rate
// since the phase began and the time left at that rate. The bar is drawn
// by hand rather than with a library (github.com/schollz/progressbar/v3
// was considered): the three textual forms must agree on rate and ETA, a
// library would compute its own for the bar only, and the drawing is a
// dozen lines; no new module is needed.

// progressFormat names the JSON-lines progress format; a change that old
// readers would misread gets a new version.
const progressFormat = "pot.progress/v1"

// progressModes are the values of --progress.
var progressModes = []string{"auto", "bar", "plain", "json", "none"}

// progressFlag adds --progress to fs.
func progressFlag(fs *flag.FlagSet) *string {
	return fs.String("progress", "auto", "progress on stderr: "+strings.Join(progressModes, ", ")+
		" (auto: bar on a terminal, else plain)")
}

// plainEvery is how often plain mode prints a line during a phase: often
// enough that a log shows a run is alive, rarely enough to stay readable.
const plainEvery = 5 * time.Second

// quietEvery: in plain mode, a step that reports nothing for this long
// (requantizing a reference, loading a model) gets a line saying the run
// is alive.
const quietEvery = 30 * time.Second

// barEvery caps bar redraws (and JSON events) at ten a second.
const barEvery = 100 * time.Millisecond

// progress reports phases to w. It is safe for concurrent use.
type progress struct {
	mu    sync.Mutex // guards everything below
	w     io.Writer
	mode  string // bar, plain, json or none
	clock func() time.Time
	last  time.Time // time of the latest event: the start of the next phase
	quiet time.Time // time of the latest "still working" line
	cur   *phase
}

// phase is one long step: hashing a file, comparing weights, ….
type phase struct {
	key, title string
	unit       string // "B" for bytes, else the name of what is counted
	upTo       bool   // total is a maximum (challenges stop when decided)
	start      time.Time
	shown      time.Time // last line drawn or printed
	at         time.Time // last event
	done       int64
	total      int64
	extra      string // running state shown after the numbers
	fields     map[string]float64
}

// newProgress returns a reporter for mode ("auto" chooses bar on a
// terminal, plain elsewhere); an unknown mode is a usage error.
func newProgress(w io.Writer, mode string) (*progress, error) {
	switch mode {
	case "auto":
		mode = "plain"
		if isTerminal(w) {
			mode = "bar"
		}
	case "bar", "plain", "json", "none":
	default:
		return nil, usageErrorf("--progress %q: want one of %s", mode, strings.Join(progressModes, ", "))
	}
	p := &progress{w: w, mode: mode, clock: time.Now}
	p.last = p.clock()
	return p, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update reports that the phase key (shown as title) has done of total
// units. A new key ends the previous phase. Extra is running state to show
// (the confidence interval of the challenges), fields its numbers for JSON.
func (p *progress) update(key, title, unit string, upTo bool, done, total int64, extra string, fields map[string]float64) {
	if p == nil || p.mode == "none" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	if p.cur == nil || p.cur.key != key || done < p.cur.done { // going back: the same step again (a second file of the same name)
		p.endLocked()
		// A phase's first event comes after its first chunk of work: it
		// began when the previous phase ended (or the reporter was made).
		p.cur = &phase{key: key, title: title, unit: unit, upTo: upTo, start: p.last}
	}
	ph := p.cur
	ph.done, ph.total, ph.extra, ph.fields, ph.at = done, total, extra, fields, now
	p.last = now
	switch p.mode {
	case "bar":
		if now.Sub(ph.shown) >= barEvery {
			ph.shown = now
			fmt.Fprintf(p.w, "\r\033[K%s", ph.line(now, true))
		}
	case "plain":
		if ph.shown.IsZero() {
			ph.shown = now // the first line after plainEvery, not at once
		} else if now.Sub(ph.shown) >= plainEvery {
			ph.shown = now
			fmt.Fprintln(p.w, ph.line(now, false))
		}
	case "json":
		if ph.shown.IsZero() || now.Sub(ph.shown) >= barEvery {
			ph.shown = now
			p.jsonLocked(ph, "running", now)
		}
	}
}

// keepAlive makes plain mode print a line whenever nothing was reported
// for quietEvery, until the returned function is called.
func (p *progress) keepAlive() (stop func()) {
	if p == nil || p.mode != "plain" {
		return func() {}
	}
	t := time.NewTicker(plainEvery)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				p.quietTick()
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// quietTick prints the "still working" line if it is due.
func (p *progress) quietTick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	since := p.last
	if p.quiet.After(since) {
		since = p.quiet
	}
	if now.Sub(since) < quietEvery {
		return
	}
	p.quiet = now
	fmt.Fprintf(p.w, "still working: %s since the last progress report\n", clock(now.Sub(p.last).Seconds()))
}

// end ends the current phase, if any; call it before printing results.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLocked()
}

func (p *progress) endLocked() {
	ph := p.cur
	if ph == nil {
		return
	}
	p.cur = nil
	switch p.mode {
	case "bar":
		fmt.Fprintf(p.w, "\r\033[K%s\n", ph.line(ph.at, true))
	case "plain":
		fmt.Fprintln(p.w, ph.line(ph.at, false))
	case "json":
		p.jsonLocked(ph, "done", ph.at)
	}
}

// progressEvent is one line of --progress json.
type progressEvent struct {
	Format  string             `json:"format"`
	Phase   string             `json:"phase"` // stable key: hash:FILE, weights, calibrate, challenge, pool
	Title   string             `json:"title"` // the words shown to people
	State   string             `json:"state"` // running or done
	Done    int64              `json:"done"`
	Total   int64              `json:"total"`
	Unit    string             `json:"unit"`             // bytes, challenges, profiles
	AtMost  bool               `json:"at_most,omitzero"` // total is a maximum: the phase may end sooner
	Elapsed float64            `json:"elapsed_seconds"`
	Rate    float64            `json:"rate_per_second"`
	ETA     *float64           `json:"eta_seconds,omitempty"` // absent when unknown
	Values  map[string]float64 `json:"values,omitempty"`      // e.g. the running mean and interval
}

func (p *progress) jsonLocked(ph *phase, state string, now time.Time) {
	el, rate, eta := ph.rates(now)
	unit := ph.unit
	if unit == "B" {
		unit = "bytes"
	}
	ev := progressEvent{Format: progressFormat, Phase: ph.key, Title: ph.title, State: state, Done: ph.done,
		Total: ph.total, Unit: unit, AtMost: ph.upTo, Elapsed: round3(el), Rate: round3(rate), Values: ph.fields}
	if eta >= 0 && state == "running" {
		e := round3(eta)
		ev.ETA = &e
	}
	b, err := json.Marshal(ev)
	if err == nil {
		p.w.Write(append(b, '\n'))
	}
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// rates returns the seconds elapsed, the rate (units a second) and the
// seconds left at that rate (-1 when unknown).
func (ph *phase) rates(now time.Time) (elapsed, rate, eta float64) {
	elapsed = now.Sub(ph.start).Seconds()
	eta = -1
	if elapsed > 0 {
		rate = float64(ph.done) / elapsed
	}
	if rate > 0 && ph.total >= ph.done {
		eta = float64(ph.total-ph.done) / rate
	}
	return elapsed, rate, eta
}

// line is the phase as one line of text: with a bar, or in words.
func (ph *phase) line(now time.Time, bar bool) string {
	el, rate, eta := ph.rates(now)
	var b strings.Builder
	b.WriteString(ph.title)
	b.WriteString(": ")
	if bar && ph.total > 0 {
		const width = 24
		n := int(min(1, float64(ph.done)/float64(ph.total)) * width)
		b.WriteString("[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] ")
	}
	of := "of"
	if ph.upTo {
		of = "of at most"
	}
	if ph.unit == "B" {
		fmt.Fprintf(&b, "%s %s %s", sizeMB(ph.done), of, sizeMB(ph.total))
	} else {
		fmt.Fprintf(&b, "%d %s %d %s", ph.done, of, ph.total, ph.unit)
	}
	if ph.total > 0 && !ph.upTo {
		fmt.Fprintf(&b, " (%d%%)", 100*ph.done/max(ph.total, 1))
	}
	if ph.extra != "" {
		b.WriteString(", " + ph.extra)
	}
	switch {
	case el < 0.05:
	case ph.unit == "B":
		fmt.Fprintf(&b, ", %s/s", sizeMB(int64(rate)))
	default:
		fmt.Fprintf(&b, ", %.3g %s/s", rate, ph.unit)
	}
	if ph.done < ph.total && eta >= 0 {
		left := "left"
		if ph.upTo {
			left = "left at most"
		}
		fmt.Fprintf(&b, ", %s %s", clock(eta), left)
	} else {
		fmt.Fprintf(&b, ", %s", clock(el))
	}
	return b.String()
}

// sizeMB prints a byte count in MB with one decimal (in GB from 10 GB).
func sizeMB(n int64) string {
	if n >= 10e9 {
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// clock prints seconds as 42s, 3m05s or 2h07m.
func clock(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// jobProgress reports the job's events as p's phases (nil when p is).
// Fingerprinting calibrates one profile at a time, verifying one
// challenge at a time.
func jobProgress(p *progress, fingerprinting bool) func(job.Event) {
	if p == nil {
		return nil
	}
	return func(e job.Event) {
		switch e.Stage {
		case "hash":
			p.update("hash:"+e.File, "hashing "+e.File, "B", false, e.Done, e.Total, "", nil)
		case "weights":
			p.update("weights", "comparing weights", "B", false, e.Done, e.Total, "", nil)
		case "pool":
			p.update("pool", "running the reference on its challenges", "challenges", false, e.Done, e.Total, "", nil)
		case "calibration-probes":
			p.update("calibration-probes", "running the reference on calibration challenges", "challenges", false, e.Done, e.Total, "", nil)
		case "calibrate":
			if fingerprinting {
				p.update("calibrate", "measuring noise floors", "challenges", false, e.Done, e.Total, "", nil)
			} else {
				p.update("calibrate", "measuring the noise floor", "challenges", false, e.Done, e.Total, "", nil)
			}
		case "challenge":
			var detail string
			var nums map[string]float64
			if len(e.Levels) == 2 {
				t, r := e.Levels[0], e.Levels[1]
				detail = fmt.Sprintf("tail [%.3f, %.3f], rank [%.3f, %.3f]", t.Lower, t.Upper, r.Lower, r.Upper)
				nums = map[string]float64{"tail_lower": t.Lower, "tail_upper": t.Upper, "rank_lower": r.Lower, "rank_upper": r.Upper}
			} else if len(e.Levels) == 1 {
				t := e.Levels[0]
				detail = fmt.Sprintf("differences on [%.3f, %.3f] of inputs", t.Lower, t.Upper)
				nums = map[string]float64{"tail_lower": t.Lower, "tail_upper": t.Upper}
			}
			p.update("challenge", "behavioural test", "challenges", true, e.Done, e.Total, detail, nums)
		default:
			p.update(e.Stage, e.Stage, "steps", false, e.Done, e.Total, "", nil)
		}
	}
}
