package power

import (
	"github.com/proof-of-training/pot/metalbridge/iokit"
	"github.com/proof-of-training/pot/verifier/schedule"
)

type iokitSource struct{}

func newSource() schedule.PowerSource { return iokitSource{} }

func (iokitSource) PowerState() (schedule.PowerState, error) {
	providing, srcs, err := iokit.PowerSources()
	if err != nil {
		return schedule.PowerState{}, err
	}
	ms := make([]macSource, len(srcs))
	for i, s := range srcs {
		ms[i] = macSource{Type: s.Type, State: s.State, Present: s.Present, Current: s.CurrentCapacity, Maximum: s.MaxCapacity}
	}
	// Thermal state and Low Power Mode are advisory: an error leaves them
	// nominal rather than hiding the power source.
	low, _ := iokit.LowPowerMode()
	th, _ := iokit.ThermalState()
	return fromMac(providing, ms, low, th), nil
}

// assertion holds an IOPMAssertion while a job runs.
type assertion struct{}

func newInhibitor() schedule.Inhibitor { return assertion{} }

func (assertion) Inhibit(why string) (func() error, error) { return iokit.PreventSleep("PoT: " + why) }
