package schedule

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proof-of-training/pot/internal/testdata"
)

func newQueue(t *testing.T) *Queue {
	t.Helper()
	q, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func add(t *testing.T, q *Queue, name string, w Window) Job {
	t.Helper()
	j, err := q.Add(Job{Name: name, Spec: []byte(`{"candidate":"` + name + `"}`), Window: w}, day)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestQueueLifecycle(t *testing.T) {
	q := newQueue(t)
	q.alive = func(string) bool { return true } // owners without lock files
	a := add(t, q, "a.gguf", Window{Kind: Now})
	b := add(t, q, "b.gguf", Window{Kind: Tonight})
	if a.ID != 1 || b.ID != 2 || a.State != Queued {
		t.Fatalf("ids %d %d state %s", a.ID, b.ID, a.State)
	}
	// By day only a may run; b waits with the window as its reason.
	j, d, err := q.Claim("r1", day, time.Minute, PowerState{}, 4)
	if err != nil || j == nil || j.ID != a.ID || d.Mode != Full || j.State != Running || j.Claims != 1 {
		t.Fatalf("claim: %+v %+v %v", j, d, err)
	}
	if got, _ := q.Get(b.ID); got.State != Waiting || got.Reason != "waiting for tonight's window 01:00–06:00" {
		t.Errorf("b: %s %q", got.State, got.Reason)
	}
	// One job at a time: nothing else is claimed while a runs.
	if j, _, _ := q.Claim("r2", night, time.Minute, PowerState{}, 4); j != nil {
		t.Errorf("a second job started while one runs: %d", j.ID)
	}
	// Only the lease's owner may commit.
	p := Progress{Stage: "challenge", Done: 3, Total: 10, Challenges: 3}
	if _, err := q.Heartbeat(a.ID, "r2", day, time.Minute, p, ""); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("foreign heartbeat: %v", err)
	}
	if j, err := q.Heartbeat(a.ID, "r1", day, time.Minute, p, ""); err != nil || j.Progress != p || !j.Lease.Until.Equal(day.Add(time.Minute)) {
		t.Errorf("heartbeat: %+v %v", j, err)
	}
	// A user pause reaches the runner through the heartbeat.
	if j, err := q.Pause(a.ID, day); err != nil || j.State != Running || !j.UserPaused {
		t.Errorf("pause running: %+v %v", j, err)
	}
	if _, err := q.Release(a.ID, "r1", day, p, "paused by the user"); err != nil {
		t.Fatal(err)
	}
	if j, _, _ := q.Claim("r1", day, time.Minute, PowerState{}, 4); j != nil {
		t.Errorf("a paused job was claimed")
	}
	if j, err := q.Resume(a.ID, day); err != nil || j.State != Queued {
		t.Errorf("resume: %+v %v", j, err)
	}
	j, _, _ = q.Claim("r1", day, time.Minute, PowerState{}, 4)
	if j == nil || j.ID != a.ID || j.Progress.Challenges != 3 {
		t.Fatalf("reclaim: %+v", j)
	}
	res := Result{Verdict: "SAME", N: 12, Certificate: "/c/x.potcert"}
	if j, err := q.Finish(a.ID, "r1", day, Progress{Challenges: 12}, res); err != nil || j.State != Done || *j.Result != res || j.Lease != nil {
		t.Errorf("finish: %+v %v", j, err)
	}
	if _, err := q.Finish(a.ID, "r1", day, Progress{}, res); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("finishing twice: %v", err)
	}
	for _, op := range []func(uint64, time.Time) (Job, error){q.Pause, q.Resume, q.Cancel} {
		if _, err := op(a.ID, day); !errors.Is(err, ErrState) {
			t.Errorf("op on a done job: %v", err)
		}
	}
	// Cancel: idempotent; a cancelled job is never claimed.
	for range 2 {
		if j, err := q.Cancel(b.ID, day); err != nil || j.State != Cancelled {
			t.Errorf("cancel: %+v %v", j, err)
		}
	}
	if j, _, _ := q.Claim("r1", night, time.Minute, PowerState{}, 4); j != nil {
		t.Errorf("claimed %d after everything ended", j.ID)
	}
	if _, err := q.Get(99); !errors.Is(err, ErrNotFound) {
		t.Errorf("get 99: %v", err)
	}
	if js, err := q.List(); err != nil || len(js) != 2 {
		t.Errorf("list: %d jobs, %v", len(js), err)
	}
	if err := q.Check(); err != nil {
		t.Error(err)
	}
}

func TestCancelRunning(t *testing.T) {
	q := newQueue(t)
	q.alive = func(string) bool { return true }
	a := add(t, q, "a", Window{Kind: Now})
	q.Claim("r1", day, time.Minute, PowerState{}, 1)
	q.Cancel(a.ID, day)
	if _, err := q.Heartbeat(a.ID, "r1", day, time.Minute, Progress{}, ""); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("heartbeat after cancel: %v", err)
	}
}

func TestSettings(t *testing.T) {
	q := newQueue(t)
	if s, err := q.Settings(); err != nil || s != DefaultSettings() {
		t.Fatalf("%+v %v", s, err)
	}
	s := DefaultSettings()
	s.Tonight = Daily{Start: 22 * 60, End: 5 * 60}
	if err := q.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	if got, _ := q.Settings(); got != s {
		t.Errorf("%+v, want %+v", got, s)
	}
	s.MaxRunning = 0
	if err := q.SetSettings(s); err == nil {
		t.Error("MaxRunning 0 accepted")
	}
	// The configured window applies to tonight's jobs.
	add(t, q, "a", Window{Kind: Tonight})
	at23 := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)
	if j, _, _ := q.Claim("r", night, time.Minute, PowerState{}, 1); j == nil {
		t.Error("not claimed at 02:30 in 22:00–05:00")
	} else {
		q.Release(j.ID, "r", night, Progress{}, "")
	}
	if j, _, _ := q.Claim("r", at23.Add(-2*time.Hour), time.Minute, PowerState{}, 1); j != nil {
		t.Error("claimed at 21:00")
	}
}

// TestLeaseExpiry: a runner that stops heartbeating loses its job when the
// lease expires; one that keeps dying without progress fails the job.
func TestLeaseExpiry(t *testing.T) {
	q := newQueue(t)
	q.alive = func(string) bool { return true } // only expiry counts here
	a := add(t, q, "a", Window{Kind: Now})
	now := day
	crashes := []int{0, 1, 1, 2, 3} // r2 makes progress before it dies
	for i := 1; i <= 5; i++ {
		j, _, _ := q.Claim(fmt.Sprint("r", i), now, time.Minute, PowerState{}, 1)
		if j == nil || j.Crashes != crashes[i-1] {
			t.Fatalf("claim %d: %+v", i, j)
		}
		if i == 2 { // progress resets the count
			q.Heartbeat(a.ID, "r2", now, time.Minute, Progress{Challenges: 4}, "")
		}
		if j2, _, _ := q.Claim("x", now.Add(30*time.Second), time.Minute, PowerState{}, 1); j2 != nil {
			t.Fatalf("claimed a job under a live lease")
		}
		now = now.Add(2 * time.Minute) // the lease expires
	}
	j, _ := q.Get(a.ID)
	if j.State != Running || j.Crashes != 3 {
		t.Fatalf("after progress then 3 deaths: %s crashes %d", j.State, j.Crashes)
	}
	q.Claim("y", now, time.Minute, PowerState{}, 1)
	q.Claim("z", now.Add(2*time.Minute), time.Minute, PowerState{}, 1)
	j, _ = q.Get(a.ID)
	if j.State != Failed || !strings.Contains(j.Error, "5 times") {
		t.Errorf("after 5 deaths without progress: %s %q", j.State, j.Error)
	}
}

// helper processes: the test binary re-executed.
func TestMain(m *testing.M) {
	switch os.Getenv("SCHEDULE_HELPER") {
	case "":
		os.Exit(testdata.Main(m))
	case "hold":
		helperHold()
	case "drain":
		helperDrain()
	}
}

// helperHold claims one job and blocks until killed.
func helperHold() {
	q, err := Open(os.Getenv("SCHEDULE_DIR"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	owner := os.Getenv("SCHEDULE_OWNER")
	if _, err := q.lockOwner(owner); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	j, _, err := q.Claim(owner, day, time.Hour, PowerState{}, 1)
	if err != nil || j == nil {
		fmt.Println("no claim", err)
		os.Exit(1)
	}
	fmt.Println("claimed", j.ID)
	select {}
}

// helperDrain runs jobs until all have ended. "Running" a job creates
// ran/ID and the busy marker exclusively: a job run twice, or two jobs at
// once, makes the create fail.
func helperDrain() {
	dir, owner := os.Getenv("SCHEDULE_DIR"), os.Getenv("SCHEDULE_OWNER")
	fail := func(err error) { fmt.Println("FAIL", err); os.Exit(1) }
	q, err := Open(dir)
	if err != nil {
		fail(err)
	}
	lock, err := q.lockOwner(owner)
	if err != nil {
		fail(err)
	}
	defer lock.release()
	n := 0
	for {
		j, _, err := q.Claim(owner, day, time.Hour, PowerState{}, 1)
		if err != nil {
			fail(err)
		}
		if j == nil {
			js, err := q.List()
			if err != nil {
				fail(err)
			}
			all := true
			for _, j := range js {
				all = all && j.State.Terminal()
			}
			if all {
				fmt.Println("ran", n)
				os.Exit(0)
			}
			time.Sleep(2 * time.Millisecond)
			continue
		}
		busy, err := os.OpenFile(filepath.Join(dir, "busy"), os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			fail(fmt.Errorf("two jobs at once: %w", err))
		}
		ran, err := os.OpenFile(filepath.Join(dir, "ran", fmt.Sprint(j.ID)), os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			fail(fmt.Errorf("job %d run twice: %w", j.ID, err))
		}
		ran.Close()
		time.Sleep(time.Millisecond)
		busy.Close()
		os.Remove(busy.Name())
		if _, err := q.Finish(j.ID, owner, day, Progress{Challenges: 1}, Result{Verdict: owner}); err != nil {
			fail(err)
		}
		n++
		time.Sleep(2 * time.Millisecond) // let the other runner in
	}
}

func helper(t *testing.T, mode, dir, owner string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCHEDULE_HELPER="+mode, "SCHEDULE_DIR="+dir, "SCHEDULE_OWNER="+owner)
	return cmd
}

// TestTwoRunners: two processes drain one queue; no job runs twice, never
// two at once, all end.
func TestTwoRunners(t *testing.T) {
	q := newQueue(t)
	const n = 30
	for i := range n {
		add(t, q, fmt.Sprint("j", i), Window{Kind: Now})
	}
	os.Mkdir(filepath.Join(q.Dir(), "ran"), 0o700)
	a := helper(t, "drain", q.Dir(), "A")
	b := helper(t, "drain", q.Dir(), "B")
	var oa, ob strings.Builder
	a.Stdout, b.Stdout = &oa, &ob
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	ea, eb := a.Wait(), b.Wait()
	if ea != nil || eb != nil {
		t.Fatalf("runners: %v %q; %v %q", ea, oa.String(), eb, ob.String())
	}
	t.Logf("A: %s B: %s", strings.TrimSpace(oa.String()), strings.TrimSpace(ob.String()))
	js, _ := q.List()
	for _, j := range js {
		if j.State != Done {
			t.Errorf("job %d: %s", j.ID, j.State)
		}
	}
	if err := q.Check(); err != nil {
		t.Error(err)
	}
}

// TestDeadRunner: a live runner's lease is respected however long; a
// runner killed with SIGKILL is known dead at once from its lock file.
func TestDeadRunner(t *testing.T) {
	q := newQueue(t)
	a := add(t, q, "a", Window{Kind: Now})
	h := helper(t, "hold", q.Dir(), "H")
	out, err := h.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	nr, _ := out.Read(buf)
	if !strings.HasPrefix(string(buf[:nr]), "claimed 1") {
		h.Process.Kill()
		t.Fatalf("helper: %q", buf[:nr])
	}
	if j, _, _ := q.Claim("me", day, time.Hour, PowerState{}, 1); j != nil {
		t.Error("took the job of a live runner")
	}
	h.Process.Signal(syscall.SIGKILL)
	h.Wait()
	j, _, err := q.Claim("me", day.Add(time.Second), time.Hour, PowerState{}, 1)
	if err != nil || j == nil || j.ID != a.ID || j.Crashes != 1 || j.Claims != 2 {
		t.Fatalf("after SIGKILL: %+v %v", j, err)
	}
}

// BenchmarkHeartbeat: one heartbeat (open, read-write transaction with
// fsync, close), the queue's cost per beat.
func BenchmarkHeartbeat(b *testing.B) {
	q, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	q.alive = func(string) bool { return true }
	j, _ := q.Add(Job{Name: "a", Window: Window{Kind: Now}}, day)
	q.Claim("r", day, time.Hour, PowerState{}, 1)
	for i := 0; b.Loop(); i++ {
		if _, err := q.Heartbeat(j.ID, "r", day, time.Hour, Progress{Challenges: i}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList: `pot queue` on 100 jobs (open, read, close).
func BenchmarkList(b *testing.B) {
	q, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for range 100 {
		q.Add(Job{Name: "a", Spec: []byte(`{"candidate":"/m/a.gguf","mode":"standard"}`), Window: Window{Kind: Now}}, day)
	}
	for b.Loop() {
		if js, err := q.List(); err != nil || len(js) != 100 {
			b.Fatal(err)
		}
	}
}
