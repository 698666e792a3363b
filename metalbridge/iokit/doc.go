// Package iokit is the macOS power bridge: IOKit's power sources
// (IOPSCopyPowerSourcesInfo), NSProcessInfo's thermal state and Low Power
// Mode, and IOPMAssertion sleep locks, called through
// github.com/ebitengine/purego without cgo, so the darwin build
// cross-compiles from Linux. Its files are darwin-only; it returns plain Go
// values, and internal/power turns them into a schedule.PowerState.
//
// Ownership follows Core Foundation's rule: what a Copy or Create function
// returns is released here before returning; what a Get function returns
// is borrowed and not released. Nothing here needs the main thread.
//
// References:
// https://developer.apple.com/documentation/iokit/iopowersources_h,
// https://developer.apple.com/documentation/iokit/iopmlib_h,
// https://developer.apple.com/documentation/foundation/processinfo.
//
// Not run here: no Mac is available to the project's CI; the code compiles
// and vets for darwin/arm64 and darwin/amd64, and its pure parts (the
// mapping to PowerState) are tested on Linux.
package iokit
