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
		usage: "pot queue [--json]\npot queue pause|resume|cancel ID", help: queueHelp, run: cmdQueue})
}

const queueHelp = `Queue lists the queued verifications: each job's id, state (queued,
waiting, running, done, failed, cancelled), why it waits, how far it got
and, once done, its verdict and certificate. Pause holds a job back (a
running one stops after the challenge in flight), resume lets it go on (on
a failed job: retries it from its checkpoint), cancel ends it.
`

// openQueue opens the user's queue ($POT_DATA_DIR/queue or the platform's
// data directory).
func openQueue() (*schedule.Queue, error) {
	dir, err := appdirs.Queue(appdirs.OSEnv())
	if err != nil {
		return nil, err
	}
	return schedule.Open(dir)
}

// queueFormat names and versions the --json output of `pot queue` and
// `pot schedule add`: {"format": …, "jobs": [queueEntry…]}.
const queueFormat = "pot.queue/v1"

type queueOutput struct {
	Format string       `json:"format"`
	Jobs   []queueEntry `json:"jobs"`
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
		return usageErrorf("unknown subcommand %q: want pause, resume or cancel", pos[0])
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
		if err := writeJSON(stdout, queueOutput{Format: queueFormat, Jobs: entries}); err != nil {
			return outputError(err)
		}
		return nil
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
			detail = fmt.Sprintf("%s, certificate %s", e.Result.Verdict, e.Result.Certificate)
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
		return usageErrorf("queue %s wants one job ID", name)
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return usageErrorf("job ID %q is not a number", args[0])
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	prev, err := q.Get(id)
	if errors.Is(err, schedule.ErrNotFound) {
		return usageErrorf("no job %d in the queue (see pot queue)", id)
	}
	if err != nil {
		return err
	}
	op := map[string]func(uint64, time.Time) (schedule.Job, error){"pause": q.Pause, "resume": q.Resume, "cancel": q.Cancel}[name]
	j, err := op(id, time.Now())
	if errors.Is(err, schedule.ErrState) {
		return usageErrorf("%v", err)
	}
	if err != nil {
		return err
	}
	if j.State == schedule.Cancelled && prev.State != schedule.Running {
		cleanupJob(q)(j) // a running job's runner cleans up when it stops
	}
	fmt.Fprintf(stdout, "job %d: %s %s\n", j.ID, j.State, j.Reason)
	return nil
}
