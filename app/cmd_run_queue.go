package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/proof-of-training/pot/internal/power"
	"github.com/proof-of-training/pot/verifier/schedule"
)

func init() {
	register(command{name: "run-queue", summary: "run queued verifications (the agent's runner; also headless)",
		usage: "pot run-queue [--watch]", help: runQueueHelp, run: cmdRunQueue})
}

const runQueueHelp = `Run-queue runs the queued verifications one after another, each when its
window is open and the power policy allows, keeping the machine awake
while one runs. Without --watch it exits when nothing may run now; with it
it waits for work (the agent and the start-at-login entry use it). Several
runners never run the same job. It logs one line per event on stderr.
`

func cmdRunQueue(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run-queue")
	watch := fs.Bool("watch", false, "keep waiting for work instead of exiting when nothing may run")
	heartbeat := fs.Duration("heartbeat", 5*time.Second, "how often the lease is renewed and power re-checked")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *heartbeat <= 0 {
		return usageErrorf("run-queue takes no arguments, and a positive --heartbeat")
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	var nonce [4]byte
	rand.Read(nonce[:])
	src, inh := power.New()
	r := &schedule.Runner{Queue: q, Work: verifyWork(q, stderr), Cleanup: cleanupJob(q),
		Owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(nonce[:])),
		Power: src, Inhibitor: inh, Cores: runtime.NumCPU(), Heartbeat: *heartbeat, Lease: 12 * *heartbeat,
		Log: func(format string, args ...any) {
			fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return r.Run(ctx, *watch)
}
