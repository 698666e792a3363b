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
		usage: "pot schedule add CANDIDATE (--ref MODEL | --fingerprint FP) [--when now|tonight|HH:MM] [--allow-battery] [verify flags]\n" +
			"pot schedule config [--tonight HH:MM-HH:MM] [--min-battery PCT] [--max-running N] [--max-crashes N]",
		help: scheduleHelp, run: cmdSchedule})
}

const scheduleHelp = `Schedule add queues a verification; ` + "`pot run-queue`" + ` runs it when its window
is open and the power policy allows: now, tonight (the night window,
01:00–06:00 unless configured) or from a time of day. It takes every flag
of ` + "`pot verify`" + ` (see pot verify --help). A job runs on AC power only unless
--allow-battery, which runs it throttled and pauses it below the minimum
charge. Each challenge is committed before the next, so a job survives
crashes, sleep and reboots and continues where it stopped.

Schedule config shows the queue's settings, changing those given.
`

func cmdSchedule(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("missing subcommand: add or config")
	}
	switch args[0] {
	case "add":
		return scheduleAdd(args[1:], stdout, stderr)
	case "config":
		return scheduleConfig(args[1:], stdout)
	}
	if isHelpArg(args[0]) {
		return &helpRequest{}
	}
	return usageErrorf("unknown subcommand %q: want add or config", args[0])
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
	if err := vf.check(pos); err != nil {
		return err
	}
	now := time.Now()
	w, err := schedule.ParseWhen(*when, now)
	if err != nil {
		return usageErrorf("%v", err)
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
		if err := writeJSON(stdout, queueOutput{Format: queueFormat, Jobs: []queueEntry{newQueueEntry(j)}}); err != nil {
			return outputError(err)
		}
		return nil
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
	if _, err := job.LookupPreset(vf.mode); err != nil {
		return usageErrorf("%v", err)
	}
	if _, err := engine.ParseStreaming(vf.streaming); err != nil {
		return usageErrorf("%v", err)
	}
	if vf.seed != "" {
		if b, err := hex.DecodeString(vf.seed); err != nil || len(b) != 32 {
			return usageErrorf("--seed wants 64 hex digits")
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

// scheduleConfigFormat names and versions `pot schedule config --json`.
const scheduleConfigFormat = "pot.schedule-config/v1"

func scheduleConfig(args []string, stdout io.Writer) error {
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
		return usageErrorf("schedule config takes no arguments")
	}
	if s.Tonight, err = schedule.ParseDaily(strings.ReplaceAll(*tonight, "–", "-")); err != nil {
		return usageErrorf("%v", err)
	}
	if err := q.SetSettings(s); err != nil {
		return usageErrorf("%v", err)
	}
	if *asJSON {
		out := struct {
			Format string `json:"format"`
			schedule.Settings
		}{scheduleConfigFormat, s}
		if err := writeJSON(stdout, out); err != nil {
			return outputError(err)
		}
		return nil
	}
	fmt.Fprintf(stdout, "tonight %s, minimum battery %.0f%%, %d job(s) at once, fail after %d crashes\n",
		s.Tonight, s.MinBattery, s.MaxRunning, s.MaxCrashes)
	return nil
}
