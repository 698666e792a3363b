package power

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/godbus/dbus/v5"

	"github.com/proof-of-training/pot/verifier/schedule"
)

// D-Bus names: UPower (https://upower.freedesktop.org/docs/), logind
// (https://www.freedesktop.org/software/systemd/man/latest/org.freedesktop.login1.html)
// and power-profiles-daemon, under its old and new bus names.
const (
	upowerName   = "org.freedesktop.UPower"
	upowerPath   = "/org/freedesktop/UPower"
	upowerDevice = "org.freedesktop.UPower.Device"
	logindName   = "org.freedesktop.login1"
	logindPath   = "/org/freedesktop/login1"
	sysfsRoot    = "/sys/class/power_supply"
	thermalRoot  = "/sys/class/thermal"
	// upDeviceBattery is UPower's UP_DEVICE_KIND_BATTERY.
	upDeviceBattery = 2
)

var profiles = []struct{ name, path, iface string }{
	{"org.freedesktop.UPower.PowerProfiles", "/org/freedesktop/UPower/PowerProfiles", "org.freedesktop.UPower.PowerProfiles"},
	{"net.hadess.PowerProfiles", "/net/hadess/PowerProfiles", "net.hadess.PowerProfiles"},
}

// linuxSource asks UPower, else reads sysfs; the thermal state comes from
// the kernel's thermal zones.
type linuxSource struct{ sysfs, thermal string }

func newSource() schedule.PowerSource { return linuxSource{sysfs: sysfsRoot, thermal: thermalRoot} }

// systemBus opens a private connection to the system bus (honouring
// $DBUS_SYSTEM_BUS_ADDRESS); each query gets its own, so a restarted
// daemon or bus never leaves a stale shared connection behind.
func systemBus() (*dbus.Conn, error) { return dbus.ConnectSystemBus() }

func (s linuxSource) PowerState() (schedule.PowerState, error) {
	st, err := upower()
	if err != nil {
		var serr error
		if st, serr = readSysfs(s.sysfs); serr != nil {
			if errors.Is(serr, os.ErrNotExist) {
				return schedule.PowerState{}, nil // no power_supply class: no battery
			}
			return schedule.PowerState{}, fmt.Errorf("power: UPower: %v; %s: %w", err, s.sysfs, serr)
		}
	}
	st.LowPower = powerSaver()
	st.Thermal = readThermal(s.thermal)
	return st, nil
}

// upower reads OnBattery and the batteries that power the system.
func upower() (schedule.PowerState, error) {
	conn, err := systemBus()
	if err != nil {
		return schedule.PowerState{}, err
	}
	defer conn.Close()
	st := schedule.PowerState{Percent: -1}
	up := conn.Object(upowerName, upowerPath)
	v, err := up.GetProperty(upowerName + ".OnBattery")
	if err != nil {
		return st, err
	}
	onBattery, _ := v.Value().(bool)
	var devices []dbus.ObjectPath
	if err := up.Call(upowerName+".EnumerateDevices", 0).Store(&devices); err != nil {
		return st, err
	}
	var sum float64
	var n int
	for _, p := range devices {
		d := conn.Object(upowerName, p)
		kind, err1 := d.GetProperty(upowerDevice + ".Type")
		supply, err2 := d.GetProperty(upowerDevice + ".PowerSupply")
		if err1 != nil || err2 != nil || kind.Value() != uint32(upDeviceBattery) || supply.Value() != true {
			continue
		}
		st.HasBattery = true
		if pct, err := d.GetProperty(upowerDevice + ".Percentage"); err == nil {
			if f, ok := pct.Value().(float64); ok {
				sum += f
				n++
			}
		}
	}
	if n > 0 {
		st.Percent = sum / float64(n)
	}
	st.OnBattery = onBattery && st.HasBattery
	return st, nil
}

// powerSaver says whether power-profiles-daemon runs the "power-saver"
// profile; false when it is absent.
func powerSaver() bool {
	conn, err := systemBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	for _, p := range profiles {
		v, err := conn.Object(p.name, dbus.ObjectPath(p.path)).GetProperty(p.iface + ".ActiveProfile")
		if err == nil {
			return v.Value() == "power-saver"
		}
	}
	return false
}

// logindInhibitor takes a "sleep:idle" block lock from logind: the machine
// neither suspends nor idles to sleep until the returned descriptor is
// closed.
type logindInhibitor struct{}

func newInhibitor() schedule.Inhibitor { return logindInhibitor{} }

func (logindInhibitor) Inhibit(why string) (func() error, error) {
	conn, err := systemBus()
	if err != nil {
		return nil, fmt.Errorf("power: logind: %w", err)
	}
	defer conn.Close()
	var fd dbus.UnixFD
	err = conn.Object(logindName, logindPath).Call(logindName+".Manager.Inhibit", 0,
		"sleep:idle", "PoT", why, "block").Store(&fd)
	if err != nil {
		return nil, fmt.Errorf("power: logind inhibitor: %w", err)
	}
	return func() error { return syscall.Close(int(fd)) }, nil
}
