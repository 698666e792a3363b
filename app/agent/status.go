package agent

import (
	"fmt"
	"math"
	"strings"
)

// Icon is the tray icon's state; its String is the icon's file name in
// resources/icons.
type Icon int

// The icon states.
const (
	IconIdle      Icon = iota // nothing running
	IconWorking               // a verification runs; the title shows its progress
	IconPaused                // work waits for power, heat or the user
	IconAttention             // a job failed or a model proved DIFFERENT
)

func (i Icon) String() string {
	switch i {
	case IconWorking:
		return "working"
	case IconPaused:
		return "paused"
	case IconAttention:
		return "attention"
	}
	return "idle"
}

// Status is what the icon shows: its state, a short title beside it (macOS
// menu bar; Linux panels that show SNI titles) and a tooltip.
type Status struct {
	Icon    Icon
	Title   string // "62%" while working, "" otherwise
	Tooltip string // one line per fact, the first naming the state
}

// needsAttention reports whether a job's outcome calls for the user: a
// failure or a DIFFERENT verdict.
func needsAttention(j Job) bool {
	return j.State == Failed || (j.State == Done && j.Verdict == "DIFFERENT")
}

// StatusOf decides the icon from the queue. Attention outranks work, work
// outranks pauses, and a job the user has looked at (seen) no longer asks
// for attention. A job waiting for its window (tonight) leaves the icon idle.
func StatusOf(jobs []Job, userPaused bool, seen map[string]bool) Status {
	var lines []string
	var running *Job
	var attention, pausedReasons []string
	scheduled := 0
	for i := range jobs {
		j := &jobs[i]
		switch {
		case needsAttention(*j) && !seen[j.ID]:
			if j.State == Failed {
				attention = append(attention, j.Name()+": verification failed")
			} else {
				attention = append(attention, j.Name()+": DIFFERENT from its reference")
			}
		case j.State == Running && running == nil:
			running = j
		case j.State == Paused || (j.State == Waiting && j.Wait != WaitWindow && j.Wait != ""):
			pausedReasons = append(pausedReasons, j.Name()+": "+reasonText(*j))
		case j.State == Queued || j.State == Waiting:
			scheduled++
		}
	}
	var s Status
	if running != nil {
		pct := percent(running.Progress)
		s.Title = pct
		lines = append(lines, fmt.Sprintf("Verifying %s: %s", running.Name(), pct))
	}
	switch {
	case len(attention) > 0:
		s.Icon = IconAttention
		lines = append(attention, lines...)
	case running != nil:
		s.Icon = IconWorking
	case userPaused:
		s.Icon = IconPaused
		lines = append(lines, "Paused by you")
	case len(pausedReasons) > 0:
		s.Icon = IconPaused
		lines = append(lines, "Paused: "+pausedReasons[0])
	default:
		lines = append(lines, "PoT: no verification running")
	}
	if scheduled > 0 {
		lines = append(lines, fmt.Sprintf("%d waiting in the queue", scheduled))
	}
	s.Tooltip = strings.Join(lines, "\n")
	return s
}

// percent formats progress 0…1 as "62%", clamped, never rounding up to
// 100% before the end.
func percent(p float64) string {
	if math.IsNaN(p) || p < 0 {
		p = 0
	}
	if p > 1 {
		p = 1
	}
	n := math.Floor(p * 100)
	return fmt.Sprintf("%d%%", int(n))
}

// reasonText is a waiting job's reason in words.
func reasonText(j Job) string {
	if j.Reason != "" {
		return j.Reason
	}
	switch j.Wait {
	case WaitPower:
		return "on battery"
	case WaitThermal:
		return "the machine is hot"
	case WaitUser:
		return "paused by you"
	case WaitWindow:
		return "waiting for its window"
	}
	if j.State == Paused {
		return "paused by you"
	}
	return "waiting"
}
