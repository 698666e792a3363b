package engine

import (
	"sync"
	"time"
)

// Meter measures the wall time during which at least one of the sessions
// sharing it is inside a forward pass (Score or Logits). Overlapping passes
// (a reference and a candidate run side by side) count once, so the total
// is comparable with the wall time of the run that owns the meter: it is
// how `pot bench verify` reports the share of a verification spent in
// prefill.
type Meter struct {
	mu     sync.Mutex
	active int
	since  time.Time
	total  time.Duration
	now    func() time.Time
}

// begin marks a pass as started; the returned func marks it done.
func (m *Meter) begin() func() {
	if m == nil {
		return func() {}
	}
	m.mu.Lock()
	if m.now == nil {
		m.now = time.Now
	}
	if m.active == 0 {
		m.since = m.now()
	}
	m.active++
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		m.active--
		if m.active == 0 {
			m.total += m.now().Sub(m.since)
		}
		m.mu.Unlock()
	}
}

// Total returns the time measured so far, including a pass in progress.
func (m *Meter) Total() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.total
	if m.active > 0 {
		t += m.now().Sub(m.since)
	}
	return t
}
