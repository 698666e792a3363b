package agent

import "path/filepath"

// Queue is what the agent needs from the persistent job queue. The pot
// command adapts verifier/schedule's queue to it; tests use the same adapter
// or a fake.
type Queue interface {
	// Add queues a verification and returns its job id.
	Add(Spec) (string, error)
	// Jobs lists every job the queue still shows, oldest first.
	Jobs() ([]Job, error)
	// Pause, Resume and Cancel act on one job.
	Pause(id string) error
	Resume(id string) error
	Cancel(id string) error
	// SetUserPause pauses (or resumes) every job: Pause All in the menu.
	SetUserPause(paused bool) error
}

// When a queued job may run.
const (
	WhenNow     = "now"
	WhenTonight = "tonight"
)

// Spec is a verification to queue: a candidate model file and exactly one of
// a reference model file or a fingerprint.
type Spec struct {
	Candidate   string `json:"candidate"`
	Reference   string `json:"reference,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Mode        string `json:"mode,omitempty"` // preset; "" is the default
	When        string `json:"when,omitempty"` // WhenNow, WhenTonight or "HH:MM"; "" is now
	// AllowBattery lets the job run on battery power (throttled).
	AllowBattery bool `json:"allowBattery,omitempty"`
}

// JobState is a job's place in its life cycle (DESIGN.md §7).
type JobState string

// The states, as verifier/schedule names them.
const (
	Queued    JobState = "queued"
	Waiting   JobState = "waiting" // for its window, power or a user pause; Reason says which
	Running   JobState = "running"
	Paused    JobState = "paused" // by the user
	Done      JobState = "done"
	Failed    JobState = "failed"
	Cancelled JobState = "cancelled"
)

// Job is the agent's view of one queued verification.
type Job struct {
	ID          string   `json:"id"`
	Candidate   string   `json:"candidate"`
	State       JobState `json:"state"`
	Held        bool     `json:"held,omitempty"`    // paused by the user (Pause, Pause All) until Resume
	Wait        Wait     `json:"wait,omitempty"`    // what a waiting job waits for
	Reason      string   `json:"reason,omitempty"`  // why it waits or is paused, in words
	Progress    float64  `json:"progress"`          // 0…1
	Verdict     string   `json:"verdict,omitempty"` // once done
	Certificate string   `json:"certificate,omitempty"`
	Error       string   `json:"error,omitempty"` // once failed
	// Label, if set, is what people call the candidate (an Ollama model's
	// name, say); the agent sets it for models it found.
	Label string `json:"label,omitempty"`
}

// ended reports whether the job is over.
func (j Job) ended() bool { return j.State == Done || j.State == Failed || j.State == Cancelled }

// Name is how menus and notifications name the job: its Label, else the
// candidate's file name.
func (j Job) Name() string {
	if j.Label != "" {
		return j.Label
	}
	return filepath.Base(j.Candidate)
}

// Wait classifies why a job waits, so the icon and notifications can tell a
// job scheduled for tonight from one the battery stopped.
type Wait string

// The kinds of waiting.
const (
	WaitWindow  Wait = "window"  // its run window has not opened
	WaitPower   Wait = "power"   // on battery, or the battery is low
	WaitThermal Wait = "thermal" // the machine is too hot
	WaitUser    Wait = "user"    // Pause All
)
