package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/proof-of-training/pot/app/agent"
	"github.com/proof-of-training/pot/app/agent/agenttest"
	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/schedule"
)

// copyFile copies a shared test file into a test's own tree.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	os.MkdirAll(filepath.Dir(dst), 0o755)
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

// TestAgentEndToEnd runs `pot agent` as its own process on a private
// session bus, with the test as the desktop: the StatusNotifierWatcher and
// menu host, the file-chooser portal and the notification server. It
// checks one agent per user, the menu, Verify Model… ending in a
// certificate and its notification, a Local Models one-click verification
// with its badge (lost when the file changes), the CLI reaching the agent
// (`pot verify --schedule`), Pause All on the real queue, and Quit.
func TestAgentEndToEnd(t *testing.T) {
	daemon := agenttest.NeedTool(t, "dbus-daemon")
	ref := testdata.Path(t, "stories260K.gguf")
	dir := t.TempDir()
	bus, err := agenttest.StartBus(daemon, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	host, err := bus.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	watcher, err := agenttest.NewWatcher(host)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := agenttest.NewNotifications(host)
	if err != nil {
		t.Fatal(err)
	}
	portal, err := agenttest.NewPortal(host)
	if err != nil {
		t.Fatal(err)
	}

	// An Ollama store holding a copy of the reference as a model blob.
	ollama := filepath.Join(dir, "ollama")
	const hex = "5a0f4e9c1d2b3a4958677685a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f"
	blob := filepath.Join(ollama, "blobs", "sha256-"+hex)
	copyFile(t, ref, blob)
	manifest := filepath.Join(ollama, "manifests", "registry.ollama.ai", "library", "stories", "260k")
	os.MkdirAll(filepath.Dir(manifest), 0o755)
	os.WriteFile(manifest, []byte(`{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+hex+`","size":1}]}`), 0o644)
	candidate := filepath.Join(dir, "downloads", "stories-copy.gguf")
	copyFile(t, ref, candidate)

	// xdg-open, as the agent runs it to show a report: it logs the file.
	bin := filepath.Join(dir, "bin")
	opened := filepath.Join(dir, "opened")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\necho \"$1\" >> "+opened+"\n"), 0o755)
	env := append(os.Environ(), "POT_TEST_MAIN=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "DBUS_SESSION_BUS_ADDRESS="+bus.Addr,
		"HOME="+filepath.Join(dir, "home"), "XDG_CACHE_HOME=", "XDG_CONFIG_HOME=", "HF_HOME=", "HF_HUB_CACHE=", "LLAMA_CACHE=",
		"OLLAMA_MODELS="+ollama, "POT_DATA_DIR="+filepath.Join(dir, "data"), "POT_CONFIG_DIR="+filepath.Join(dir, "config"))
	pot := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = env
		return cmd
	}
	var logs bytes.Buffer
	agentCmd := pot("agent")
	agentCmd.Stdout, agentCmd.Stderr = &logs, &logs
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agentCmd.Wait() }()
	defer func() {
		agentCmd.Process.Kill()
		if t.Failed() {
			t.Logf("agent output:\n%s", logs.String())
		}
	}()

	item, err := watcher.WaitItem(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	menu := func() agenttest.Node {
		t.Helper()
		n, err := agenttest.Menu(host, item)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitMenu := func(what string, labels ...string) agenttest.Node {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if n, ok := menu().Find(labels...); ok {
				return n
			}
		}
		t.Fatalf("%s: no %q in the menu:\n%s", what, labels, strings.Join(menu().Lines(""), "\n"))
		return agenttest.Node{}
	}
	click := func(labels ...string) {
		t.Helper()
		if err := agenttest.Click(host, item, waitMenu("click", labels...).ID); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one agent per user", func(t *testing.T) {
		out, err := pot("agent").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "another PoT agent is running") {
			t.Errorf("second agent: %v\n%s", err, out)
		}
	})

	t.Run("local models", func(t *testing.T) {
		waitMenu("discovery", agent.TitleLocalModels, "Ollama: stories:260k")
	})

	t.Run("verify model to certificate", func(t *testing.T) {
		portal.Queue(agenttest.Answer{Path: candidate})
		portal.Queue(agenttest.Answer{Path: ref, Choices: map[string]string{"when": "now"}})
		click(agent.TitleVerify)
		n, err := notes.Wait("Certificate ready", 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n.App != "PoT" || n.Body != "stories-copy.gguf is byte-for-byte the reference model (IDENTICAL)." {
			t.Errorf("notification %+v", n)
		}
		certs, _ := filepath.Glob(filepath.Join(dir, "data", "certificates", "*.cert.json"))
		if len(certs) != 1 {
			t.Fatalf("certificates: %v", certs)
		}
		waitMenu("the finished job", agent.TitleQueue, "stories-copy.gguf — IDENTICAL", "Open Report")
		if out, err := pot("cert", "verify", certs[0]).CombinedOutput(); err != nil && !isExit(err, exitUndecided) {
			// 3: valid, but not bound to a file (no --model).
			t.Errorf("pot cert verify: %v\n%s", err, out)
		}
		// Recent Certificates opens the HTML report, rendered by pot
		// report's code into the data directory.
		recent := waitMenu("the recent certificate", agent.TitleCerts)
		if len(recent.Children) == 0 || !strings.HasPrefix(recent.Children[0].Label(), "stories-copy.gguf — IDENTICAL · ") {
			t.Fatalf("Recent Certificates: %v", recent.Lines(""))
		}
		if err := agenttest.Click(host, item, recent.Children[0].ID); err != nil {
			t.Fatal(err)
		}
		var page string
		for deadline := time.Now().Add(10 * time.Second); page == ""; time.Sleep(20 * time.Millisecond) {
			if b, err := os.ReadFile(opened); err == nil {
				page = strings.TrimSpace(string(b))
			}
			if time.Now().After(deadline) {
				t.Fatal("no report opened")
			}
		}
		html, err := os.ReadFile(page)
		if err != nil || !strings.Contains(string(html), "IDENTICAL") || !strings.HasPrefix(page, filepath.Join(dir, "data", "reports")) {
			t.Errorf("report %s (%v): %d bytes", page, err, len(html))
		}
	})

	t.Run("local model badge", func(t *testing.T) {
		portal.Queue(agenttest.Answer{Path: ref})
		click(agent.TitleLocalModels, "Ollama: stories:260k")
		if _, err := notes.Wait("Certificate ready", 60*time.Second); err != nil {
			t.Fatal(err)
		}
		open := func() {
			host.Object(item.Service, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.Event", 0,
				int32(0), "opened", dbus.MakeVariant(""), uint32(0))
		}
		// Opening the menu rechecks the badges; open until the menu shows
		// the wanted label.
		waitBadge := func(label string) {
			t.Helper()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				open()
				if _, ok := menu().Find(agent.TitleLocalModels, label); ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no %q:\n%s", label, strings.Join(menu().Lines(""), "\n"))
				}
			}
		}
		waitBadge("Ollama: stories:260k — IDENTICAL")
		// The same bytes with a new modification time keep the badge
		// (after hashing); changed bytes withdraw it.
		later := time.Now().Add(time.Minute)
		os.Chtimes(blob, later, later)
		open()
		time.Sleep(300 * time.Millisecond)
		waitBadge("Ollama: stories:260k — IDENTICAL")
		f, _ := os.OpenFile(blob, os.O_WRONLY, 0)
		f.WriteAt([]byte{0xff}, 2000)
		f.Close()
		os.Chtimes(blob, later.Add(time.Minute), later.Add(time.Minute))
		waitBadge("Ollama: stories:260k — changed since verified")
	})

	t.Run("open with", func(t *testing.T) {
		// What a file manager's "Open With PoT" runs: the running agent
		// asks for the reference and queues the file.
		portal.Queue(agenttest.Answer{Path: ref})
		out, err := pot("agent", "--open", candidate).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "asked the running agent to verify") {
			t.Fatalf("pot agent --open: %v\n%s", err, out)
		}
		if n, err := notes.Wait("Certificate ready", 60*time.Second); err != nil || !strings.Contains(n.Body, "stories-copy.gguf") {
			t.Fatalf("%v %+v", err, n)
		}
	})

	t.Run("start at login", func(t *testing.T) {
		entry := filepath.Join(dir, "home", ".config", "autostart", "pot-runner.desktop")
		click(agent.TitleStartAtLogin)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if b, err := os.ReadFile(entry); err == nil {
				if !strings.Contains(string(b), " agent") {
					t.Errorf("login entry does not start the agent:\n%s", b)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no login entry written")
			}
		}
		for deadline := time.Now().Add(10 * time.Second); !waitMenu("toggle", agent.TitleStartAtLogin).Toggled(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("Start at Login not checked in the menu")
			}
		}
		click(agent.TitleStartAtLogin)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(entry); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("login entry not removed")
			}
		}
	})

	t.Run("cli reaches the agent and pause all", func(t *testing.T) {
		// Two hours from now, so the job waits whatever the time of day.
		now := time.Now()
		at := now.Add(2 * time.Hour)
		start := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, now.Location())
		if !start.After(now) {
			start = start.AddDate(0, 0, 1)
		}
		out, err := pot("verify", candidate, "--ref", ref, "--schedule", "--when", at.Format("15:04")).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "the running PoT agent will run it") {
			t.Fatalf("pot verify --schedule: %v\n%s", err, out)
		}
		waitMenu("the scheduled job", agent.TitleQueue, "stories-copy.gguf — waiting until "+start.Format("15:04 on 2 Jan"))
		click(agent.TitlePauseAll)
		waitMenu("Resume All", agent.TitleResumeAll)
		out, err = pot("queue", "--json").Output()
		if err != nil {
			t.Fatal(err)
		}
		var q queueOutput
		if err := json.Unmarshal(out, &q); err != nil {
			t.Fatal(err)
		}
		jobs := q.Jobs
		last := jobs[len(jobs)-1]
		if last.State != schedule.Waiting || last.Reason != "paused by the user" {
			t.Errorf("after Pause All the job is %s (%s)", last.State, last.Reason)
		}
	})

	t.Run("quit", func(t *testing.T) {
		// The agent may be gone before its reply to the click leaves; the
		// exit below is what proves the click worked.
		err := agenttest.Click(host, item, waitMenu("quit", agent.TitleQuit).ID)
		if err != nil && !agenttest.LeftWithoutReply(err) {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("agent exited with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the agent did not quit")
		}
	})
}

// isExit reports whether err is a process exit with the given status.
func isExit(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}
