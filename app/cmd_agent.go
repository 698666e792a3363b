package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/proof-of-training/pot/app/agent"
	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/internal/autostart"
	"github.com/proof-of-training/pot/internal/localmodels"
	"github.com/proof-of-training/pot/internal/power"
	"github.com/proof-of-training/pot/verifier/report"
	"github.com/proof-of-training/pot/verifier/schedule"
)

func init() {
	register(command{name: "agent", summary: "run the menu-bar / tray agent and its queue runner (one per user)",
		usage: "pot agent [--open MODEL.gguf]", run: cmdAgent})
}

// agentPoll is how often the agent's runner looks for newly queued work
// (a job queued from the menu or the CLI starts within this time).
const agentPoll = 2 * time.Second

// cmdAgent runs the agent: the tray, the queue runner, and the socket CLI
// commands reach it through. With --open FILE it asks the running agent (or
// a new one) to verify FILE.
func cmdAgent(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("agent")
	open := fs.String("open", "", "verify this model file: ask for its reference, then queue it")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: pot agent [--open MODEL.gguf]", errUsage)
	}
	env := appdirs.OSEnv()
	cfgDir, err := appdirs.Config(env)
	if err != nil {
		return err
	}
	release, err := agent.Lock(cfgDir)
	if errors.Is(err, agent.ErrRunning) {
		if *open != "" {
			return openInRunningAgent(cfgDir, *open, stdout)
		}
		return fmt.Errorf("%w; it serves %s", err, filepath.Join(cfgDir, agent.SocketName))
	}
	if err != nil {
		return err
	}
	defer release()
	dataDir, err := appdirs.Data(env)
	if err != nil {
		return err
	}
	certDir, err := appdirs.Certificates(env)
	if err != nil {
		return err
	}
	q, err := openQueue()
	if err != nil {
		return err
	}
	logger := log.New(stderr, "", log.Ltime)
	a, err := agent.New(agent.Config{
		Queue: agentQueue{q, time.Now}, DataDir: dataDir, CertDir: certDir,
		Roots:   localmodels.DefaultRoots(localmodels.OSEnv()),
		Chooser: agent.NewChooser(), Notifier: agent.NewNotifier(),
		OpenReport: func(c string) error { return openReport(c, dataDir) },
		Autostart:  agentAutostart{env, dataDir},
		Log:        logger.Printf,
	})
	if err != nil {
		return err
	}
	l, err := agent.Listen(cfgDir)
	if err != nil {
		return err
	}
	defer l.Close()
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(sigCtx)
	defer cancel()
	go agent.Serve(l, func(r agent.Request) agent.Response { return a.Handle(ctx, r) })
	runnerDone := make(chan struct{})
	go func() {
		runAgentQueue(ctx, q, logger)
		close(runnerDone)
	}()
	if *open != "" {
		go a.Do(ctx, agent.Action{Kind: agent.ActVerifyFile, Arg: *open})
	}
	fmt.Fprintf(stdout, "pot agent: running (pid %d); socket %s\n", os.Getpid(), filepath.Join(cfgDir, agent.SocketName))
	// On the way out, stop the runner and let it commit where the job got
	// to (it stops after the challenge in flight).
	return agent.RunTray(ctx, a, func() {
		cancel()
		select {
		case <-runnerDone:
		case <-time.After(agentStopWait):
			logger.Printf("the queue runner did not stop within %v; its job resumes from its last checkpoint", agentStopWait)
		}
	})
}

// agentStopWait bounds how long Quit waits for the job in flight to stop:
// one challenge of a large model on a slow machine.
const agentStopWait = 30 * time.Second

// agentAutostart is Start at Login: the login entry runs `pot agent`
// (which runs the queue too) in place of `pot autostart on`'s bare runner.
type agentAutostart struct {
	env     appdirs.Env
	dataDir string
}

func (s agentAutostart) Enabled() (bool, error) {
	on, _, err := autostart.Enabled(s.env)
	return on, err
}

func (s agentAutostart) SetEnabled(on bool) error {
	if !on {
		_, err := autostart.Disable(s.env)
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	_, err = autostart.Enable(s.env, autostart.Entry{Program: exe, Args: []string{"agent"},
		LogPath: filepath.Join(s.dataDir, "agent.log")})
	return err
}

// runAgentQueue runs the queue's jobs for as long as the agent runs.
func runAgentQueue(ctx context.Context, q *schedule.Queue, logger *log.Logger) {
	host, _ := os.Hostname()
	var nonce [4]byte
	rand.Read(nonce[:])
	src, inh := power.New()
	r := &schedule.Runner{Queue: q, Work: verifyWork(q, logger.Writer()), Cleanup: cleanupJob(q),
		Owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(nonce[:])),
		Power: src, Inhibitor: inh, Cores: runtime.NumCPU(), Poll: agentPoll, Log: logger.Printf}
	if err := r.Run(ctx, true); err != nil && ctx.Err() == nil {
		logger.Printf("queue runner stopped: %v", err)
	}
}

// openInRunningAgent hands a file to the agent already running.
func openInRunningAgent(cfgDir, file string, stdout io.Writer) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	if _, err := agent.Call(cfgDir, agent.Request{Op: "open", Path: abs}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pot agent: asked the running agent to verify %s\n", abs)
	return nil
}

// openReport renders a certificate's HTML report (as `pot report` does,
// marking a certificate that does not verify) into the data directory and
// opens it in the user's browser.
func openReport(certPath, dataDir string) error {
	in, err := reportInput(certPath, certFlags{}, true)
	if err != nil {
		return err
	}
	dir := filepath.Join(dataDir, "reports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(certPath), ".json")+".html")
	if err := atomicfile.WriteFile(out, 0o600, func(w io.Writer) error { return report.Write(w, *in) }); err != nil {
		return err
	}
	return openInBrowser(out)
}

// scheduleFromVerify is `pot verify --schedule`: the arguments go to
// `pot schedule add` (without --schedule), and a running agent is told to
// look at the queue at once.
func scheduleFromVerify(args []string, stdout, stderr io.Writer) error {
	var rest []string
	for _, a := range args {
		if a == "--schedule" || a == "-schedule" || a == "--schedule=true" || a == "-schedule=true" {
			continue
		}
		rest = append(rest, a)
	}
	if err := scheduleAdd(rest, stdout, stderr); err != nil {
		return err
	}
	if dir, err := appdirs.Config(appdirs.OSEnv()); err == nil {
		if _, err := agent.Call(dir, agent.Request{Op: "refresh"}); err == nil {
			fmt.Fprintln(stdout, "the running PoT agent will run it")
		}
	}
	return nil
}
