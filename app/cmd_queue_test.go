package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/internal/tmpfs"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/schedule"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/variant"
)

// potProcess returns `pot args…` as a separate process (the binary
// TestMain builds), so that a runner can be killed like a real one.
func potProcess(t *testing.T, args ...string) *exec.Cmd {
	if potBin == "" {
		t.Fatal("the pot binary was not built (see TestMain's output)")
	}
	return exec.Command(potBin, args...)
}

// queueEnv points the queue and key at fresh directories.
func queueEnv(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("POT_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("POT_CONFIG_DIR", filepath.Join(dir, "config"))
	return dir
}

func listQueue(t *testing.T) []queueEntry {
	t.Helper()
	code, out, errs := runPot(t, "queue", "--json")
	if code != 0 {
		t.Fatalf("pot queue: %s", errs)
	}
	var o queueOutput
	if err := json.Unmarshal([]byte(out), &o); err != nil || o.Format != queueFormat {
		t.Fatalf("pot queue --json: %v\n%s", err, out)
	}
	return o.Jobs
}

func TestScheduleCommands(t *testing.T) {
	queueEnv(t)
	ref := testdata.Path(t, "stories260K.gguf")
	seed := strings.Repeat("ab", 32)
	code, out, errs := runPot(t, "schedule", "add", ref, "--ref", ref, "--when", "tonight", "--mode", "quick",
		"--seed", seed, "--threads", "1", "--allow-battery", "--json")
	if code != 0 {
		t.Fatalf("schedule add: %s", errs)
	}
	var o queueOutput
	if err := json.Unmarshal([]byte(out), &o); err != nil || len(o.Jobs) != 1 || o.Format != queueFormat {
		t.Fatalf("schedule add --json: %v\n%s", err, out)
	}
	e := o.Jobs[0]
	if e.ID != 1 || e.State != schedule.Queued || e.Window.Kind != schedule.Tonight || e.Spec.Seed != seed ||
		e.Spec.Preset != "quick" || e.Spec.Threads != 1 || e.Spec.Reference != ref || e.Spec.Candidate != ref {
		t.Errorf("queued %+v", e)
	}
	for _, bad := range [][]string{
		{"schedule", "add", ref},                                     // no reference
		{"schedule", "add", ref, "--ref", ref, "--when", "noon"},     // bad window
		{"schedule", "add", ref, "--ref", ref, "--mode", "thorough"}, // bad mode
		{"schedule", "add", ref, "--ref", ref, "--seed", "12"},       // bad seed
		{"queue", "pause", "x"},                                      // bad id
		{"schedule", "config", "--tonight", "23:00"},                 // bad window
		{"schedule", "config", "--max-running", "0"},                 // out of range
	} {
		if code, _, _ := runPot(t, bad...); code != 2 {
			t.Errorf("%v: code %d, want 2", bad, code)
		}
	}
	if code, _, errs := runPot(t, "schedule", "add", "/nonexistent.gguf", "--ref", ref); code != exitBadInput || !strings.Contains(errs, "/nonexistent.gguf") {
		t.Errorf("missing candidate: %d %q", code, errs)
	}
	if code, _, errs := runPot(t, "queue", "cancel", "7"); code != exitUsage || !strings.Contains(errs, "no job 7") {
		t.Errorf("cancel 7: %d %q", code, errs)
	}
	// By day the tonight job waits; the runner leaves it (and exits).
	if code, out, _ := runPot(t, "schedule", "config", "--tonight", "00:00-00:01", "--json"); code != 0 || !strings.Contains(out, `"tonight": "00:00-00:01"`) {
		t.Fatalf("config: %s", out)
	}
	runPot(t, "queue", "pause", "1")
	if es := listQueue(t); es[0].State != schedule.Waiting || es[0].Reason != "paused by the user" {
		t.Errorf("paused: %+v", es[0])
	}
	runPot(t, "queue", "resume", "1")
	if es := listQueue(t); es[0].State != schedule.Queued {
		t.Errorf("resumed: %+v", es[0])
	}
	if code, _, errs := runPot(t, "schedule", "config", "--tonight", "00:00-00:00"); code != 0 { // all day
		t.Fatal(errs)
	}
	if code, _, errs := runPot(t, "run-queue"); code != 0 {
		t.Fatalf("run-queue: %s", errs)
	}
	es := listQueue(t)
	if es[0].State != schedule.Done || es[0].Result == nil || es[0].Result.Verdict != "IDENTICAL" || es[0].Result.Certificate == "" {
		t.Fatalf("after run-queue: %+v", es[0])
	}
	if _, err := os.Stat(es[0].Result.Certificate); err != nil {
		t.Error(err)
	}
	code, out, _ = runPot(t, "queue")
	if code != 0 || !strings.Contains(out, "IDENTICAL") || !strings.Contains(out, "done") {
		t.Errorf("pot queue:\n%s", out)
	}
	if code, _, errs := runPot(t, "queue", "cancel", "1"); code != exitUsage || !strings.Contains(errs, "already done") {
		t.Errorf("cancelling a done job: code %d %q", code, errs)
	}
}

// checkpointRecords reads the records committed in a job's checkpoint.
func checkpointRecords(t *testing.T, path string) []cert.Record {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ck struct{ Records []cert.Record }
	if err := json.Unmarshal(data, &ck); err != nil {
		t.Fatalf("checkpoint %s: %v", path, err)
	}
	return ck.Records
}

// afterCommit fires d after the checkpoint file at path next changes,
// sending how long after start the change came.
func afterCommit(path string, start time.Time, d time.Duration) <-chan time.Duration {
	c := make(chan time.Duration, 1)
	stamp := func() time.Time {
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}
		}
		return fi.ModTime()
	}
	go func() {
		first := stamp()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && stamp().Equal(first); {
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		time.Sleep(d)
		c <- took
	}()
	return c
}

// after fires after d.
func after(d time.Duration) <-chan time.Duration {
	c := make(chan time.Duration, 1)
	time.AfterFunc(d, func() { c <- 0 })
	return c
}

// comparable returns a certificate's statement without its times and
// file names, and its transcript's records.
func comparable(t *testing.T, certPath string) (*cert.Statement, []cert.Record) {
	env, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cert.Inspect(env)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := os.ReadFile(filepath.Join(filepath.Dir(certPath), st.Predicate.Transcript.Name))
	if err != nil {
		t.Fatal(err)
	}
	trans, err := cert.ParseTranscript(tr)
	if err != nil {
		t.Fatal(err)
	}
	st.Predicate.StartedAt, st.Predicate.FinishedAt = time.Time{}, time.Time{}
	st.Predicate.Transcript.Name = ""
	return st, trans.Records
}

// resumeFixture makes a job that runs about a hundred challenges on
// stories260K: a Q8_0 requantization checked against a small fingerprint
// (a pool as large as the mode's NMax) in quick mode, with a fixed seed. It returns the job's `pot verify`
// arguments and the uninterrupted run's certificate and records.
func resumeFixture(t *testing.T) (dir string, args []string, wantSt *cert.Statement, wantRecs []cert.Record) {
	dir = queueEnv(t)
	ref := testdata.Path(t, "stories260K.gguf")
	cand := filepath.Join(dir, "cand.gguf")
	if err := variant.Write(ref, cand, variant.Requantize("Q8_0")); err != nil {
		t.Fatal(err)
	}
	key, err := loadKey("", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	fp := filepath.Join(dir, "ref.potfp")
	// A fixed pool seed keeps the job's length the same from run to run.
	if _, err := job.CreateFingerprint(job.FingerprintConfig{Reference: ref, Out: fp, Key: key, PoolSize: 256,
		Calibration: 192, Profiles: []synth.FileType{"Q8_0"}, Threads: 1,
		Rand: rand.NewChaCha8([32]byte{1})}); err != nil {
		t.Fatal(err)
	}
	seed := strings.Repeat("5a", 32)
	// Trusting the creator by key id also carries --trust through the spec.
	args = []string{cand, "--fingerprint", fp, "--mode", "quick", "--seed", seed, "--threads", "1", "--trust", key.KeyID()}

	// The uninterrupted run.
	code, _, errs := runPot(t, append([]string{"verify", "--out", filepath.Join(dir, "straight")}, args...)...)
	if code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errs)
	}
	straight, _ := filepath.Glob(filepath.Join(dir, "straight", "*"+cert.CertSuffix))
	if len(straight) != 1 {
		t.Fatalf("certificates %v", straight)
	}
	wantSt, wantRecs = comparable(t, straight[0])
	return dir, args, wantSt, wantRecs

}

// TestRunQueueSIGKILL kills the runner with SIGKILL at random moments, at
// least 50 times over one job, restarting it each time: no committed
// challenge is lost or changed, the queue is never corrupt, and the final
// certificate equals an uninterrupted run's (times aside).
func TestRunQueueSIGKILL(t *testing.T) {
	dir, args, wantSt, wantRecs := resumeFixture(t)
	if code, _, errs := runPot(t, append([]string{"schedule", "add", "--out", filepath.Join(dir, "queued")}, args...)...); code != 0 {
		t.Fatal(errs)
	}
	// Runners that die before a challenge are expected here.
	if code, _, errs := runPot(t, "schedule", "config", "--max-crashes", "1000"); code != 0 {
		t.Fatal(errs)
	}
	q, err := openQueue()
	if err != nil {
		t.Fatal(err)
	}
	ck := jobCheckpoint(q, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	kills, lives, advanced := 0, 0, 0
	// Start-up kills land before the life's first commit: within 0.6× the
	// quickest start-up seen. Every other life is killed just after its
	// first commit (among the commits of a batch) while more than a batch
	// of challenges remains, so the job outlasts the kills.
	startup, stopped := 150*time.Millisecond, false
	var last []cert.Record
	for ; ; lives++ {
		j, err := q.Get(1)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != schedule.Queued && j.State != schedule.Running {
			break
		}
		if lives > 1000 {
			t.Fatal("the job never finished")
		}
		cmd := potProcess(t, "run-queue", "--heartbeat", "20ms")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first 60 lives end with SIGKILL at a random moment: while
		// starting (loading, hashing, claiming), or within 3 ms of the
		// life's first commit. Then the runner may finish.
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var werr error
		if kills < 60 {
			var at <-chan time.Duration
			post := lives == 0 || lives%2 == 1 && len(wantRecs)-len(last) > 10
			if post {
				at = afterCommit(ck, start, time.Duration(rng.IntN(3_000))*time.Microsecond)
			} else {
				at = after(time.Duration(rng.Int64N(int64(startup) * 6 / 10)))
			}
			select {
			case werr = <-exited:
			case took := <-at:
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				kills++
				if post {
					startup = min(startup, took)
				}
			}
		} else if !stopped {
			// One life ends with SIGTERM after a commit: the runner stops
			// after the challenge in flight, exits 0 and hands the job
			// back to the queue.
			stopped = true
			select {
			case werr = <-exited:
			case <-afterCommit(ck, start, 0):
				cmd.Process.Signal(syscall.SIGTERM)
				if werr = <-exited; werr != nil {
					t.Fatalf("runner after SIGTERM: %v\n%s", werr, stderr.String())
				}
				if j, _ := q.Get(1); j.State != schedule.Queued || j.Lease != nil {
					t.Errorf("after SIGTERM the job is %s (lease %v), want queued", j.State, j.Lease)
				}
				t.Logf("SIGTERM after %v: exit 0, job queued", time.Since(start).Round(time.Millisecond))
			}
		} else {
			werr = <-exited
		}
		if werr != nil && !strings.Contains(werr.Error(), "killed") {
			t.Fatalf("runner: %v\n%s", werr, stderr.String())
		}
		if err := q.Check(); err != nil {
			t.Fatalf("queue corrupt after %d kills: %v", kills, err)
		}
		recs := checkpointRecords(t, ck)
		if j2, _ := q.Get(1); recs == nil && j2.State == schedule.Done {
			break // finished, and its checkpoint removed
		}
		if len(recs) < len(last) {
			t.Fatalf("after kill %d: %d challenges committed, %d before: a challenge was lost", kills, len(recs), len(last))
		}
		for i, r := range recs {
			if i >= len(wantRecs) || !reflect.DeepEqual(r, wantRecs[i]) {
				t.Fatalf("after kill %d: challenge %d differs from the uninterrupted run's (repeated or changed)", kills, i)
			}
		}
		if len(recs) > len(last) {
			advanced++
		}
		last = recs
	}
	j, _ := q.Get(1)
	t.Logf("%d kills over %d lives, %d of them after committing challenges (start-up bound %v); job %s after %d claims: %d challenges",
		kills, lives, advanced, startup, j.State, j.Claims, j.Progress.Challenges)
	if kills < 50 {
		t.Errorf("only %d kills before the job ended", kills)
	}
	if j.State != schedule.Done || j.Result == nil {
		t.Fatalf("job: %+v", j)
	}
	gotSt, gotRecs := comparable(t, j.Result.Certificate)
	if !reflect.DeepEqual(gotSt, wantSt) || !reflect.DeepEqual(gotRecs, wantRecs) {
		a, _ := json.MarshalIndent(gotSt, "", " ")
		b, _ := json.MarshalIndent(wantSt, "", " ")
		t.Errorf("certificate after kills differs from the uninterrupted run's:\n%s\nwant\n%s", a, b)
	}
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Errorf("checkpoint left behind: %v", err)
	}
}

func TestAutostartCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	for _, c := range []struct {
		args []string
		want string
	}{{[]string{"autostart", "status"}, "off"}, {[]string{"autostart", "on"}, "starts at login"},
		{[]string{"autostart", "status"}, "on ("}, {[]string{"autostart", "off"}, "no longer"}, {[]string{"autostart", "status"}, "off"}} {
		code, out, errs := runPot(t, c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: %d %q %q, want %q", c.args, code, out, errs, c.want)
		}
	}
	if code, _, _ := runPot(t, "autostart", "maybe"); code != 2 {
		t.Errorf("autostart maybe: code %d", code)
	}
}

// TestRunQueueDiskFull: the disk fills up while the runner commits. The
// runner reports it clearly, the committed challenges and the queue stay
// as they were, and once space is back the job finishes with the
// uninterrupted run's certificate. The queue's data directory is a small
// tmpfs (internal/tmpfs: root on Linux).
func TestRunQueueDiskFull(t *testing.T) {
	dir, args, wantSt, wantRecs := resumeFixture(t)
	mnt := tmpfs.Mount(t, 1<<20)
	t.Setenv("POT_DATA_DIR", mnt)
	if code, _, errs := runPot(t, append([]string{"schedule", "add", "--out", filepath.Join(dir, "queued")}, args...)...); code != 0 {
		t.Fatal(errs)
	}
	q, err := openQueue()
	if err != nil {
		t.Fatal(err)
	}
	ck := jobCheckpoint(q, 1)
	// Run until some challenges are committed.
	cmd := potProcess(t, "run-queue")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); len(checkpointRecords(t, ck)) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	before := checkpointRecords(t, ck)
	if len(before) == 0 {
		t.Fatal("no challenge committed")
	}

	// Leave less room than a checkpoint takes: its next commit fails.
	tmpfs.Fill(t, mnt, 4<<10)
	code, _, errs := runPot(t, "run-queue")
	j, err := q.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk full: run-queue exit %d, stderr %q; job %s %q", code, errs, j.State, j.Error)
	if !strings.Contains(errs+j.Error, "no space left on device") ||
		(j.State == schedule.Failed && !strings.Contains(j.Error, "the disk is full; the checkpoint keeps every challenge committed before")) {
		t.Errorf("no clear error: exit %d, %q, job error %q", code, errs, j.Error)
	}
	if j.State == schedule.Done {
		t.Fatal("the job finished on a full disk")
	}
	if after := checkpointRecords(t, ck); !reflect.DeepEqual(after, before) {
		t.Errorf("the checkpoint changed on a full disk: %d records, %d before", len(after), len(before))
	}
	if err := q.Check(); err != nil {
		t.Errorf("queue corrupt: %v", err)
	}

	// Space is back: retry (a failed job) and finish.
	fillers, _ := filepath.Glob(filepath.Join(mnt, "filler-*"))
	for _, f := range fillers {
		os.Remove(f)
	}
	if j.State == schedule.Failed {
		if code, _, errs := runPot(t, "queue", "resume", "1"); code != 0 {
			t.Fatal(errs)
		}
	}
	if code, _, errs := runPot(t, "run-queue"); code != 0 {
		t.Fatalf("run-queue: %s", errs)
	}
	j, _ = q.Get(1)
	if j.State != schedule.Done {
		t.Fatalf("job: %+v", j)
	}
	gotSt, gotRecs := comparable(t, j.Result.Certificate)
	if !reflect.DeepEqual(gotSt, wantSt) || !reflect.DeepEqual(gotRecs, wantRecs) {
		t.Error("certificate after a full disk differs from the uninterrupted run's")
	}
}
