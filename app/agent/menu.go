package agent

import (
	"fmt"
	"time"
)

// ActionKind names what a menu item does.
type ActionKind uint8

// The actions. Arg is noted where one is needed.
const (
	ActNone          ActionKind = iota // a label
	ActVerify                          // Verify Model…: choose a file, then its reference
	ActVerifyFile                      // verify Arg (a model file), choosing its reference
	ActAddFolder                       // add a folder to search for models
	ActPause                           // pause job Arg
	ActResume                          // resume job Arg
	ActCancel                          // cancel job Arg
	ActDismiss                         // acknowledge job Arg's failure or DIFFERENT verdict
	ActOpenReport                      // open the HTML report of certificate Arg
	ActPauseAll                        // pause every job
	ActResumeAll                       // lift Pause All
	ActToggleBattery                   // flip Run on Battery
	ActToggleLogin                     // flip Start at Login
	ActQuit                            // quit the agent
)

// Action is what clicking an item does.
type Action struct {
	Kind ActionKind
	Arg  string
}

// Item is one menu entry. An item with Children is a submenu; a Separator
// has no other field set.
type Item struct {
	Title     string
	Action    Action
	Disabled  bool
	Checkable bool // a toggle; Checked is its state
	Checked   bool
	Separator bool
	Children  []Item
}

// LocalModel is a model file on this machine, with the badge of its last
// verification (empty when it has none or the file changed since).
type LocalModel struct {
	Name   string // as its runner names it
	Source string // "Ollama", "LM Studio", …
	File   string // the file to verify
	Badge  string // the last verdict, "" if none or no longer valid
	// Changed is set when the file changed on disk since its last
	// verification: the badge was withdrawn.
	Changed bool
}

// RecentCert is a certificate in the certificate directory.
type RecentCert struct {
	Path     string
	Model    string // the candidate's file name
	Verdict  string
	Finished time.Time
}

// View is everything the menu shows.
type View struct {
	Jobs         []Job
	Models       []LocalModel
	Certs        []RecentCert // newest first
	UserPaused   bool
	RunOnBattery bool
	StartAtLogin bool
}

// Titles of the fixed items, shared with tests that look items up.
const (
	TitleVerify       = "Verify Model…"
	TitleLocalModels  = "Local Models"
	TitleQueue        = "Queue"
	TitleCerts        = "Recent Certificates"
	TitlePauseAll     = "Pause All"
	TitleResumeAll    = "Resume All"
	TitleRunOnBattery = "Run on Battery"
	TitleStartAtLogin = "Start at Login"
	TitleQuit         = "Quit PoT"
	TitleAddFolder    = "Add Folder…"
)

// maxListed caps each list in the menu; longer lists show the newest.
const maxListed = 20

// BuildMenu returns the menu for v. The top level is fixed (the same items
// in the same order for every View), so a platform skin can update it in
// place; lists live in submenus.
func BuildMenu(v View) []Item {
	pause := Item{Title: TitlePauseAll, Action: Action{Kind: ActPauseAll}}
	if v.UserPaused {
		pause = Item{Title: TitleResumeAll, Action: Action{Kind: ActResumeAll}}
	}
	return []Item{
		{Title: TitleVerify, Action: Action{Kind: ActVerify}},
		{Title: TitleLocalModels, Children: modelItems(v.Models)},
		{Title: TitleQueue, Children: queueItems(v.Jobs)},
		{Title: TitleCerts, Children: certItems(v.Certs)},
		{Separator: true},
		pause,
		{Title: TitleRunOnBattery, Action: Action{Kind: ActToggleBattery}, Checkable: true, Checked: v.RunOnBattery},
		{Title: TitleStartAtLogin, Action: Action{Kind: ActToggleLogin}, Checkable: true, Checked: v.StartAtLogin},
		{Separator: true},
		{Title: TitleQuit, Action: Action{Kind: ActQuit}},
	}
}

func modelItems(ms []LocalModel) []Item {
	var items []Item
	for i, m := range ms {
		if i == maxListed {
			items = append(items, Item{Title: fmt.Sprintf("… and %d more", len(ms)-maxListed), Disabled: true})
			break
		}
		title := m.Source + ": " + m.Name
		switch {
		case m.Badge != "":
			title += " — " + m.Badge
		case m.Changed:
			title += " — changed since verified"
		}
		items = append(items, Item{Title: title, Action: Action{Kind: ActVerifyFile, Arg: m.File}})
	}
	if len(items) == 0 {
		items = append(items, Item{Title: "No models found", Disabled: true})
	}
	return append(items, Item{Title: TitleAddFolder, Action: Action{Kind: ActAddFolder}})
}

func queueItems(jobs []Job) []Item {
	var items []Item
	// Newest last in the queue; show the last maxListed.
	if len(jobs) > maxListed {
		jobs = jobs[len(jobs)-maxListed:]
	}
	for _, j := range jobs {
		items = append(items, Item{Title: j.Name() + " — " + jobLine(j), Children: jobActions(j)})
	}
	if len(items) == 0 {
		items = append(items, Item{Title: "No verifications queued", Disabled: true})
	}
	return items
}

// jobLine is a job's state in words.
func jobLine(j Job) string {
	switch j.State {
	case Running:
		return "verifying, " + percent(j.Progress)
	case Queued:
		return "queued"
	case Waiting, Paused:
		if j.Wait == WaitWindow {
			return reasonText(j) // "waiting for tonight's window 01:00–06:00"
		}
		return "paused: " + reasonText(j)
	case Done:
		return j.Verdict
	case Failed:
		return "failed"
	case Cancelled:
		return "cancelled"
	}
	return string(j.State)
}

// jobActions are the commands a job in its state accepts.
func jobActions(j Job) []Item {
	act := func(title string, k ActionKind) Item { return Item{Title: title, Action: Action{Kind: k, Arg: j.ID}} }
	switch j.State {
	case Running, Queued:
		return []Item{act("Pause", ActPause), act("Cancel", ActCancel)}
	case Waiting:
		if j.Wait == WaitUser {
			return []Item{act("Resume", ActResume), act("Cancel", ActCancel)}
		}
		return []Item{act("Pause", ActPause), act("Cancel", ActCancel)}
	case Paused:
		return []Item{act("Resume", ActResume), act("Cancel", ActCancel)}
	case Done:
		items := []Item{{Title: "Open Report", Action: Action{Kind: ActOpenReport, Arg: j.Certificate}}}
		if needsAttention(j) {
			items = append(items, act("Dismiss", ActDismiss))
		}
		return items
	case Failed:
		return []Item{{Title: "Error: " + j.Error, Disabled: true}, act("Dismiss", ActDismiss)}
	}
	return []Item{{Title: string(j.State), Disabled: true}}
}

func certItems(cs []RecentCert) []Item {
	var items []Item
	for i, c := range cs {
		if i == maxListed {
			break
		}
		title := c.Model + " — " + c.Verdict
		if !c.Finished.IsZero() {
			title += " · " + c.Finished.Local().Format("2 Jan 15:04")
		}
		items = append(items, Item{Title: title, Action: Action{Kind: ActOpenReport, Arg: c.Path}})
	}
	if len(items) == 0 {
		items = append(items, Item{Title: "No certificates yet", Disabled: true})
	}
	return items
}

// FindItem follows titles down the menu and returns the item, or nil.
func FindItem(items []Item, titles ...string) *Item {
	for len(titles) > 0 {
		var found *Item
		for i := range items {
			if !items[i].Separator && items[i].Title == titles[0] {
				found = &items[i]
				break
			}
		}
		if found == nil {
			return nil
		}
		if len(titles) == 1 {
			return found
		}
		items, titles = found.Children, titles[1:]
	}
	return nil
}
