package schedule

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/proof-of-training/pot/internal/tmpfs"
)

// fakePower is a PowerSource the test switches.
type fakePower struct {
	mu sync.Mutex
	s  PowerState
}

func (f *fakePower) PowerState() (PowerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s, nil
}

func (f *fakePower) set(s PowerState) {
	f.mu.Lock()
	f.s = s
	f.mu.Unlock()
}

// countInhibitor counts the sleep locks held.
type countInhibitor struct{ held atomic.Int32 }

func (c *countInhibitor) Inhibit(string) (func() error, error) {
	c.held.Add(1)
	return func() error { c.held.Add(-1); return nil }, nil
}

// pace is the length of a fake step: slow until the test has seen what
// it waits for, so a loaded machine cannot finish the job first.
type pace struct{ ns atomic.Int64 }

func slow() *pace { p := &pace{}; p.ns.Store(int64(2 * time.Millisecond)); return p }

func (p *pace) fast() { p.ns.Store(0) }

// steps is a Work of n steps that resumes from the committed progress and
// reports whether the inhibitor was held at each step.
func steps(n int, p *pace, held func() bool, bad *atomic.Bool) Work {
	return func(ctx context.Context, j Job, c *Control) (Result, error) {
		for i := j.Progress.Challenges; i < n; i++ {
			if d := p.ns.Load(); d > 0 {
				time.Sleep(time.Duration(d))
			}
			if held != nil && !held() {
				bad.Store(true)
			}
			c.Report(Progress{Stage: "challenge", Done: int64(i + 1), Total: int64(n), Challenges: i + 1})
			if err := c.Yield(); err != nil {
				return Result{}, err
			}
		}
		return Result{Verdict: "SAME", N: n}, nil
	}
}

// waitFor polls the queue until cond holds for job id.
func waitFor(t *testing.T, q *Queue, id uint64, what string, cond func(Job) bool) Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		j, err := q.Get(id)
		if err == nil && cond(j) {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	j, _ := q.Get(id)
	t.Fatalf("job %d never %s: %+v", id, what, j)
	return j
}

// TestRunnerPower: on battery at 20% a running job pauses with that
// reason; back on AC it resumes and finishes; the sleep lock is held
// exactly while it runs.
func TestRunnerPower(t *testing.T) {
	q := newQueue(t)
	j, _ := q.Add(Job{Name: "a", Window: Window{Kind: Now}, AllowBattery: true}, time.Now())
	power := &fakePower{s: PowerState{HasBattery: true, Percent: 90}}
	inh := &countInhibitor{}
	var bad atomic.Bool
	p0 := slow()
	r := &Runner{Queue: q, Owner: "R", Power: power, Inhibitor: inh, Cores: 2,
		Work:      steps(1000, p0, func() bool { return inh.held.Load() == 1 }, &bad),
		Heartbeat: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, true) }()

	waitFor(t, q, j.ID, "ran", func(j Job) bool { return j.Progress.Challenges > 10 })
	power.set(PowerState{HasBattery: true, OnBattery: true, Percent: 20})
	p := waitFor(t, q, j.ID, "paused", func(j Job) bool { return j.State == Waiting })
	if p.Reason != "on battery at 20%, below 30%" {
		t.Errorf("reason %q", p.Reason)
	}
	time.Sleep(50 * time.Millisecond)
	if got, _ := q.Get(j.ID); got.State != Waiting || got.Progress.Challenges != p.Progress.Challenges {
		t.Errorf("ran on while paused: %+v", got)
	}
	if inh.held.Load() != 0 {
		t.Error("sleep lock held while paused")
	}
	p0.fast()
	power.set(PowerState{HasBattery: true, Percent: 25})
	end := waitFor(t, q, j.ID, "done", func(j Job) bool { return j.State == Done })
	if end.Result.N != 1000 || end.Claims != 2 {
		t.Errorf("end: %+v", end)
	}
	if bad.Load() || inh.held.Load() != 0 {
		t.Errorf("sleep lock: held %d after the run; missing during a step: %v", inh.held.Load(), bad.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRunnerUserAndErrors: a user pause stops the running job, resume
// finishes it; a failing job records its error; a runner without watch
// exits once nothing may run.
func TestRunnerUserAndErrors(t *testing.T) {
	q := newQueue(t)
	a, _ := q.Add(Job{Name: "a", Window: Window{Kind: Now}}, time.Now())
	b, _ := q.Add(Job{Name: "b", Window: Window{Kind: Now}}, time.Now())
	later, _ := q.Add(Job{Name: "later", Window: Window{Kind: At, Start: time.Now().Add(time.Hour)}}, time.Now())
	p0 := slow()
	work := steps(1000, p0, nil, nil)
	r := &Runner{Queue: q, Owner: "R", Heartbeat: 10 * time.Millisecond,
		Work: func(ctx context.Context, j Job, c *Control) (Result, error) {
			if j.Name == "b" {
				return Result{}, errors.New("candidate.gguf: bad magic")
			}
			return work(ctx, j, c)
		}}
	done := make(chan error)
	go func() { done <- r.Run(context.Background(), false) }()
	waitFor(t, q, a.ID, "ran", func(j Job) bool { return j.Progress.Challenges > 5 })
	q.Pause(a.ID, time.Now())
	p := waitFor(t, q, a.ID, "paused", func(j Job) bool { return j.State == Waiting })
	if p.Reason != "paused by the user" {
		t.Errorf("reason %q", p.Reason)
	}
	if err := <-done; err != nil { // b failed, later waits, a is paused: nothing to run
		t.Fatal(err)
	}
	if j, _ := q.Get(b.ID); j.State != Failed || j.Error != "candidate.gguf: bad magic" {
		t.Errorf("b: %s %q", j.State, j.Error)
	}
	// A failed job may be retried, or cancelled.
	if j, err := q.Resume(b.ID, time.Now()); err != nil || j.State != Queued || j.Error != "" ||
		j.Reason != "retrying after: candidate.gguf: bad magic" {
		t.Errorf("retry b: %+v %v", j, err)
	}
	if j, err := q.Cancel(b.ID, time.Now()); err != nil || j.State != Cancelled {
		t.Errorf("cancel b: %+v %v", j, err)
	}
	if j, _ := q.Get(later.ID); j.State != Waiting || !strings.HasPrefix(j.Reason, "waiting until") {
		t.Errorf("later: %s %q", j.State, j.Reason)
	}
	q.Resume(a.ID, time.Now())
	p0.fast()
	var cleaned []uint64
	r.Cleanup = func(j Job) { cleaned = append(cleaned, j.ID) }
	if err := r.Run(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if j, _ := q.Get(a.ID); j.State != Done || j.Result.N != 1000 || len(cleaned) != 1 || cleaned[0] != a.ID {
		t.Errorf("a: %s %+v cleaned %v", j.State, j.Result, cleaned)
	}
}

// TestThrottle: at half duty a job spends about as long sleeping as
// working (asserted loosely: at least 0.6× the work time as extra).
func TestThrottle(t *testing.T) {
	clock := time.Now
	c := newControl(Decision{Mode: Throttled, Duty: 0.5}, Progress{}, clock)
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	if err := c.Yield(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 32*time.Millisecond {
		t.Errorf("half duty: 20 ms of work took %v in all", el)
	}
	c.stop("the machine is critically hot", false)
	if err := c.Yield(); !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), "critically hot") {
		t.Errorf("after stop: %v", err)
	}
}

// TestDiskFull: a full disk while committing gives a clear error and
// leaves the last committed state. The queue lives on a small tmpfs
// (internal/tmpfs: root on Linux).
func TestDiskFull(t *testing.T) {
	dir := tmpfs.Mount(t, 256<<10)
	q, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := []byte(`"` + strings.Repeat("x", 8<<10) + `"`)
	var added []Job
	for i := 0; ; i++ {
		j, err := q.Add(Job{Name: "a", Spec: spec, Window: Window{Kind: Now}}, day)
		if err != nil {
			if !strings.Contains(err.Error(), "disk is full") || !strings.Contains(err.Error(), q.Path()) {
				t.Errorf("error %q does not say the disk is full and where", err)
			}
			t.Logf("after %d jobs: %v", i, err)
			break
		}
		added = append(added, j)
		if i > 1000 {
			t.Fatal("the disk never filled")
		}
	}
	js, err := q.List()
	if err != nil || len(js) != len(added) {
		t.Fatalf("after the failed commit: %d jobs (%v), want %d", len(js), err, len(added))
	}
	if err := q.Check(); err != nil {
		t.Errorf("corrupt after a full disk: %v", err)
	}
}

// TestDiskFullMessage: ENOSPC, however it arrives, is explained.
func TestDiskFullMessage(t *testing.T) {
	q := &Queue{dir: "/q"}
	err := q.wrap(&os.PathError{Op: "write", Path: "/q/queue.db", Err: syscall.ENOSPC})
	if !strings.Contains(err.Error(), "/q/queue.db: the disk is full") || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("%v", err)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// TestWindowCloses: a tonight job runs in the window, pauses when it
// closes at 06:00, and continues in the next night's window.
func TestWindowCloses(t *testing.T) {
	q := newQueue(t)
	clock := &fakeClock{t: time.Date(2026, 12, 2, 14, 0, 0, 0, time.Local)}
	j, _ := q.Add(Job{Name: "a", Window: Window{Kind: Tonight}}, clock.now())
	p0 := slow()
	r := &Runner{Queue: q, Owner: "R", Clock: clock.now, Work: steps(1000, p0, nil, nil),
		Heartbeat: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, true) }()
	w := waitFor(t, q, j.ID, "waiting by day", func(j Job) bool { return j.State == Waiting })
	if w.Reason != "waiting for tonight's window 01:00–06:00" || w.Progress.Challenges != 0 {
		t.Errorf("by day: %+v", w)
	}
	clock.set(time.Date(2026, 12, 3, 5, 59, 0, 0, time.Local))
	waitFor(t, q, j.ID, "ran at 05:59", func(j Job) bool { return j.Progress.Challenges > 10 })
	clock.set(time.Date(2026, 12, 3, 6, 0, 0, 0, time.Local))
	p := waitFor(t, q, j.ID, "paused at 06:00", func(j Job) bool { return j.State == Waiting })
	if p.Reason != "waiting for tonight's window 01:00–06:00" || p.Progress.Challenges >= 1000 {
		t.Errorf("at 06:00: %+v", p)
	}
	p0.fast()
	clock.set(time.Date(2026, 12, 4, 1, 0, 0, 0, time.Local))
	end := waitFor(t, q, j.ID, "done the next night", func(j Job) bool { return j.State == Done })
	if end.Claims != 2 || end.Result.N != 1000 {
		t.Errorf("end: %+v", end)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCancelWhileRunning: a cancelled running job stops at the runner's
// next heartbeat and is cleaned up; the runner goes on to the next job.
func TestCancelWhileRunning(t *testing.T) {
	q := newQueue(t)
	a, _ := q.Add(Job{Name: "a", Window: Window{Kind: Now}}, time.Now())
	b, _ := q.Add(Job{Name: "b", Window: Window{Kind: Now}}, time.Now())
	p0 := slow()
	inh := &countInhibitor{}
	var cleaned []State
	r := &Runner{Queue: q, Owner: "R", Work: steps(1000, p0, nil, nil), Inhibitor: inh, Heartbeat: 10 * time.Millisecond,
		Cleanup: func(j Job) { cleaned = append(cleaned, j.State) }}
	done := make(chan error)
	go func() { done <- r.Run(context.Background(), false) }()
	waitFor(t, q, a.ID, "ran", func(j Job) bool { return j.Progress.Challenges > 5 })
	q.Cancel(a.ID, time.Now())
	waitFor(t, q, b.ID, "started", func(j Job) bool { return j.State == Running })
	p0.fast()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ja, _ := q.Get(a.ID)
	jb, _ := q.Get(b.ID)
	if ja.State != Cancelled || ja.Progress.Challenges >= 1000 || jb.State != Done {
		t.Errorf("a %s at %d, b %s", ja.State, ja.Progress.Challenges, jb.State)
	}
	if len(cleaned) != 2 || cleaned[0] != Cancelled || cleaned[1] != Done || inh.held.Load() != 0 {
		t.Errorf("cleaned %v, inhibitors held %d", cleaned, inh.held.Load())
	}
}
