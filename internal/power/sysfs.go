package power

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/schedule"
)

// readSysfs reads the kernel's power_supply class
// (https://www.kernel.org/doc/html/latest/power/power_supply_class.html)
// under root: batteries give their capacity and status, mains adapters
// whether they are online. On battery means a battery discharges and no
// adapter is online. The parsing is portable so any OS can test it.
func readSysfs(root string) (schedule.PowerState, error) {
	st := schedule.PowerState{Percent: -1}
	entries, err := os.ReadDir(root)
	if err != nil {
		return schedule.PowerState{}, err
	}
	read := func(dir, name string) string {
		b, _ := os.ReadFile(filepath.Join(root, dir, name))
		return strings.TrimSpace(string(b))
	}
	var sum float64
	var n int
	discharging, online := false, false
	for _, e := range entries {
		switch read(e.Name(), "type") {
		case "Battery":
			if read(e.Name(), "scope") == "Device" || read(e.Name(), "present") == "0" {
				continue // a mouse's battery, or an empty bay
			}
			st.HasBattery = true
			if c, err := strconv.ParseFloat(read(e.Name(), "capacity"), 64); err == nil {
				sum += c
				n++
			}
			discharging = discharging || read(e.Name(), "status") == "Discharging"
		case "Mains", "USB", "USB_C", "USB_PD":
			online = online || read(e.Name(), "online") == "1"
		}
	}
	if n > 0 {
		st.Percent = sum / float64(n)
	}
	st.OnBattery = st.HasBattery && discharging && !online
	return st, nil
}

// readThermal maps the kernel's thermal zones
// (https://www.kernel.org/doc/html/latest/driver-api/thermal/sysfs-api.html)
// under root to a thermal state: a zone at or above a "critical" or "hot"
// trip point is critical; at or above a "passive" trip point (where the
// kernel starts to throttle) it is serious. Zones without such trip points,
// or no zones, are nominal. Temperatures are millidegrees Celsius.
func readThermal(root string) schedule.Thermal {
	zones, _ := filepath.Glob(filepath.Join(root, "thermal_zone*"))
	state := schedule.ThermalNominal
	for _, z := range zones {
		temp, err := readInt(filepath.Join(z, "temp"))
		if err != nil {
			continue
		}
		types, _ := filepath.Glob(filepath.Join(z, "trip_point_*_type"))
		for _, tp := range types {
			b, err := os.ReadFile(tp)
			if err != nil {
				continue
			}
			limit, err := readInt(strings.TrimSuffix(tp, "_type") + "_temp")
			if err != nil || limit <= 0 || temp < limit {
				continue
			}
			switch strings.TrimSpace(string(b)) {
			case "critical", "hot":
				state = max(state, schedule.ThermalCritical)
			case "passive":
				state = max(state, schedule.ThermalSerious)
			}
		}
	}
	return state
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
