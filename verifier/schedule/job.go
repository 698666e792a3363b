package schedule

import (
	"encoding/json"
	"time"
)

// State is where a job is in its life.
type State string

const (
	Queued    State = "queued"    // waiting for a runner
	Waiting   State = "waiting"   // held back: window, power or user pause (Job.Reason says which)
	Running   State = "running"   // a runner holds its lease
	Done      State = "done"      // finished with a Result
	Failed    State = "failed"    // finished with an Error
	Cancelled State = "cancelled" // stopped by the user
)

// Terminal says whether the job is over.
func (s State) Terminal() bool { return s == Done || s == Failed || s == Cancelled }

// Job is one queued verification.
type Job struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"` // for people: the candidate's file name
	// Spec says what to do; the queue stores it as it is and hands it to
	// the Work function.
	Spec         json.RawMessage `json:"spec"`
	Window       Window          `json:"window"`
	AllowBattery bool            `json:"allow_battery,omitempty"`

	State      State    `json:"state"`
	Reason     string   `json:"reason,omitempty"` // why waiting or throttled
	UserPaused bool     `json:"user_paused,omitempty"`
	Progress   Progress `json:"progress"`
	Result     *Result  `json:"result,omitempty"` // once done
	Error      string   `json:"error,omitempty"`  // once failed

	Lease   *Lease `json:"lease,omitempty"` // while running
	Claims  int    `json:"claims"`          // times a runner took the job
	Crashes int    `json:"crashes"`         // runners that died in a row without progress

	Added   time.Time `json:"added"`
	Updated time.Time `json:"updated"`
}

// Progress is how far a job got, as its Work reports it.
type Progress struct {
	Stage string `json:"stage,omitempty"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	// Challenges committed so far: the measure of progress that survives
	// a crash.
	Challenges int `json:"challenges"`
}

// Result is a finished job's outcome.
type Result struct {
	Verdict     string `json:"verdict"`
	Reason      string `json:"reason,omitempty"`
	N           int    `json:"n"`
	Certificate string `json:"certificate,omitempty"`
	Transcript  string `json:"transcript,omitempty"`
}

// Lease is a runner's claim on a running job.
type Lease struct {
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
	// Challenges when the lease was taken or last showed progress: a
	// runner that dies before passing it counts as a crash.
	Challenges int `json:"challenges"`
}
