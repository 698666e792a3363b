package behaviour

// Prefetch runs the reference's side of the next batch of probes while the
// caller measures the current one, so that the reference's forward passes
// and the candidate's (or the faithful copy's) overlap instead of taking
// turns: the two sessions are independent, and teacher-forced challenges
// do not depend on the reference's answers until scoring.
//
// At most one fetch is in flight. Stop must be called before the sessions
// a fetch uses are closed; it waits for the fetch and drops its result.
type Prefetch struct {
	ch      chan fetched
	pending bool
}

type fetched struct {
	ps  []Probe
	err error
}

// Start begins fetch in the background. A fetch already in flight is
// waited for and dropped first.
func (p *Prefetch) Start(fetch func() ([]Probe, error)) {
	p.Stop()
	if p.ch == nil {
		p.ch = make(chan fetched, 1)
	}
	p.pending = true
	go func() {
		ps, err := fetch()
		p.ch <- fetched{ps, err}
	}()
}

// Wait returns the result of the fetch in flight (nil, nil if none).
func (p *Prefetch) Wait() ([]Probe, error) {
	if !p.pending {
		return nil, nil
	}
	f := <-p.ch
	p.pending = false
	return f.ps, f.err
}

// Stop waits for a fetch in flight, if any, and drops its result.
func (p *Prefetch) Stop() { p.Wait() }
