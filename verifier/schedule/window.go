package schedule

import (
	"fmt"
	"strings"
	"time"
)

// WindowKind says when a job may run.
type WindowKind string

const (
	// Now: at once, until done.
	Now WindowKind = "now"
	// Tonight: only inside the daily window Settings.Tonight; a job
	// unfinished when the window closes pauses and continues in the next.
	Tonight WindowKind = "tonight"
	// At: from a given time on, until done.
	At WindowKind = "at"
)

// Window is when a job may run.
type Window struct {
	Kind WindowKind `json:"kind"`
	// Start is the first moment a Kind At job may run.
	Start time.Time `json:"start,omitzero"`
}

// ParseWhen reads `--when`: "now", "tonight" or a local time of day
// "HH:MM", meaning its next occurrence after now.
func ParseWhen(s string, now time.Time) (Window, error) {
	switch s {
	case "", "now":
		return Window{Kind: Now}, nil
	case "tonight":
		return Window{Kind: Tonight}, nil
	}
	m, err := parseClock(s)
	if err != nil {
		return Window{}, fmt.Errorf("schedule: --when %q: want now, tonight or HH:MM", s)
	}
	start := time.Date(now.Year(), now.Month(), now.Day(), m/60, m%60, 0, 0, now.Location())
	if !start.After(now) {
		start = start.AddDate(0, 0, 1)
	}
	return Window{Kind: At, Start: start}, nil
}

// open says whether the window admits a run at now, and if not why.
func (w Window) open(now time.Time, s Settings) (bool, string) {
	switch w.Kind {
	case Tonight:
		if s.Tonight.Contains(now) {
			return true, ""
		}
		return false, "waiting for tonight's window " + s.Tonight.String()
	case At:
		if now.Before(w.Start) {
			return false, "waiting until " + w.Start.Format("15:04 on 2 Jan")
		}
	}
	return true, ""
}

// Daily is a window of local time repeated every day, [Start, End) in
// minutes after midnight. End before Start wraps past midnight; Start ==
// End is the whole day. In JSON it is the text "HH:MM-HH:MM".
type Daily struct {
	Start, End int
}

// MarshalText writes "HH:MM-HH:MM".
func (d Daily) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%02d:%02d-%02d:%02d", d.Start/60, d.Start%60, d.End/60, d.End%60), nil
}

// UnmarshalText reads what MarshalText writes.
func (d *Daily) UnmarshalText(b []byte) error {
	v, err := ParseDaily(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DefaultTonight is 01:00–06:00: after most people stop working and before
// they start, when a laptop is usually plugged in.
var DefaultTonight = Daily{Start: 60, End: 360}

// Contains says whether t's local time of day lies in the window.
func (d Daily) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	switch {
	case d.Start == d.End:
		return true
	case d.Start < d.End:
		return d.Start <= m && m < d.End
	}
	return m >= d.Start || m < d.End
}

func (d Daily) String() string {
	return fmt.Sprintf("%02d:%02d–%02d:%02d", d.Start/60, d.Start%60, d.End/60, d.End%60)
}

// ParseDaily reads "HH:MM-HH:MM".
func ParseDaily(s string) (Daily, error) {
	a, b, ok := strings.Cut(s, "-")
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if !ok || err1 != nil || err2 != nil {
		return Daily{}, fmt.Errorf("schedule: window %q: want HH:MM-HH:MM", s)
	}
	return Daily{Start: start, End: end}, nil
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}
