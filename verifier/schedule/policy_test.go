package schedule

import (
	"testing"
	"time"
)

var (
	night = time.Date(2026, 12, 2, 2, 30, 0, 0, time.UTC) // inside 01:00–06:00
	day   = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
)

func TestDecide(t *testing.T) {
	s := DefaultSettings()
	ac := PowerState{HasBattery: true, Percent: 80}
	batt := func(pct float64) PowerState { return PowerState{HasBattery: true, OnBattery: true, Percent: pct} }
	for _, c := range []struct {
		name string
		in   Input
		want Decision
	}{
		{"server: no battery is AC", Input{Now: day, Window: Window{Kind: Now}}, Decision{Mode: Full, Duty: 1}},
		{"no battery but OnBattery set: still AC", Input{Now: day, Power: PowerState{OnBattery: true, Percent: 5}}, Decision{Mode: Full, Duty: 1}},
		{"laptop on AC", Input{Now: day, Power: ac}, Decision{Mode: Full, Duty: 1}},
		{"user pause wins over everything", Input{Now: day, Power: PowerState{Thermal: ThermalCritical}, UserPaused: true},
			Decision{Mode: Paused, Reason: "paused by the user"}},
		{"tonight, by day", Input{Now: day, Window: Window{Kind: Tonight}},
			Decision{Mode: Paused, Reason: "waiting for tonight's window 01:00–06:00"}},
		{"tonight, at night", Input{Now: night, Window: Window{Kind: Tonight}}, Decision{Mode: Full, Duty: 1}},
		{"at, before", Input{Now: day, Window: Window{Kind: At, Start: day.Add(time.Hour)}},
			Decision{Mode: Paused, Reason: "waiting until 15:00 on 2 Dec"}},
		{"at, after", Input{Now: day, Window: Window{Kind: At, Start: day.Add(-time.Hour)}}, Decision{Mode: Full, Duty: 1}},
		{"critical heat", Input{Now: day, Power: PowerState{Thermal: ThermalCritical}},
			Decision{Mode: Paused, Reason: "the machine is critically hot"}},
		{"battery not allowed", Input{Now: day, Power: batt(90)},
			Decision{Mode: Paused, Reason: "on battery power (the job runs on AC power only; allow battery to change that)"}},
		{"battery allowed, 20%", Input{Now: day, Power: batt(20), AllowBattery: true},
			Decision{Mode: Paused, Reason: "on battery at 20%, below 30%"}},
		{"battery allowed, 30% exactly", Input{Now: day, Power: batt(30), AllowBattery: true, Cores: 8},
			Decision{Mode: Throttled, Threads: 4, Duty: 0.5, Reason: "throttled: on battery at 30%"}},
		{"battery allowed, unknown level", Input{Now: day, Power: batt(-1), AllowBattery: true, Cores: 1},
			Decision{Mode: Throttled, Threads: 1, Duty: 0.5, Reason: "throttled: on battery"}},
		{"low-power mode on AC", Input{Now: day, Power: PowerState{LowPower: true}, Cores: 2},
			Decision{Mode: Throttled, Threads: 1, Duty: 0.5, Reason: "throttled: low-power mode"}},
		{"serious heat halves the speed", Input{Now: day, Power: PowerState{Thermal: ThermalSerious}},
			Decision{Mode: Throttled, Duty: 0.5, Reason: "throttled: the machine is hot"}},
		{"fair heat is fine", Input{Now: day, Power: PowerState{Thermal: ThermalFair}}, Decision{Mode: Full, Duty: 1}},
		{"everything at once", Input{Now: night, Window: Window{Kind: Tonight}, AllowBattery: true, Cores: 4,
			Power: PowerState{HasBattery: true, OnBattery: true, Percent: 64, LowPower: true, Thermal: ThermalSerious}},
			Decision{Mode: Throttled, Threads: 2, Duty: 0.125, Reason: "throttled: on battery at 64%; low-power mode; the machine is hot"}},
	} {
		c.in.Settings = s
		if got := Decide(c.in); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestMinBatterySetting(t *testing.T) {
	s := DefaultSettings()
	s.MinBattery = 10
	d := Decide(Input{Now: day, Power: PowerState{HasBattery: true, OnBattery: true, Percent: 20}, AllowBattery: true, Settings: s})
	if d.Mode != Throttled {
		t.Errorf("20%% with a 10%% minimum: %+v, want throttled", d)
	}
}

func TestWindows(t *testing.T) {
	local := time.FixedZone("X", 3600)
	now := time.Date(2026, 12, 2, 14, 0, 0, 0, local)
	for _, c := range []struct {
		when  string
		want  Window
		valid bool
	}{
		{"now", Window{Kind: Now}, true},
		{"", Window{Kind: Now}, true},
		{"tonight", Window{Kind: Tonight}, true},
		{"15:30", Window{Kind: At, Start: time.Date(2026, 12, 2, 15, 30, 0, 0, local)}, true},
		{"14:00", Window{Kind: At, Start: time.Date(2026, 12, 3, 14, 0, 0, 0, local)}, true}, // not after now: tomorrow
		{"09:15", Window{Kind: At, Start: time.Date(2026, 12, 3, 9, 15, 0, 0, local)}, true},
		{"25:00", Window{}, false},
		{"soon", Window{}, false},
	} {
		w, err := ParseWhen(c.when, now)
		if (err == nil) != c.valid || !w.Start.Equal(c.want.Start) || w.Kind != c.want.Kind {
			t.Errorf("ParseWhen(%q) = %+v, %v; want %+v", c.when, w, err, c.want)
		}
	}
	for _, c := range []struct {
		daily string
		at    string
		in    bool
	}{
		{"01:00-06:00", "00:59", false}, {"01:00-06:00", "01:00", true}, {"01:00-06:00", "05:59", true}, {"01:00-06:00", "06:00", false},
		{"22:30-05:00", "23:00", true}, {"22:30-05:00", "03:00", true}, {"22:30-05:00", "12:00", false}, {"22:30-05:00", "05:00", false},
		{"00:00-00:00", "12:00", true},
	} {
		d, err := ParseDaily(c.daily)
		if err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse("15:04", c.at)
		if got := d.Contains(at); got != c.in {
			t.Errorf("%s contains %s: %v, want %v", c.daily, c.at, got, c.in)
		}
	}
	var d Daily
	if b, _ := DefaultTonight.MarshalText(); string(b) != "01:00-06:00" || d.UnmarshalText(b) != nil || d != DefaultTonight {
		t.Errorf("text form %q reads back as %+v", b, d)
	}
	for _, bad := range []string{"01:00", "1-6", "01:00-24:00", ""} {
		if _, err := ParseDaily(bad); err == nil {
			t.Errorf("ParseDaily(%q) accepted", bad)
		}
	}
}
