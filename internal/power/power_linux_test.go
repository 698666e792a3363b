package power

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/proof-of-training/pot/internal/testdata"

	"github.com/proof-of-training/pot/verifier/schedule"
)

// The tests below run the real D-Bus code against python3-dbusmock's
// UPower, logind and power-profiles-daemon templates on a private bus
// (.ci/run installs dbus and python3-dbusmock).

// need skips (or, with POT_REQUIRE_SYSTEM=1, fails) without the tools.
func need(t *testing.T) {
	t.Helper()
	_, err1 := exec.LookPath("dbus-daemon")
	err2 := exec.Command(systemPython, "-c", "import dbusmock").Run()
	if err1 != nil {
		testdata.Missing(t, "dbus-daemon", "apt-get install dbus")
	}
	if err2 != nil {
		testdata.Missing(t, "python3-dbusmock for "+systemPython, "apt-get install python3-dbusmock")
	}
}

// systemPython is Debian's interpreter, the one python3-dbusmock is
// installed for (a pyenv python3 first on PATH lacks the dbus module).
const systemPython = "/usr/bin/python3"

// privateBus starts a dbus-daemon and makes it the system bus.
func privateBus(t *testing.T) {
	need(t)
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1", "--address=unix:dir="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", strings.TrimSpace(addr))
}

// mock starts a dbusmock template and waits until it owns its name.
func mock(t *testing.T, template, name, params string) {
	args := []string{"-m", "dbusmock", "--system", "--template", template}
	if params != "" {
		args = append(args, "-p", params)
	}
	cmd := exec.Command(systemPython, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	conn := bus(t)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var has bool
		if conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has) == nil && has {
			return
		}
	}
	t.Fatalf("dbusmock %s never owned %s", template, name)
}

func bus(t *testing.T) *dbus.Conn {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func call(t *testing.T, obj dbus.BusObject, method string, args ...any) *dbus.Call {
	t.Helper()
	c := obj.Call(method, 0, args...)
	if c.Err != nil {
		t.Fatalf("%s: %v", method, c.Err)
	}
	return c
}

// upowerMock is a UPower with an AC adapter and a battery at pct.
func upowerMock(t *testing.T, pct float64) (setAC func(onAC bool, pct float64)) {
	mock(t, "upower", upowerName, "")
	conn := bus(t)
	up := conn.Object(upowerName, upowerPath)
	call(t, up, "org.freedesktop.DBus.Mock.AddAC", "mock_AC", "Mock AC")
	var bat dbus.ObjectPath
	call(t, up, "org.freedesktop.DBus.Mock.AddDischargingBattery", "mock_BAT", "Mock Battery", pct, int64(3600)).Store(&bat)
	return func(onAC bool, pct float64) {
		call(t, up, "org.freedesktop.DBus.Properties.Set", upowerName, "OnBattery", dbus.MakeVariant(!onAC))
		call(t, up, "org.freedesktop.DBus.Mock.SetDeviceProperties", bat,
			map[string]dbus.Variant{"Percentage": dbus.MakeVariant(pct)})
	}
}

func TestUPower(t *testing.T) {
	privateBus(t)
	src := linuxSource{sysfs: filepath.Join(t.TempDir(), "none"), thermal: filepath.Join(t.TempDir(), "none")}
	// Without UPower (and without sysfs) the machine has no battery.
	if st, err := src.PowerState(); err != nil || st != (schedule.PowerState{}) {
		t.Errorf("no UPower: %+v %v", st, err)
	}
	set := upowerMock(t, 90)
	for _, c := range []struct {
		ac   bool
		pct  float64
		want schedule.PowerState
	}{
		{true, 90, schedule.PowerState{HasBattery: true, Percent: 90}},
		{false, 20, schedule.PowerState{HasBattery: true, OnBattery: true, Percent: 20}},
		{true, 21, schedule.PowerState{HasBattery: true, Percent: 21}},
	} {
		set(c.ac, c.pct)
		if st, err := src.PowerState(); err != nil || st != c.want {
			t.Errorf("AC %v at %v%%: %+v %v, want %+v", c.ac, c.pct, st, err, c.want)
		}
	}
}

func TestPowerProfiles(t *testing.T) {
	privateBus(t)
	if powerSaver() {
		t.Error("power saver without power-profiles-daemon")
	}
	mock(t, "power_profiles_daemon", "net.hadess.PowerProfiles", "")
	conn := bus(t)
	for _, p := range profiles {
		var has bool
		if conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, p.name).Store(&has); !has {
			continue
		}
		obj := conn.Object(p.name, dbus.ObjectPath(p.path))
		for _, c := range []struct {
			profile string
			low     bool
		}{{"power-saver", true}, {"balanced", false}, {"power-saver", true}} {
			call(t, obj, "org.freedesktop.DBus.Properties.Set", p.iface, "ActiveProfile", dbus.MakeVariant(c.profile))
			if got := powerSaver(); got != c.low {
				t.Errorf("profile %s: low power %v", c.profile, got)
			}
		}
		return
	}
	t.Fatal("power-profiles-daemon mock owns no known name")
}

// inhibitors lists logind's inhibitor locks.
func inhibitors(t *testing.T) int {
	var locks [][]any
	call(t, bus(t).Object(logindName, logindPath), logindName+".Manager.ListInhibitors").Store(&locks)
	return len(locks)
}

// TestRunnerOnDBus: a job allowed on battery runs on AC; on battery at 20%
// it pauses with that reason; back on AC it resumes and finishes. The
// sleep inhibitor is held exactly while the job runs, as logind's
// ListInhibitors shows.
func TestRunnerOnDBus(t *testing.T) {
	privateBus(t)
	set := upowerMock(t, 90)
	mock(t, "logind", logindName, "")
	set(true, 90)
	q, err := schedule.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j, _ := q.Add(schedule.Job{Name: "m.gguf", Window: schedule.Window{Kind: schedule.Now}, AllowBattery: true}, time.Now())
	src, inh := New()
	var heldWhileRunning, checks int
	var step atomic.Int64 // slow until the pause was seen, so the job cannot end first
	step.Store(int64(5 * time.Millisecond))
	work := func(ctx context.Context, j schedule.Job, c *schedule.Control) (schedule.Result, error) {
		for i := j.Progress.Challenges; i < 1000; i++ {
			if d := step.Load(); d > 0 {
				time.Sleep(time.Duration(d))
			}
			if i%50 == 0 { // the lock, seen from logind
				checks++
				if inhibitors(t) == 1 {
					heldWhileRunning++
				}
			}
			c.Report(schedule.Progress{Stage: "challenge", Done: int64(i + 1), Total: 1000, Challenges: i + 1})
			if err := c.Yield(); err != nil {
				return schedule.Result{}, err
			}
		}
		return schedule.Result{Verdict: "SAME", N: 1000}, nil
	}
	r := &schedule.Runner{Queue: q, Owner: "R", Power: src, Inhibitor: inh, Work: work, Cores: 2,
		Heartbeat: 20 * time.Millisecond, Poll: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, true) }()
	wait := func(what string, cond func(schedule.Job) bool) schedule.Job {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if j, err := q.Get(j.ID); err == nil && cond(j) {
				return j
			}
		}
		got, _ := q.Get(j.ID)
		t.Fatalf("job never %s: %+v", what, got)
		return got
	}
	wait("ran", func(j schedule.Job) bool { return j.Progress.Challenges >= 5 })
	set(false, 20)
	p := wait("paused", func(j schedule.Job) bool { return j.State == schedule.Waiting })
	if p.Reason != "on battery at 20%, below 30%" {
		t.Errorf("paused with reason %q", p.Reason)
	}
	time.Sleep(100 * time.Millisecond) // logind's mock drops the lock on its main loop
	if n := inhibitors(t); n != 0 {
		t.Errorf("%d sleep inhibitors held while paused", n)
	}
	step.Store(0)
	set(true, 20)
	end := wait("done", func(j schedule.Job) bool { return j.State == schedule.Done })
	cancel()
	<-done
	time.Sleep(100 * time.Millisecond)
	if n := inhibitors(t); n != 0 {
		t.Errorf("%d sleep inhibitors held after the job", n)
	}
	if heldWhileRunning != checks || checks == 0 || end.Claims != 2 {
		t.Errorf("inhibitor held at %d of %d checks while running; claims %d", heldWhileRunning, checks, end.Claims)
	}
}
