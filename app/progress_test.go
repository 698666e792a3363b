package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fakeClock advances only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time       { return c.t }
func (c *fakeClock) tick(d time.Duration) { c.t = c.t.Add(d) }
func newTestProgress(t *testing.T, mode string) (*progress, *fakeClock, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	p, err := newProgress(&b, mode)
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p.clock, p.last = c.now, c.now()
	return p, c, &b
}

// TestProgressPlain: a line every plainEvery and one per phase at its end,
// with the rate measured from the phase's real start (the end of the
// previous phase), so a phase whose first event is its last gets a true
// rate; a total that grows after reaching done is reported once.
func TestProgressPlain(t *testing.T) {
	p, c, b := newTestProgress(t, "plain")
	c.tick(2 * time.Second) // hashing 20 MB takes 2 s, reported in one event
	p.update("hash:a", "hashing a", "B", false, 20e6, 20e6, "", nil)
	for i := int64(1); i <= 12; i++ { // weights: 1 MB a second, 12 s
		c.tick(time.Second)
		p.update("weights", "comparing weights", "B", false, i*1e6, 12e6, "", nil)
	}
	c.tick(time.Second)
	p.update("weights", "comparing weights", "B", false, 12e6, 13e6, "", nil) // the total grows
	c.tick(time.Second)
	p.update("weights", "comparing weights", "B", false, 13e6, 13e6, "", nil)
	c.tick(time.Second)
	p.update("challenge", "behavioural test", "challenges", true, 1, 150, "mean score 0.100", nil)
	p.end()
	want := []string{
		"hashing a: 20.0 MB of 20.0 MB (100%), 10.0 MB/s, 2s",
		"comparing weights: 6.0 MB of 12.0 MB (50%), 1.0 MB/s, 6s left",
		"comparing weights: 11.0 MB of 12.0 MB (91%), 1.0 MB/s, 1s left",
		"comparing weights: 13.0 MB of 13.0 MB (100%), 0.9 MB/s, 14s",
		"behavioural test: 1 of at most 150 challenges, mean score 0.100, 1 challenges/s, 2m29s left at most",
	}
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestProgressJSON: every line is a versioned JSON object; each phase ends
// with one "done" event.
func TestProgressJSON(t *testing.T) {
	p, c, b := newTestProgress(t, "json")
	for i := int64(1); i <= 4; i++ {
		c.tick(time.Second)
		p.update("calibrate", "measuring the noise floor", "challenges", false, 8*i, 32, "", nil)
	}
	c.tick(time.Second)
	p.update("challenge", "behavioural test", "challenges", true, 1, 150, "", map[string]float64{"mean": 0.5})
	p.end()
	var evs []progressEvent
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var e progressEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if e.Format != progressFormat {
			t.Errorf("format %q", e.Format)
		}
		evs = append(evs, e)
	}
	if len(evs) != 7 {
		t.Fatalf("%d events, want 4 running + done, then running + done", len(evs))
	}
	first, done, last := evs[0], evs[4], evs[6]
	if first.State != "running" || first.ETA == nil || *first.ETA != 3 || first.Rate != 8 || first.Unit != "challenges" {
		t.Errorf("first event %+v", first)
	}
	if done.State != "done" || done.Done != 32 || done.ETA != nil {
		t.Errorf("end of calibration %+v", done)
	}
	if last.Phase != "challenge" || last.State != "done" || !last.AtMost || last.Values["mean"] != 0.5 {
		t.Errorf("last event %+v", last)
	}
}

// TestProgressBar redraws at most every barEvery and ends each phase's
// line.
func TestProgressBar(t *testing.T) {
	p, c, b := newTestProgress(t, "bar")
	for i := int64(1); i <= 10; i++ {
		c.tick(10 * time.Millisecond)
		p.update("pool", "running the reference on its challenges", "challenges", false, i, 10, "", nil)
	}
	p.end()
	out := b.String()
	if n := strings.Count(out, "\r"); n != 2 { // the first draw and the final line
		t.Errorf("%d redraws, want 2:\n%q", n, out)
	}
	if !strings.HasSuffix(out, "[========================] 10 of 10 challenges (100%), 100 challenges/s, 0s\n") {
		t.Errorf("final line %q", out)
	}
}

// TestProgressQuiet: a silent step gets a line every quietEvery.
func TestProgressQuiet(t *testing.T) {
	p, c, b := newTestProgress(t, "plain")
	for range 10 { // 50 s of silence, checked every 5 s
		c.tick(plainEvery)
		p.quietTick()
	}
	p.update("weights", "comparing weights", "B", false, 1, 2, "", nil)
	c.tick(20 * time.Second)
	p.quietTick()
	want := "still working: 30s since the last progress report\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestProgressModes(t *testing.T) {
	if _, err := newProgress(&bytes.Buffer{}, "loud"); exitStatus(err) != exitUsage {
		t.Errorf("unknown mode: %v", err)
	}
	p, err := newProgress(&bytes.Buffer{}, "auto") // not a terminal
	if err != nil || p.mode != "plain" {
		t.Errorf("auto off a terminal: %v %v", p, err)
	}
	var b bytes.Buffer
	p, _ = newProgress(&b, "none")
	p.update("weights", "comparing weights", "B", false, 1, 2, "", nil)
	p.end()
	var nilp *progress
	nilp.update("x", "x", "B", false, 1, 1, "", nil)
	nilp.end()
	if b.Len() != 0 {
		t.Errorf("none printed %q", b.String())
	}
}
