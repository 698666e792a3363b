package engine

import (
	"testing"
	"time"
)

// TestMeterCountsOverlapOnce: two passes that overlap add their union, not
// their sum; a nil meter is inert.
func TestMeterCountsOverlapOnce(t *testing.T) {
	clock := time.Unix(0, 0)
	m := &Meter{now: func() time.Time { return clock }}
	endA := m.begin() // t=0
	clock = clock.Add(2 * time.Second)
	endB := m.begin() // t=2
	clock = clock.Add(3 * time.Second)
	endA() // t=5
	clock = clock.Add(1 * time.Second)
	if got := m.Total(); got != 6*time.Second {
		t.Fatalf("in progress: %v, want 6s", got)
	}
	endB() // t=6
	clock = clock.Add(10 * time.Second)
	end := m.begin() // t=16
	clock = clock.Add(time.Second)
	end() // t=17
	if got := m.Total(); got != 7*time.Second {
		t.Fatalf("total %v, want 7s (0–6 and 16–17)", got)
	}
	var none *Meter
	none.begin()()
}
