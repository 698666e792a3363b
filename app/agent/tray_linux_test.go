package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proof-of-training/pot/app/agent/agenttest"
)

// bus is the private session bus of this test process, started in
// TestMain before anything connects to the session bus (godbus's
// SessionBus is a process-wide singleton); nil when dbus-daemon is missing.
var bus *agenttest.Bus

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pot-agent-bus")
	if err != nil {
		panic(err)
	}
	if daemon, err := exec.LookPath("dbus-daemon"); err == nil {
		if bus, err = agenttest.StartBus(daemon, dir); err != nil {
			fmt.Fprintln(os.Stderr, "dbus-daemon:", err)
			os.Exit(1)
		}
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	}
	code := m.Run()
	if bus != nil {
		bus.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// nextRequest is the portal's next dialog request.
func nextRequest(t *testing.T, p *agenttest.Portal) agenttest.Request {
	t.Helper()
	select {
	case r := <-p.Requests:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no file dialog opened")
		return agenttest.Request{}
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestTrayOverDBus runs the agent's tray on a private bus and drives it as
// a desktop does: the test is the StatusNotifierWatcher and host, reads the
// menu with dbusmenu GetLayout, clicks with Event("clicked"), answers the
// file dialogs as the xdg-desktop-portal, and receives the notifications.
// fyne.io/systray keeps process-wide state, so this is the package's only
// tray test.
func TestTrayOverDBus(t *testing.T) {
	if bus == nil {
		agenttest.NeedTool(t, "dbus-daemon")
	}
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

	data := t.TempDir()
	models := t.TempDir()
	candidate := filepath.Join(models, "tiny_Q4_0.gguf") // dbusmenu escapes the underscores
	os.WriteFile(candidate, []byte("GGUF\x03\x00\x00\x00"), 0o644)
	fp := filepath.Join(data, FingerprintsDir, "tiny.potfp")
	q := &fakeQueue{jobs: []Job{{ID: "1", Candidate: "/m/old.gguf", State: Running, Progress: 0.25}}}
	a, err := New(Config{Queue: q, DataDir: data, Chooser: NewChooser(), Notifier: NewNotifier(),
		Roots: rootsWith(models), Poll: 20 * time.Millisecond, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(fp, []byte("POTFP\x00v1"), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunTray(ctx, a, nil) }()

	item, err := watcher.WaitItem(5 * time.Second)
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
	click := func(labels ...string) {
		t.Helper()
		n, ok := menu().Find(labels...)
		if !ok {
			t.Fatalf("no menu item %q in\n%s", labels, strings.Join(menu().Lines(""), "\n"))
		}
		if err := agenttest.Click(host, item, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	prop := func(name string) any {
		v, err := agenttest.Property(host, item, name)
		if err != nil {
			t.Fatal(err)
		}
		return v.Value()
	}

	t.Run("layout", func(t *testing.T) {
		// The menu on the bus is the menu BuildMenu decided, item for item.
		var got, want []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			want = titles(BuildMenu(a.View()), "")
			if got = menu().Lines(""); reflect.DeepEqual(got, want) {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("menu on the bus:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		for _, l := range []string{"Local Models/Folder: tiny_Q4_0.gguf", "Queue/old.gguf — verifying, 25%/Pause"} {
			if !strings.Contains(strings.Join(want, "\n"), l) {
				t.Errorf("menu lacks %q", l)
			}
		}
	})

	t.Run("icon", func(t *testing.T) {
		eventually(t, "the working title", func() bool { return prop("Title") == "25%" })
		if tip := fmt.Sprint(prop("ToolTip")); !strings.Contains(tip, "Verifying old.gguf: 25%") {
			t.Errorf("tooltip %s", tip)
		}
		px, ok := prop("IconPixmap").([][]any)
		if !ok || len(px) == 0 || px[0][0].(int32) != 64 {
			t.Errorf("IconPixmap %T %v, want a 64 px icon", prop("IconPixmap"), ok)
		}
	})

	t.Run("pause all", func(t *testing.T) {
		click(TitlePauseAll)
		eventually(t, "the queue paused", func() bool { _, p, _ := q.snapshot(); return p })
		eventually(t, "Resume All in the menu", func() bool { _, ok := menu().Find(TitleResumeAll); return ok })
		click(TitleResumeAll)
		eventually(t, "the queue resumed", func() bool { _, p, _ := q.snapshot(); return !p })
	})

	t.Run("job pause", func(t *testing.T) {
		click(TitleQueue, "old.gguf — verifying, 25%", "Pause")
		eventually(t, "the job paused", func() bool { _, _, c := q.snapshot(); return slices.Contains(c, "pause 1") })
	})

	t.Run("run on battery", func(t *testing.T) {
		click(TitleRunOnBattery)
		eventually(t, "the toggle", func() bool { n, _ := menu().Find(TitleRunOnBattery); return n.Toggled() })
	})

	t.Run("verify model", func(t *testing.T) {
		portal.Queue(agenttest.Answer{Path: candidate})
		portal.Queue(agenttest.Answer{Path: fp, Choices: map[string]string{choiceWhen: WhenTonight}})
		click(TitleVerify)
		eventually(t, "a queued job", func() bool { added, _, _ := q.snapshot(); return len(added) == 1 })
		added, _, _ := q.snapshot()
		want := Spec{Candidate: candidate, Fingerprint: fp, When: WhenTonight, AllowBattery: true}
		if !reflect.DeepEqual(added[0], want) {
			t.Errorf("queued %+v, want %+v", added[0], want)
		}
		first, second := nextRequest(t, portal), nextRequest(t, portal)
		if !strings.HasPrefix(first.Title, "Verify Model") || !strings.Contains(second.Title, "tiny_Q4_0.gguf") {
			t.Errorf("dialog titles %q, %q", first.Title, second.Title)
		}
		var folder []byte
		second.Options["current_folder"].Store(&folder)
		if string(folder) != filepath.Join(data, FingerprintsDir)+"\x00" {
			t.Errorf("reference dialog opens in %q", folder)
		}
		if _, ok := second.Options["choices"]; !ok {
			t.Error("reference dialog asks no Now/Tonight choice")
		}
	})

	t.Run("cancelled dialog queues nothing", func(t *testing.T) {
		portal.Queue(agenttest.Answer{Cancel: true})
		click(TitleVerify)
		nextRequest(t, portal)
		time.Sleep(100 * time.Millisecond)
		if added, _, _ := q.snapshot(); len(added) != 1 {
			t.Errorf("%d jobs queued after a cancelled dialog", len(added))
		}
	})

	t.Run("add folder", func(t *testing.T) {
		extra := t.TempDir()
		os.WriteFile(filepath.Join(extra, "extra.gguf"), []byte("GGUF\x03\x00\x00\x00"), 0o644)
		portal.Queue(agenttest.Answer{Path: extra})
		click(TitleLocalModels, TitleAddFolder)
		r := nextRequest(t, portal)
		var dir bool
		if v, ok := r.Options["directory"]; !ok || v.Store(&dir) != nil || !dir {
			t.Errorf("Add Folder… asked for a file, not a folder: %v", r.Options)
		}
		eventually(t, "the folder's model in the menu", func() bool {
			_, ok := menu().Find(TitleLocalModels, "Folder: extra.gguf")
			return ok
		})
	})

	t.Run("notifications", func(t *testing.T) {
		q.set(Job{ID: "1", Candidate: "/m/old.gguf", State: Waiting, Wait: WaitPower, Reason: "on battery power"})
		n, err := notes.Wait("Verification paused", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n.App != "PoT" || !strings.Contains(n.Body, "old.gguf: paused, on battery power") {
			t.Errorf("pause notification %+v", n)
		}
		q.set(Job{ID: "1", Candidate: "/m/old.gguf", State: Done, Verdict: "DIFFERENT", Certificate: "/c/old.cert.json"})
		n, err = notes.Wait("Certificate ready", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n.Body != "old.gguf is NOT the reference model (DIFFERENT)." {
			t.Errorf("certificate notification body %q", n.Body)
		}
		eventually(t, "the attention icon", func() bool {
			tip := fmt.Sprint(prop("ToolTip"))
			return strings.Contains(tip, "DIFFERENT from its reference")
		})
		if s := a.Status(); s.Icon != IconAttention {
			t.Errorf("icon %v, want attention", s.Icon)
		}
	})

	t.Run("quit", func(t *testing.T) {
		// The tray may leave the bus before its reply to the click does;
		// the return of Run below is what proves the click worked.
		n, ok := menu().Find(TitleQuit)
		if !ok {
			t.Fatal("no Quit item")
		}
		if err := agenttest.Click(host, item, n.ID); err != nil && !agenttest.LeftWithoutReply(err) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the agent did not quit")
		}
	})
}
