package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrStopped is returned by Control.Yield (wrapped with the reason) when a
// job must stop: paused by the user, the window or the power policy,
// cancelled, or its runner is shutting down. Work returns it as it is.
var ErrStopped = errors.New("schedule: stopped")

// Work does one job: it runs j.Spec, reports progress through c, calls
// c.Yield between units of work (challenges) and returns its error at once
// when there is one. It must be resumable: run again after a stop or a
// crash, it continues from its own durable checkpoint.
type Work func(ctx context.Context, j Job, c *Control) (Result, error)

// Runner takes jobs from a Queue and runs them one after another.
type Runner struct {
	Queue *Queue
	Work  Work
	// Owner names this runner in leases; unique per process (for example
	// host, pid and random digits).
	Owner string
	// Power is asked at each claim and heartbeat; nil is a machine
	// without a battery.
	Power PowerSource
	// Inhibitor, if set, keeps the machine awake exactly while a job runs.
	Inhibitor Inhibitor
	// Cleanup, if set, runs once a job is done or cancelled and that is
	// committed: it removes the job's checkpoint. A failed job keeps its
	// files, so that Queue.Resume can retry it.
	Cleanup func(Job)
	Clock   func() time.Time
	Cores   int
	// Lease is how long a claim lasts without a heartbeat (default 60 s);
	// Heartbeat how often it is renewed and the policy re-evaluated
	// (default 5 s); Poll how often an idle watching runner looks for work
	// (default 30 s).
	Lease, Heartbeat, Poll time.Duration
	// Log, if set, receives one line per event.
	Log func(format string, args ...any)
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}

func (r *Runner) power() PowerState {
	if r.Power == nil {
		return PowerState{}
	}
	p, err := r.Power.PowerState()
	if err != nil {
		// Unknown power counts as AC, like a machine without a battery;
		// the error is reported, not fatal.
		r.logf("power state: %v", err)
		return PowerState{}
	}
	return p
}

func (r *Runner) defaults() {
	if r.Clock == nil {
		r.Clock = time.Now
	}
	if r.Lease <= 0 {
		r.Lease = time.Minute
	}
	if r.Heartbeat <= 0 {
		r.Heartbeat = 5 * time.Second
	}
	if r.Poll <= 0 {
		r.Poll = 30 * time.Second
	}
}

// Run runs jobs until none may run now, or with watch until ctx ends.
// It returns only the queue's own errors; a job's error fails the job.
func (r *Runner) Run(ctx context.Context, watch bool) error {
	r.defaults()
	if r.Owner == "" || r.Work == nil || r.Queue == nil {
		panic("schedule: Runner needs a Queue, an Owner and Work")
	}
	lock, err := r.Queue.lockOwner(r.Owner)
	if err != nil {
		return fmt.Errorf("schedule: runner lock: %w", err)
	}
	defer lock.release()
	for ctx.Err() == nil {
		j, d, err := r.Queue.Claim(r.Owner, r.Clock(), r.Lease, r.power(), r.Cores)
		if err != nil {
			return err
		}
		if j == nil {
			if !watch {
				return nil
			}
			select {
			case <-ctx.Done():
			case <-time.After(r.Poll):
			}
			continue
		}
		if err := r.runJob(ctx, j, d); err != nil {
			return err
		}
	}
	return nil
}

// runJob runs one claimed job and commits how it ended.
func (r *Runner) runJob(ctx context.Context, j *Job, d Decision) error {
	r.logf("job %d (%s): running %s", j.ID, j.Name, d.Mode)
	c := newControl(d, j.Progress, r.Clock)
	var release func() error
	if r.Inhibitor != nil {
		var err error
		if release, err = r.Inhibitor.Inhibit("verifying " + j.Name); err != nil {
			r.logf("sleep inhibitor: %v", err)
		}
	}
	var wg sync.WaitGroup
	hbDone := make(chan struct{})
	wg.Go(func() { r.heartbeat(ctx, j, c, hbDone) })
	res, werr := r.Work(ctx, *j, c)
	close(hbDone)
	wg.Wait()
	if release != nil {
		if err := release(); err != nil {
			r.logf("sleep inhibitor: %v", err)
		}
	}

	now, p := r.Clock(), c.progress()
	var end Job
	var err error
	switch {
	case werr == nil:
		end, err = r.Queue.Finish(j.ID, r.Owner, now, p, res)
	case errors.Is(werr, ErrStopped) || ctx.Err() != nil:
		reason, lost := c.stopReason()
		if lost {
			end, err = r.Queue.Get(j.ID)
			break
		}
		end, err = r.Queue.Release(j.ID, r.Owner, now, p, reason)
	default:
		end, err = r.Queue.Fail(j.ID, r.Owner, now, p, werr)
	}
	if errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrNotFound) {
		r.logf("job %d: %v", j.ID, err)
		return nil
	}
	if err != nil {
		return err
	}
	r.logf("job %d: %s %s%s", j.ID, end.State, end.Reason, end.Error)
	if (end.State == Done || end.State == Cancelled) && r.Cleanup != nil {
		r.Cleanup(end)
	}
	return nil
}

// heartbeat renews the lease and re-evaluates the policy until done.
func (r *Runner) heartbeat(ctx context.Context, j *Job, c *Control, done <-chan struct{}) {
	t := time.NewTicker(r.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			c.stop("", false)
			return
		case <-t.C:
		}
		power := r.power()
		now := r.Clock()
		cur, err := r.Queue.Heartbeat(j.ID, r.Owner, now, r.Lease, c.progress(), c.decision().Reason)
		if errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrNotFound) {
			c.stop("", true)
			return
		}
		if err != nil {
			r.logf("job %d: heartbeat: %v", j.ID, err)
			continue
		}
		s, err := r.Queue.Settings()
		if err != nil {
			r.logf("job %d: %v", j.ID, err)
			continue
		}
		d := Decide(Input{Now: now, Window: cur.Window, Power: power, UserPaused: cur.UserPaused,
			AllowBattery: cur.AllowBattery, Settings: s, Cores: r.Cores})
		if d.Mode == Paused {
			c.stop(d.Reason, false)
			return
		}
		c.setDecision(d)
	}
}

// Control is a running job's line to its runner.
type Control struct {
	clock func() time.Time
	mu    sync.Mutex // guards the fields below
	dec   Decision
	prog  Progress
	last  time.Time // end of the last Yield: the duty cycle's work starts there
	why   string
	lost  bool
	stopC chan struct{} // closed once the job must stop
}

func newControl(d Decision, p Progress, clock func() time.Time) *Control {
	return &Control{clock: clock, dec: d, prog: p, last: clock(), stopC: make(chan struct{})}
}

// Threads is the number of threads the policy allows when the job starts
// (0: all cores); a later change applies when the job next starts.
func (c *Control) Threads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dec.Threads
}

// Report records the job's progress; the heartbeat commits it.
func (c *Control) Report(p Progress) {
	c.mu.Lock()
	c.prog = p
	c.mu.Unlock()
}

// Yield is called between units of work. It sleeps as the duty cycle
// asks (the work since the last Yield took d·T, so sleep (1−d)·T), and
// returns an error wrapping ErrStopped, with the reason, once the job must
// stop.
func (c *Control) Yield() error {
	c.mu.Lock()
	duty, worked := c.dec.Duty, c.clock().Sub(c.last)
	c.mu.Unlock()
	if duty > 0 && duty < 1 && worked > 0 {
		t := time.NewTimer(time.Duration(float64(worked) * (1 - duty) / duty))
		select {
		case <-t.C:
		case <-c.stopC:
			t.Stop()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = c.clock()
	select {
	case <-c.stopC:
		if c.why == "" {
			return ErrStopped
		}
		return fmt.Errorf("%w: %s", ErrStopped, c.why)
	default:
		return nil
	}
}

func (c *Control) stop(why string, lost bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stopC:
	default:
		c.why, c.lost = why, lost
		close(c.stopC)
	}
}

func (c *Control) stopReason() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why, c.lost
}

func (c *Control) setDecision(d Decision) {
	c.mu.Lock()
	c.dec = d
	c.mu.Unlock()
}

func (c *Control) decision() Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dec
}

func (c *Control) progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prog
}
