// Package power reads the machine's power state and keeps it awake, for
// the job runner: New returns the platform's schedule.PowerSource and
// schedule.Inhibitor.
//
//   - Linux: UPower over the system D-Bus (on battery, charge), falling
//     back to /sys/class/power_supply; power-profiles-daemon's
//     "power-saver" profile as low-power mode; a logind "sleep:idle"
//     inhibitor lock while a job runs; the thermal state from the kernel's
//     thermal zones (a passive trip point reached is serious, a hot or
//     critical one critical).
//   - macOS: IOKit power sources, NSProcessInfo's thermal state and
//     low-power mode, an IOPMAssertion while a job runs (metalbridge/iokit).
//   - elsewhere: a machine without a battery, and no inhibitor.
//
// The files are thin skins: they turn what the OS reports into a
// schedule.PowerState, and the schedule package decides.
package power

import "github.com/proof-of-training/pot/verifier/schedule"

// New returns the platform's power source and sleep inhibitor.
func New() (schedule.PowerSource, schedule.Inhibitor) { return newSource(), newInhibitor() }
