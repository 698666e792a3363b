package agent

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// titles flattens a menu to "Title" / "Parent/Child" lines, marking
// separators "---", toggles "[x]"/"[ ]" and disabled items "(off)".
func titles(items []Item, prefix string) []string {
	var out []string
	for _, it := range items {
		t := prefix + it.Title
		switch {
		case it.Separator:
			t = prefix + "---"
		case it.Checkable && it.Checked:
			t += " [x]"
		case it.Checkable:
			t += " [ ]"
		}
		if it.Disabled {
			t += " (off)"
		}
		out = append(out, t)
		out = append(out, titles(it.Children, prefix+it.Title+"/")...)
	}
	return out
}

func TestBuildMenu(t *testing.T) {
	when := time.Date(2026, 12, 2, 10, 31, 0, 0, time.Local)
	tests := []struct {
		name string
		view View
		want []string
	}{
		{"empty", View{}, []string{
			"Verify Model…",
			"Local Models", "Local Models/No models found (off)", "Local Models/Add Folder…",
			"Queue", "Queue/No verifications queued (off)",
			"Recent Certificates", "Recent Certificates/No certificates yet (off)",
			"---", "Pause All", "Run on Battery [ ]", "Start at Login [ ]", "---", "Quit PoT"}},
		{"busy", View{
			Jobs: []Job{
				{ID: "1", Candidate: "/m/a.gguf", State: Running, Progress: 0.62},
				{ID: "2", Candidate: "/m/b.gguf", State: Waiting, Wait: WaitPower, Reason: "on battery"},
				{ID: "3", Candidate: "/m/c.gguf", State: Done, Verdict: "DIFFERENT", Certificate: "/c/3.cert"},
				{ID: "4", Candidate: "/m/d.gguf", State: Failed, Error: "disk full"},
				{ID: "5", Candidate: "/m/e.gguf", State: Paused},
				{ID: "6", Candidate: "/m/f.gguf", State: Waiting, Wait: WaitWindow, Reason: "waiting for tonight's window 01:00–06:00"},
			},
			Models: []LocalModel{{Name: "llama3.2:1b", Source: "Ollama", File: "/o/blob", Badge: "SAME"},
				{Name: "x.gguf", Source: "Folder", File: "/x.gguf", Changed: true}},
			Certs:      []RecentCert{{Path: "/c/3.cert", Model: "c.gguf", Verdict: "DIFFERENT", Finished: when}},
			UserPaused: true, RunOnBattery: true, StartAtLogin: true,
		}, []string{
			"Verify Model…",
			"Local Models", "Local Models/Ollama: llama3.2:1b — SAME", "Local Models/Folder: x.gguf — changed since verified", "Local Models/Add Folder…",
			"Queue",
			"Queue/a.gguf — verifying, 62%", "Queue/a.gguf — verifying, 62%/Pause", "Queue/a.gguf — verifying, 62%/Cancel",
			"Queue/b.gguf — paused: on battery", "Queue/b.gguf — paused: on battery/Pause", "Queue/b.gguf — paused: on battery/Cancel",
			"Queue/c.gguf — DIFFERENT", "Queue/c.gguf — DIFFERENT/Open Report", "Queue/c.gguf — DIFFERENT/Dismiss",
			"Queue/d.gguf — failed", "Queue/d.gguf — failed/Error: disk full (off)", "Queue/d.gguf — failed/Dismiss",
			"Queue/e.gguf — paused: paused by you", "Queue/e.gguf — paused: paused by you/Resume", "Queue/e.gguf — paused: paused by you/Cancel",
			"Queue/f.gguf — waiting for tonight's window 01:00–06:00", "Queue/f.gguf — waiting for tonight's window 01:00–06:00/Pause",
			"Queue/f.gguf — waiting for tonight's window 01:00–06:00/Cancel",
			"Recent Certificates", "Recent Certificates/c.gguf — DIFFERENT · 2 Dec 10:31",
			"---", "Resume All", "Run on Battery [x]", "Start at Login [x]", "---", "Quit PoT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := titles(BuildMenu(tt.view), "")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestMenuActions checks that the items carry the actions their titles
// promise, with the right argument.
func TestMenuActions(t *testing.T) {
	v := View{Jobs: []Job{{ID: "7", Candidate: "a.gguf", State: Done, Verdict: "SAME", Certificate: "/c/7.cert"}},
		Models: []LocalModel{{Name: "m", Source: "Ollama", File: "/blob"}}}
	menu := BuildMenu(v)
	tests := []struct {
		path []string
		want Action
	}{
		{[]string{TitleVerify}, Action{Kind: ActVerify}},
		{[]string{TitleLocalModels, "Ollama: m"}, Action{ActVerifyFile, "/blob"}},
		{[]string{TitleLocalModels, TitleAddFolder}, Action{Kind: ActAddFolder}},
		{[]string{TitleQueue, "a.gguf — SAME", "Open Report"}, Action{ActOpenReport, "/c/7.cert"}},
		{[]string{TitlePauseAll}, Action{Kind: ActPauseAll}},
		{[]string{TitleRunOnBattery}, Action{Kind: ActToggleBattery}},
		{[]string{TitleStartAtLogin}, Action{Kind: ActToggleLogin}},
		{[]string{TitleQuit}, Action{Kind: ActQuit}},
	}
	for _, tt := range tests {
		it := FindItem(menu, tt.path...)
		if it == nil {
			t.Errorf("%q: no such item", tt.path)
			continue
		}
		if it.Action != tt.want {
			t.Errorf("%q: action %+v, want %+v", tt.path, it.Action, tt.want)
		}
	}
	// Dismiss appears only for jobs that ask for attention.
	if FindItem(menu, TitleQueue, "a.gguf — SAME", "Dismiss") != nil {
		t.Error("a SAME job offers Dismiss")
	}
}

func TestNotices(t *testing.T) {
	run := Job{ID: "1", Candidate: "/m/a.gguf", State: Running}
	done := Job{ID: "1", Candidate: "/m/a.gguf", State: Done, Verdict: "SAME", Certificate: "/c/a.cert"}
	diff := Job{ID: "1", Candidate: "/m/a.gguf", State: Done, Verdict: "DIFFERENT", Certificate: "/c/a.cert"}
	failed := Job{ID: "1", Candidate: "/m/a.gguf", State: Failed, Error: "cannot read a.gguf: truncated"}
	battery := Job{ID: "1", Candidate: "/m/a.gguf", State: Waiting, Wait: WaitPower, Reason: "on battery"}
	hot := Job{ID: "1", Candidate: "/m/a.gguf", State: Waiting, Wait: WaitThermal}
	window := Job{ID: "1", Candidate: "/m/a.gguf", State: Waiting, Wait: WaitWindow}
	tests := []struct {
		name      string
		prev, cur []Job
		sent      map[string]bool
		want      []Notice
	}{
		{"first look is silent", nil, []Job{done}, map[string]bool{}, nil},
		{"certificate ready", []Job{run}, []Job{done}, map[string]bool{},
			[]Notice{{"Certificate ready", "a.gguf behaves the same as the reference model (SAME).", "/c/a.cert"}}},
		{"different in plain words", []Job{run}, []Job{diff}, map[string]bool{},
			[]Notice{{"Certificate ready", "a.gguf is NOT the reference model (DIFFERENT).", "/c/a.cert"}}},
		{"a job that finished between looks", []Job{}, []Job{done}, map[string]bool{},
			[]Notice{{"Certificate ready", "a.gguf behaves the same as the reference model (SAME).", "/c/a.cert"}}},
		{"no repeat", []Job{done}, []Job{done}, map[string]bool{}, nil},
		{"failed", []Job{run}, []Job{failed}, map[string]bool{},
			[]Notice{{Title: "Verification failed", Body: "a.gguf: cannot read a.gguf: truncated"}}},
		{"battery pause", []Job{run}, []Job{battery}, map[string]bool{},
			[]Notice{{Title: "Verification paused", Body: "a.gguf: paused, on battery. It continues when conditions allow."}}},
		{"heat pause", []Job{run}, []Job{hot}, map[string]bool{},
			[]Notice{{Title: "Verification paused", Body: "a.gguf: paused, the machine is hot. It continues when conditions allow."}}},
		{"pause once per job", []Job{run}, []Job{battery}, map[string]bool{"pause:1": true}, nil},
		{"window wait is silent", []Job{run}, []Job{window}, map[string]bool{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Notices(tt.prev, tt.cur, tt.sent)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
