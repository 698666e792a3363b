package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progressBar draws a one-line progress bar on a terminal and stays silent
// elsewhere (pipes, files, CI logs), so scripts see only the results.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	start time.Time
	last  time.Time
	tty   bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label, start: time.Now(), tty: isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update redraws at most ten times a second, and always at completion.
func (p *progressBar) update(done, total int64, unit string) {
	if !p.tty || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	frac := float64(done) / float64(total)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if float64(i) < frac*width {
			bar[i] = '='
		}
	}
	rate := ""
	if el := now.Sub(p.start).Seconds(); el > 0 && unit == "B" {
		rate = fmt.Sprintf(" %.0f MB/s", float64(done)/el/1e6)
	}
	fmt.Fprintf(p.w, "\r%s [%s] %5.1f%%%s ", p.label, bar, 100*frac, rate)
	if done >= total {
		fmt.Fprint(p.w, "\n")
	}
}

// clear ends the bar's line if one was drawn.
func (p *progressBar) clear() {
	if p.tty && !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
