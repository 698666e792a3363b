package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/schedule"
)

// This file is the one seam between the queue and verifier/job: the spec
// the queue stores, and the Work that runs it.

// jobSpec is what `pot schedule add` stores: a job.Spec (what to verify,
// with absolute paths so that a runner started elsewhere finds the files,
// and the trusted fingerprint keys resolved when it was queued) and where
// its certificate goes.
type jobSpec struct {
	job.Spec
	Out        string `json:"out,omitempty"`
	KeyDir     string `json:"key_dir,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"` // empty: the queue's own, per job
	NoCert     bool   `json:"no_cert,omitempty"`
}

func newJobSpec(candidate string, vf verifyFlags) (jobSpec, error) {
	s := jobSpec{Spec: job.Spec{Preset: vf.mode, Seed: vf.seed, Streaming: vf.streaming, Threads: vf.threads,
		Behaviour: vf.behaviour}, NoCert: vf.noCert}
	if vf.fp != "" {
		t, err := fingerprintTrust("", vf.trust, vf.allowUntrusted)
		if err != nil {
			return s, err
		}
		s.Trust = t
	}
	for _, p := range []struct {
		dst *string
		src string
	}{{&s.Candidate, candidate}, {&s.Reference, vf.ref},
		{&s.Fingerprint, vf.fp}, {&s.Out, vf.out}, {&s.KeyDir, vf.keyDir}, {&s.Checkpoint, vf.checkpoint}} {
		if p.src == "" {
			continue
		}
		abs, err := filepath.Abs(p.src)
		if err != nil {
			return s, err
		}
		*p.dst = abs
	}
	return s, nil
}

// flags returns the `pot verify` flags of the job; its trust is the spec's
// (set on the run's configuration by verifyWork).
func (s jobSpec) flags() verifyFlags {
	return verifyFlags{ref: s.Reference, fp: s.Fingerprint, mode: s.Preset, seed: s.Seed, out: s.Out, keyDir: s.KeyDir,
		checkpoint: s.Checkpoint, streaming: s.Streaming, threads: s.Threads, behaviour: s.Behaviour, noCert: s.NoCert,
		allowUntrusted: s.Trust.AllowUntrusted}
}

// jobFiles are the queue's files for one job.
func jobCheckpoint(q *schedule.Queue, id uint64) string {
	return filepath.Join(q.Dir(), "jobs", fmt.Sprintf("%d.checkpoint", id))
}

func jobResultFile(q *schedule.Queue, id uint64) string {
	return filepath.Join(q.Dir(), "jobs", fmt.Sprintf("%d.result.json", id))
}

// verifyWork runs queued jobs through runVerify: the job's checkpoint
// commits each challenge, the runner's Control pauses and throttles it
// between challenges. The result is written beside the checkpoint before
// the queue records it, so a runner that dies in between does not verify
// again.
func verifyWork(q *schedule.Queue, log io.Writer) schedule.Work {
	return func(ctx context.Context, j schedule.Job, c *schedule.Control) (schedule.Result, error) {
		resFile := jobResultFile(q, j.ID)
		if data, err := os.ReadFile(resFile); err == nil {
			var r schedule.Result
			if err := json.Unmarshal(data, &r); err == nil {
				return r, nil
			}
		}
		var s jobSpec
		if err := json.Unmarshal(j.Spec, &s); err != nil {
			return schedule.Result{}, fmt.Errorf("job %d: spec: %w", j.ID, err)
		}
		vf := s.flags()
		if vf.checkpoint == "" {
			vf.checkpoint = jobCheckpoint(q, j.ID)
			if err := os.MkdirAll(filepath.Dir(vf.checkpoint), 0o700); err != nil {
				return schedule.Result{}, err
			}
		}
		if t := c.Threads(); t > 0 && (vf.threads == 0 || vf.threads > t) {
			vf.threads = t
		}
		var stopped error
		challenges := j.Progress.Challenges
		out, key, res, err := runVerify(s.Candidate, vf, nil, log, func(cfg *job.Config) {
			cfg.Trust = s.Trust
			// Inside a forward batch only the duty cycle applies; a stop
			// is taken at the next committed challenge (Pause).
			cfg.Throttle = func() { _ = c.Yield() }
			cfg.Pause = func() bool {
				stopped = c.Yield()
				return stopped != nil
			}
			cfg.Progress = func(e job.Event) {
				if e.Stage == "challenge" {
					challenges = int(e.Done)
				}
				c.Report(schedule.Progress{Stage: e.Stage, Done: e.Done, Total: e.Total, Challenges: challenges})
			}
		})
		if errors.Is(err, job.ErrPaused) && stopped != nil {
			return schedule.Result{}, stopped
		}
		if err == nil {
			err = writeCertificate(out, key, res, vf)
		}
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			return schedule.Result{}, fmt.Errorf("the disk is full; the checkpoint keeps every challenge committed before; "+
				"free some space and run `pot queue resume %d`: %w", j.ID, err)
		}
		if err != nil {
			return schedule.Result{}, err
		}
		r := schedule.Result{Verdict: out.Verdict, Reason: out.Reason, N: out.N, Certificate: out.Certificate, Transcript: out.Transcript}
		err = atomicfile.WriteFile(resFile, 0o600, func(w io.Writer) error { return json.NewEncoder(w).Encode(r) })
		return r, err
	}
}

// cleanupJob removes an ended job's files.
func cleanupJob(q *schedule.Queue) func(schedule.Job) {
	return func(j schedule.Job) {
		os.Remove(jobCheckpoint(q, j.ID))
		os.Remove(jobResultFile(q, j.ID))
	}
}

// decodeSpec reads a job's spec for display; a spec from another version
// shows as empty rather than failing the listing.
func decodeSpec(j schedule.Job, s *jobSpec) { json.Unmarshal(j.Spec, s) }
