//go:build !linux && !darwin

package power

import "github.com/proof-of-training/pot/verifier/schedule"

type noBattery struct{}

func (noBattery) PowerState() (schedule.PowerState, error) { return schedule.PowerState{}, nil }

func newSource() schedule.PowerSource { return noBattery{} }

func newInhibitor() schedule.Inhibitor { return nil }
