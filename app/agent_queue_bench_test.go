package main

import (
	"encoding/json"
	"github.com/proof-of-training/pot/verifier/job"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/schedule"
)

// BenchmarkAgentPoll measures the agent's once-a-second look at a queue
// of 50 jobs (open the database, list, decode, close).
func BenchmarkAgentPoll(b *testing.B) {
	q, err := schedule.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	spec, _ := json.Marshal(jobSpec{Spec: job.Spec{Candidate: "/m/a.gguf", Reference: "/m/r.gguf", Preset: "standard"}})
	for range 50 {
		if _, err := q.Add(schedule.Job{Name: "a.gguf", Spec: spec}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	aq := agentQueue{q, time.Now}
	for b.Loop() {
		if jobs, err := aq.Jobs(); err != nil || len(jobs) != 50 {
			b.Fatal(len(jobs), err)
		}
	}
}
