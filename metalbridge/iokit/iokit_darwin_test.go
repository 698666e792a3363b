package iokit

import "testing"

// TestLoad: the frameworks load, every function and class binds, and the
// calls return sane values (needs a Mac; CI only compiles it).
func TestLoad(t *testing.T) {
	if err := load(); err != nil {
		t.Fatal(err)
	}
	for name, sel := range map[string]uintptr{"processInfo": uintptr(sel_processInfo), "thermalState": uintptr(sel_thermalState),
		"isLowPowerModeEnabled": uintptr(sel_isLowPowerModeEnabled), "respondsToSelector:": uintptr(sel_respondsToSelector)} {
		if sel == 0 {
			t.Errorf("selector %s is 0", name)
		}
	}
	if th, err := ThermalState(); err != nil || th < 0 || th > 3 {
		t.Errorf("thermal state %d %v", th, err)
	}
	if _, _, err := PowerSources(); err != nil {
		t.Error(err)
	}
	release, err := PreventSleep("PoT test")
	if err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Error(err)
	}
}
