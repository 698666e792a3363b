package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Thermal is the machine's thermal state, with the values of Apple's
// NSProcessInfoThermalState
// (https://developer.apple.com/documentation/foundation/nsprocessinfo/thermalstate).
type Thermal int

const (
	ThermalNominal  Thermal = 0
	ThermalFair     Thermal = 1
	ThermalSerious  Thermal = 2
	ThermalCritical Thermal = 3
)

// PowerState is what the platform reports about power; the zero value is a
// machine without a battery (a server, CI), which counts as on AC.
type PowerState struct {
	HasBattery bool    `json:"has_battery"`
	OnBattery  bool    `json:"on_battery"` // drawing from the battery, not AC
	Percent    float64 `json:"percent"`    // battery charge 0–100; negative when unknown
	LowPower   bool    `json:"low_power"`  // the OS's low-power / power-saver mode
	Thermal    Thermal `json:"thermal"`
}

// PowerSource reports the current PowerState.
type PowerSource interface {
	PowerState() (PowerState, error)
}

// Inhibitor keeps the machine from sleeping: Inhibit holds a sleep lock
// (a logind inhibitor, an IOPMAssertion) until release is called.
type Inhibitor interface {
	Inhibit(why string) (release func() error, err error)
}

// Settings are the queue-wide choices, stored in the queue.
type Settings struct {
	// Tonight is the daily window of `--when tonight`.
	Tonight Daily `json:"tonight"`
	// MinBattery is the charge (percent) below which a job allowed on
	// battery pauses.
	MinBattery float64 `json:"min_battery"`
	// MaxRunning jobs run at once, across all runners.
	MaxRunning int `json:"max_running"`
	// MaxCrashes: a job whose runner dies this many times in a row without
	// finishing a challenge fails instead of being retried.
	MaxCrashes int `json:"max_crashes"`
}

// DefaultSettings: the defaults.
func DefaultSettings() Settings {
	return Settings{Tonight: DefaultTonight, MinBattery: 30, MaxRunning: 1, MaxCrashes: 5}
}

// Mode is how a job may run.
type Mode int

const (
	Full Mode = iota
	Throttled
	Paused
)

func (m Mode) String() string { return [...]string{"full", "throttled", "paused"}[m] }

// Decision is the power policy's answer.
type Decision struct {
	Mode Mode
	// Threads for the work (0: all cores); Duty is the fraction of wall
	// time spent working (1 at full speed), the rest sleeping.
	Threads int
	Duty    float64
	Reason  string // why paused or throttled; "" at full speed
}

// Input is everything the policy looks at.
type Input struct {
	Now          time.Time
	Window       Window
	Power        PowerState
	UserPaused   bool
	AllowBattery bool // the job may run on battery (throttled)
	Settings     Settings
	Cores        int // CPU cores, for halving the threads
}

// Decide is the power policy. It pauses for, in order: the user, a closed
// window, a critical thermal state, battery power unless the job allows it,
// and a battery below Settings.MinBattery. Otherwise it throttles, each
// halving the duty cycle: battery power (also halving the threads),
// low-power mode (the same), a serious thermal state. A machine without a
// battery is on AC. An unknown battery level does not pause.
func Decide(in Input) Decision {
	pause := func(why string) Decision { return Decision{Mode: Paused, Reason: why} }
	p := in.Power
	if in.UserPaused {
		return pause("paused by the user")
	}
	if ok, why := in.Window.open(in.Now, in.Settings); !ok {
		return pause(why)
	}
	if p.Thermal >= ThermalCritical {
		return pause("the machine is critically hot")
	}
	onBattery := p.HasBattery && p.OnBattery
	if onBattery && !in.AllowBattery {
		return pause("on battery power (the job runs on AC power only; allow battery to change that)")
	}
	if onBattery && p.Percent >= 0 && p.Percent < in.Settings.MinBattery {
		return pause(fmt.Sprintf("on battery at %.0f%%, below %.0f%%", p.Percent, in.Settings.MinBattery))
	}
	d := Decision{Mode: Full, Duty: 1}
	var why []string
	halve := func(reason string, threads bool) {
		d.Mode, d.Duty = Throttled, d.Duty/2
		if threads {
			d.Threads = max(1, in.Cores/2)
		}
		why = append(why, reason)
	}
	if onBattery {
		if p.Percent >= 0 {
			halve(fmt.Sprintf("on battery at %.0f%%", p.Percent), true)
		} else {
			halve("on battery", true)
		}
	}
	if p.LowPower {
		halve("low-power mode", true)
	}
	if p.Thermal >= ThermalSerious {
		halve("the machine is hot", false)
	}
	if len(why) > 0 {
		d.Reason = "throttled: " + strings.Join(why, "; ")
	}
	return d
}
