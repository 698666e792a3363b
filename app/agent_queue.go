package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/proof-of-training/pot/app/agent"
	"github.com/proof-of-training/pot/verifier/schedule"
)

// agentQueue adapts verifier/schedule's queue to agent.Queue: the agent's
// jobs are the queue's jobs, ids in decimal.
type agentQueue struct {
	q   *schedule.Queue
	now func() time.Time
}

// Add queues s as `pot schedule add` would, with the default verify
// options for what s leaves unsaid.
func (a agentQueue) Add(s agent.Spec) (string, error) {
	vf := verifyFlags{ref: s.Reference, fp: s.Fingerprint, mode: s.Mode, streaming: "auto"}
	if vf.mode == "" {
		vf.mode = "standard"
	}
	if err := checkVerifyFlags(s.Candidate, vf); err != nil {
		return "", err
	}
	now := a.now()
	w, err := schedule.ParseWhen(s.When, now)
	if err != nil {
		return "", err
	}
	spec, err := newJobSpec(s.Candidate, vf)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	j, err := a.q.Add(schedule.Job{Name: filepath.Base(s.Candidate), Spec: raw, Window: w, AllowBattery: s.AllowBattery}, now)
	if err != nil {
		return "", err
	}
	return strconv.FormatUint(j.ID, 10), nil
}

func (a agentQueue) Jobs() ([]agent.Job, error) {
	list, err := a.q.List()
	if err != nil {
		return nil, err
	}
	jobs := make([]agent.Job, len(list))
	for i, j := range list {
		jobs[i] = agentJob(j)
	}
	return jobs, nil
}

// agentJob is the agent's view of a queued job.
func agentJob(j schedule.Job) agent.Job {
	var s jobSpec
	decodeSpec(j, &s)
	out := agent.Job{ID: strconv.FormatUint(j.ID, 10), Candidate: s.Candidate, State: agent.JobState(j.State),
		Reason: j.Reason, Error: j.Error, Held: j.UserPaused}
	if out.Candidate == "" {
		out.Candidate = j.Name
	}
	if j.State == schedule.Waiting {
		out.Wait = waitKind(j.UserPaused, j.Reason)
	}
	out.Progress = overallProgress(j.Progress)
	if r := j.Result; r != nil {
		out.Verdict, out.Certificate = r.Verdict, r.Certificate
	}
	return out
}

// stageBands place each stage of a verification (verifier/job's Event
// stages, in the order they run) in the overall progress, so that the
// percentage only grows within a run. The challenge stage's total is the
// budget's maximum; a run that decides early jumps to the end.
var stageBands = map[string][2]float64{
	"hash":      {0, 0.1},
	"weights":   {0.1, 0.2},
	"calibrate": {0.2, 0.4},
	"challenge": {0.4, 1},
}

// overallProgress is a job's progress 0…1 across its stages.
func overallProgress(p schedule.Progress) float64 {
	band, ok := stageBands[p.Stage]
	if !ok || p.Total <= 0 {
		return band[0]
	}
	f := min(max(float64(p.Done)/float64(p.Total), 0), 1)
	return band[0] + f*(band[1]-band[0])
}

// waitKind classifies a waiting job's reason, as schedule.Decide words it.
func waitKind(userPaused bool, reason string) agent.Wait {
	switch {
	case userPaused:
		return agent.WaitUser
	case strings.HasPrefix(reason, "waiting for") || strings.HasPrefix(reason, "waiting until"):
		return agent.WaitWindow
	case strings.Contains(reason, "battery"):
		return agent.WaitPower
	case strings.Contains(reason, "hot") || strings.Contains(reason, "thermal"):
		return agent.WaitThermal
	}
	return ""
}

func (a agentQueue) op(id string, fn func(uint64, time.Time) (schedule.Job, error)) error {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return fmt.Errorf("job id %q is not a number", id)
	}
	_, err = fn(n, a.now())
	return err
}

func (a agentQueue) Pause(id string) error  { return a.op(id, a.q.Pause) }
func (a agentQueue) Resume(id string) error { return a.op(id, a.q.Resume) }
func (a agentQueue) Cancel(id string) error { return a.op(id, a.q.Cancel) }

// SetUserPause pauses, or resumes, every job that has not ended.
func (a agentQueue) SetUserPause(paused bool) error {
	list, err := a.q.List()
	if err != nil {
		return err
	}
	for _, j := range list {
		if j.State.Terminal() || j.UserPaused == paused {
			continue
		}
		op := a.q.Resume
		if paused {
			op = a.q.Pause
		}
		if _, err := op(j.ID, a.now()); err != nil {
			return err
		}
	}
	return nil
}
