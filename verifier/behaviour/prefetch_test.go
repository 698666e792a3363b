package behaviour

import (
	"errors"
	"sync/atomic"
	"testing"
)

// TestPrefetch: results come back in order, errors are passed on, Stop
// waits for a fetch in flight (so its sessions can be closed after), and
// Wait without a fetch is empty.
func TestPrefetch(t *testing.T) {
	var p Prefetch
	if ps, err := p.Wait(); ps != nil || err != nil {
		t.Fatalf("Wait with nothing started: %v, %v", ps, err)
	}
	for i := range 3 {
		p.Start(func() ([]Probe, error) { return []Probe{{Pos: []int{i}}}, nil })
		ps, err := p.Wait()
		if err != nil || len(ps) != 1 || ps[0].Pos[0] != i {
			t.Fatalf("fetch %d: %v, %v", i, ps, err)
		}
	}
	boom := errors.New("boom")
	p.Start(func() ([]Probe, error) { return nil, boom })
	if _, err := p.Wait(); !errors.Is(err, boom) {
		t.Fatalf("error lost: %v", err)
	}
	var done atomic.Bool
	release := make(chan struct{})
	p.Start(func() ([]Probe, error) { <-release; done.Store(true); return nil, nil })
	close(release)
	p.Stop()
	if !done.Load() {
		t.Fatal("Stop returned before the fetch finished")
	}
}
