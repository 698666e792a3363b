package main

import (
	"encoding/json"
	"github.com/proof-of-training/pot/verifier/job"
	"testing"

	"github.com/proof-of-training/pot/app/agent"
	"github.com/proof-of-training/pot/verifier/schedule"
)

// TestWaitKind classifies the reasons schedule.Decide and the queue give.
func TestWaitKind(t *testing.T) {
	tests := []struct {
		user   bool
		reason string
		want   agent.Wait
	}{
		{true, "paused by the user", agent.WaitUser},
		{false, "waiting for tonight's window 01:00–06:00", agent.WaitWindow},
		{false, "waiting until 10:00 on 2 Dec", agent.WaitWindow},
		{false, "on battery power (the job runs on AC power only; allow battery to change that)", agent.WaitPower},
		{false, "on battery at 20%, below 30%", agent.WaitPower},
		{false, "the machine is critically hot", agent.WaitThermal},
		{false, "", ""},
	}
	for _, tt := range tests {
		if got := waitKind(tt.user, tt.reason); got != tt.want {
			t.Errorf("waitKind(%v, %q) = %q, want %q", tt.user, tt.reason, got, tt.want)
		}
	}
}

func TestAgentJob(t *testing.T) {
	spec, _ := json.Marshal(jobSpec{Spec: job.Spec{Candidate: "/m/a.gguf", Reference: "/m/r.gguf"}})
	j := agentJob(schedule.Job{ID: 7, Name: "a.gguf", Spec: spec, State: schedule.Done,
		Progress: schedule.Progress{Stage: "challenge", Done: 30, Total: 120},
		Result:   &schedule.Result{Verdict: "SAME", Certificate: "/c/x.cert.json"}})
	want := agent.Job{ID: "7", Candidate: "/m/a.gguf", State: agent.Done, Progress: 0.55, Verdict: "SAME", Certificate: "/c/x.cert.json"}
	if j != want {
		t.Errorf("got  %+v\nwant %+v", j, want)
	}
	w := agentJob(schedule.Job{ID: 8, Name: "b.gguf", State: schedule.Waiting, Reason: "on battery at 20%, below 30%"})
	if w.Wait != agent.WaitPower || w.Candidate != "b.gguf" {
		t.Errorf("waiting job %+v", w)
	}
}

func TestOverallProgress(t *testing.T) {
	tests := []struct {
		p    schedule.Progress
		want float64
	}{
		{schedule.Progress{}, 0},
		{schedule.Progress{Stage: "hash", Done: 50, Total: 100}, 0.05},
		{schedule.Progress{Stage: "weights", Done: 1, Total: 1}, 0.2},
		{schedule.Progress{Stage: "calibrate", Done: 0, Total: 64}, 0.2},
		{schedule.Progress{Stage: "challenge", Done: 500, Total: 1000}, 0.7},
		{schedule.Progress{Stage: "challenge", Done: 2000, Total: 1000}, 1},
		{schedule.Progress{Stage: "challenge"}, 0.4},
	}
	for _, tt := range tests {
		if got := overallProgress(tt.p); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("%+v: %v, want %v", tt.p, got, tt.want)
		}
	}
}
