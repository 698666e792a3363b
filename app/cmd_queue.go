package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/verifier/schedule"
)

func init() {
	register(command{name: "queue", summary: "list queued verifications, or pause, resume or cancel one",
		usage: "pot queue [--json]\npot queue pause|resume|cancel ID", run: cmdQueue})
}

// openQueue opens the user's queue ($POT_DATA_DIR/queue or the platform's
// data directory).
func openQueue() (*schedule.Queue, error) {
	dir, err := appdirs.Queue(appdirs.OSEnv())
	if err != nil {
		return nil, err
	}
	return schedule.Open(dir)
}

// queueEntry is one job in `pot queue --json`.
type queueEntry struct {
	ID       uint64            `json:"id"`
	Name     string            `json:"name"`
	State    schedule.State    `json:"state"`
	Reason   string            `json:"reason,omitempty"`
	Window   schedule.Window   `json:"window"`
	Progress schedule.Progress `json:"progress"`
	Result   *schedule.Result  `json:"result,omitempty"`
	Error    string            `json:"error,omitempty"`
	Spec     jobSpec           `json:"spec"`
	Added    time.Time         `json:"added"`
	Updated  time.Time         `json:"updated"`
}

func newQueueEntry(j schedule.Job) queueEntry {
	e := queueEntry{ID: j.ID, Name: j.Name, State: j.State, Reason: j.Reason, Window: j.Window, Progress: j.Progress,
		Result: j.Result, Error: j.Error, Added: j.Added, Updated: j.Updated}
	decodeSpec(j, &e.Spec)
	return e
}

func cmdQueue(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "pause" || args[0] == "resume" || args[0] == "cancel") {
		return queueOp(args[0], args[1:], stdout)
	}
	fs := newFlags("queue")
	asJSON := fs.Bool("json", false, "print the jobs as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: pot queue [--json] | pot queue pause|resume|cancel ID", errUsage)
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	js, err := q.List()
	if err != nil {
		return err
	}
	entries := make([]queueEntry, 0, len(js))
	for _, j := range js {
		entries = append(entries, newQueueEntry(j))
	}
	if *asJSON {
		return writeJSON(stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "the queue is empty")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tJOB\tSTATE\tPROGRESS\tDETAIL")
	for _, e := range entries {
		detail := e.Reason
		switch {
		case e.Result != nil:
			detail = fmt.Sprintf("%s after %d challenges: %s", e.Result.Verdict, e.Result.N, e.Result.Certificate)
		case e.Error != "":
			detail = e.Error
		}
		prog := "-"
		if e.Progress.Challenges > 0 {
			prog = fmt.Sprintf("%d challenges", e.Progress.Challenges)
		} else if e.Progress.Stage != "" {
			prog = e.Progress.Stage
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.State, prog, detail)
	}
	return tw.Flush()
}

// queueOp pauses, resumes (or retries, when failed) or cancels a job.
func queueOp(name string, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: pot queue %s ID", errUsage, name)
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: job ID %q is not a number", errUsage, args[0])
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	prev, err := q.Get(id)
	if err != nil {
		return queueError(err)
	}
	op := map[string]func(uint64, time.Time) (schedule.Job, error){"pause": q.Pause, "resume": q.Resume, "cancel": q.Cancel}[name]
	j, err := op(id, time.Now())
	if err != nil {
		return queueError(err)
	}
	if j.State == schedule.Cancelled && prev.State != schedule.Running {
		cleanupJob(q)(j) // a running job's runner cleans up when it stops
	}
	fmt.Fprintf(stdout, "job %d: %s %s\n", j.ID, j.State, j.Reason)
	return nil
}

// queueError gives a job that does not exist, or cannot take the operation
// in its state, the status of bad input (4): the queue itself is fine.
func queueError(err error) error {
	if errors.Is(err, schedule.ErrNotFound) || errors.Is(err, schedule.ErrState) {
		return exitWith(exitBadInput, err)
	}
	return err
}
