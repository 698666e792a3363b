package power

import (
	"testing"

	"github.com/proof-of-training/pot/verifier/schedule"
)

func TestFromMac(t *testing.T) {
	bat := func(cur, max int64) macSource {
		return macSource{Type: "InternalBattery", State: "Battery Power", Present: true, Current: cur, Maximum: max}
	}
	for _, c := range []struct {
		name      string
		providing string
		srcs      []macSource
		low       bool
		thermal   int
		want      schedule.PowerState
	}{
		{"mac mini", "AC Power", nil, false, 0, schedule.PowerState{Percent: -1}},
		{"laptop on AC", "AC Power", []macSource{bat(80, 100)}, false, 1, schedule.PowerState{HasBattery: true, Percent: 80, Thermal: schedule.ThermalFair}},
		{"laptop on battery, low power, hot", "Battery Power", []macSource{bat(2000, 5000)}, true, 2,
			schedule.PowerState{HasBattery: true, OnBattery: true, Percent: 40, LowPower: true, Thermal: schedule.ThermalSerious}},
		{"desktop on a UPS", "UPS Power", []macSource{{Type: "UPS", Present: true, Current: 50, Maximum: 100}}, false, 0, schedule.PowerState{Percent: -1}},
		{"battery removed", "Battery Power", []macSource{{Type: "InternalBattery"}}, false, 7, schedule.PowerState{Percent: -1, Thermal: schedule.ThermalCritical}},
	} {
		if got := fromMac(c.providing, c.srcs, c.low, c.thermal); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
