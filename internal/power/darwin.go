package power

import "github.com/proof-of-training/pot/verifier/schedule"

// macSource is what IOKit reports, as plain values (metalbridge/iokit);
// fromMac maps it to a PowerState. Portable, so Linux tests it.
type macSource struct {
	Type, State      string
	Present          bool
	Current, Maximum int64
}

// fromMac: on battery when IOKit's providing source is "Battery Power";
// the battery is the present "InternalBattery" source (a UPS is not one).
func fromMac(providing string, sources []macSource, lowPower bool, thermal int) schedule.PowerState {
	st := schedule.PowerState{Percent: -1, LowPower: lowPower, Thermal: schedule.Thermal(min(max(thermal, 0), 3))}
	for _, s := range sources {
		if s.Type != "InternalBattery" || !s.Present {
			continue
		}
		st.HasBattery = true
		if s.Maximum > 0 {
			st.Percent = 100 * float64(s.Current) / float64(s.Maximum)
		}
	}
	st.OnBattery = st.HasBattery && providing == "Battery Power"
	return st
}
