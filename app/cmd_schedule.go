package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/schedule"
)

func init() {
	register(command{name: "schedule", summary: "queue a verification for later (add), or set the queue's settings (config)",
		usage: "pot schedule add CANDIDATE (--ref M | --fingerprint FP) [--when now|tonight|HH:MM] [--allow-battery] [verify options]\n" +
			"pot schedule config [--tonight HH:MM-HH:MM] [--min-battery PCT] [--max-running N] [--max-crashes N]",
		help: scheduleHelp, run: cmdSchedule})
}

const scheduleHelp = `Queues a verification for the agent or 'pot run-queue': every option of
'pot verify' is accepted, plus --when (now, tonight, or HH:MM) and
--allow-battery. The job runs when its window is open and the power policy
allows (on AC by default; on battery only when allowed, throttled, and never
below the minimum charge; halved when hot, paused when critical); an
unfinished job pauses when its window closes and continues in the next.
'pot schedule config' sets the night window and those limits.
`

func cmdSchedule(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return &helpRequest{}
	}
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return scheduleAdd(args[1:], stdout, stderr)
		case "config":
			return scheduleConfig(args[1:], stdout, stderr)
		}
	}
	return fmt.Errorf("%w: pot schedule add CANDIDATE (--ref M | --fingerprint FP) [--when now|tonight|HH:MM] [--allow-battery] [verify options]\n"+
		"       pot schedule config [--tonight HH:MM-HH:MM] [--min-battery PCT] [--max-running N] [--max-crashes N]", errUsage)
}

func scheduleAdd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schedule add")
	var vf verifyFlags
	vf.register(fs)
	when := fs.String("when", "now", "when to run: now, tonight (the configured night window) or HH:MM")
	battery := fs.Bool("allow-battery", false, "run on battery power too (throttled, paused below the minimum charge)")
	asJSON := fs.Bool("json", false, "print the queued job as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (vf.ref == "") == (vf.fp == "") {
		return fmt.Errorf("%w: pot schedule add CANDIDATE (--ref MODEL | --fingerprint FP) [--when now|tonight|HH:MM] [--allow-battery]", errUsage)
	}
	now := time.Now()
	w, err := schedule.ParseWhen(*when, now)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := checkVerifyFlags(pos[0], vf); err != nil {
		return err
	}
	spec, err := newJobSpec(pos[0], vf)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	j, err := q.Add(schedule.Job{Name: filepath.Base(pos[0]), Spec: raw, Window: w, AllowBattery: *battery}, now)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, newQueueEntry(j))
	}
	fmt.Fprintf(stdout, "queued job %d: %s (%s); run it with `pot run-queue`\n", j.ID, j.Name, describeWindow(w))
	return nil
}

// checkVerifyFlags rejects at queueing time what the run would reject
// hours later: missing files, an unknown mode, a malformed seed.
func checkVerifyFlags(candidate string, vf verifyFlags) error {
	for _, p := range []string{candidate, vf.ref, vf.fp} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return err
		}
	}
	if vf.fp != "" {
		// Trust is checked now too: a queued job must not fail at night
		// over a key it could have named today.
		if _, err := fingerprintTrust("", vf.trust, vf.allowUntrusted); err != nil {
			return err
		}
	}
	if _, err := job.LookupPreset(vf.mode); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if _, err := engine.ParseStreaming(vf.streaming); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if vf.seed != "" {
		if b, err := hex.DecodeString(vf.seed); err != nil || len(b) != 32 {
			return fmt.Errorf("%w: --seed wants 64 hex digits", errUsage)
		}
	}
	return nil
}

func describeWindow(w schedule.Window) string {
	switch w.Kind {
	case schedule.Tonight:
		return "tonight"
	case schedule.At:
		return "from " + w.Start.Format("15:04 on 2 Jan")
	}
	return "now"
}

func scheduleConfig(args []string, stdout, stderr io.Writer) error {
	q, err := openQueue()
	if err != nil {
		return err
	}
	s, err := q.Settings()
	if err != nil {
		return err
	}
	fs := newFlags("schedule config")
	tonight := fs.String("tonight", s.Tonight.String(), "the night window, HH:MM-HH:MM local time")
	fs.Float64Var(&s.MinBattery, "min-battery", s.MinBattery, "battery charge (percent) below which jobs pause")
	fs.IntVar(&s.MaxRunning, "max-running", s.MaxRunning, "jobs that run at once")
	fs.IntVar(&s.MaxCrashes, "max-crashes", s.MaxCrashes, "runner deaths in a row without progress before a job fails")
	asJSON := fs.Bool("json", false, "print the settings as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: pot schedule config takes no arguments", errUsage)
	}
	if s.Tonight, err = schedule.ParseDaily(strings.ReplaceAll(*tonight, "–", "-")); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := q.SetSettings(s); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *asJSON {
		return writeJSON(stdout, s)
	}
	fmt.Fprintf(stdout, "tonight %s, minimum battery %.0f%%, %d job(s) at once, fail after %d crashes\n",
		s.Tonight, s.MinBattery, s.MaxRunning, s.MaxCrashes)
	return nil
}
