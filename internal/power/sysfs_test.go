package power

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/verifier/schedule"
)

// TestSysfs reads fake /sys/class/power_supply trees.
func TestSysfs(t *testing.T) {
	type dev map[string]string
	for _, c := range []struct {
		name string
		devs map[string]dev
		want schedule.PowerState
	}{
		{"server", map[string]dev{}, schedule.PowerState{Percent: -1}},
		{"laptop on AC", map[string]dev{
			"AC":   {"type": "Mains", "online": "1"},
			"BAT0": {"type": "Battery", "capacity": "80", "status": "Charging"}},
			schedule.PowerState{HasBattery: true, Percent: 80}},
		{"laptop on battery, two batteries", map[string]dev{
			"AC":   {"type": "Mains", "online": "0"},
			"BAT0": {"type": "Battery", "capacity": "20", "status": "Discharging"},
			"BAT1": {"type": "Battery", "capacity": "40", "status": "Unknown"}},
			schedule.PowerState{HasBattery: true, OnBattery: true, Percent: 30}},
		{"USB-C power while the battery reports discharging", map[string]dev{
			"ucsi": {"type": "USB", "online": "1"},
			"BAT0": {"type": "Battery", "capacity": "50", "status": "Discharging"}},
			schedule.PowerState{HasBattery: true, Percent: 50}},
		{"a mouse's battery is not the system's", map[string]dev{
			"hid-mouse": {"type": "Battery", "scope": "Device", "capacity": "5", "status": "Discharging"}},
			schedule.PowerState{Percent: -1}},
		{"empty bay, no capacity", map[string]dev{
			"BAT0": {"type": "Battery", "present": "0"},
			"BAT1": {"type": "Battery", "status": "Discharging"}},
			schedule.PowerState{HasBattery: true, OnBattery: true, Percent: -1}},
	} {
		root := t.TempDir()
		for d, files := range c.devs {
			os.Mkdir(filepath.Join(root, d), 0o755)
			for f, v := range files {
				os.WriteFile(filepath.Join(root, d, f), []byte(v+"\n"), 0o644)
			}
		}
		got, err := readSysfs(root)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v (%v), want %+v", c.name, got, err, c.want)
		}
	}
	if _, err := readSysfs(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing tree gave no error")
	}
}

// TestThermal reads fake /sys/class/thermal trees.
func TestThermal(t *testing.T) {
	type zone map[string]string
	cpu := func(temp string) zone {
		return zone{"temp": temp, "trip_point_0_type": "passive", "trip_point_0_temp": "85000",
			"trip_point_1_type": "critical", "trip_point_1_temp": "100000", "trip_point_2_type": "active", "trip_point_2_temp": "50000"}
	}
	for _, c := range []struct {
		name  string
		zones map[string]zone
		want  schedule.Thermal
	}{
		{"no zones", nil, schedule.ThermalNominal},
		{"cool", map[string]zone{"thermal_zone0": cpu("45000")}, schedule.ThermalNominal},
		{"fan on is not throttling", map[string]zone{"thermal_zone0": cpu("60000")}, schedule.ThermalNominal},
		{"passive trip reached", map[string]zone{"thermal_zone0": cpu("86000")}, schedule.ThermalSerious},
		{"critical trip reached", map[string]zone{"thermal_zone0": cpu("45000"), "thermal_zone1": cpu("100000")}, schedule.ThermalCritical},
		{"hot trip", map[string]zone{"thermal_zone3": {"temp": "95000", "trip_point_0_type": "hot", "trip_point_0_temp": "90000"}}, schedule.ThermalCritical},
		{"unreadable temperature", map[string]zone{"thermal_zone0": {"temp": "n/a", "trip_point_0_type": "critical", "trip_point_0_temp": "1"}}, schedule.ThermalNominal},
		{"zero trip ignored", map[string]zone{"thermal_zone0": {"temp": "30000", "trip_point_0_type": "critical", "trip_point_0_temp": "0"}}, schedule.ThermalNominal},
	} {
		root := t.TempDir()
		for d, files := range c.zones {
			os.Mkdir(filepath.Join(root, d), 0o755)
			for f, v := range files {
				os.WriteFile(filepath.Join(root, d, f), []byte(v+"\n"), 0o644)
			}
		}
		if got := readThermal(root); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
