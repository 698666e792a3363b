package agent

import (
	"context"
	"reflect"
	"sync"

	"github.com/proof-of-training/pot/metalbridge/appkit"
)

// The macOS skin: an NSStatusItem with a template image and a menu rebuilt
// whenever the menu changes, through metalbridge/appkit. Each item's tag
// indexes the actions of the menu last built.

// runTray runs AppKit's event loop on the main thread until ctx ends.
func runTray(ctx context.Context, a *Agent, click func(Action), beforeExit func()) error {
	if err := appkit.Init(); err != nil {
		return err
	}
	t := &macTray{click: click, icon: -1}
	appkit.SetClickHandler(t.clicked)
	go func() {
		<-ctx.Done()
		beforeExit()
		appkit.Terminate() // ends the process
	}()
	launched := func() {
		t.item = appkit.NewStatusItem()
		a.SetTray(t)
		go a.Run(ctx)
	}
	open := func(paths []string) {
		for _, p := range paths {
			click(Action{Kind: ActVerifyFile, Arg: p})
		}
	}
	return appkit.Run(launched, open)
}

type macTray struct {
	click func(Action)
	item  appkit.StatusItem // set on the main thread at launch

	mu      sync.Mutex // guards the fields below
	actions []Action   // by tag, for the menu shown
	menu    []Item     // the menu shown
	icon    Icon
	title   string
	tip     string
}

// menuPoints is the template image's drawn size: Apple's 18 pt glyph in
// the 22 pt menu bar.
const menuPoints = 18

func (t *macTray) Update(s Status, menu []Item) {
	appkit.OnMain(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if s.Icon != t.icon {
			t.item.SetImage(templatePNG(s.Icon), menuPoints, true)
			t.icon = s.Icon
		}
		if s.Title != t.title {
			t.item.SetTitle(s.Title)
			t.title = s.Title
		}
		if s.Tooltip != t.tip {
			t.item.SetToolTip(s.Tooltip)
			t.tip = s.Tooltip
		}
		if reflect.DeepEqual(menu, t.menu) {
			return
		}
		var tagged []Tagged
		tagged, t.actions = TagMenu(menu)
		t.menu = menu
		m := appkit.NewMenu()
		fill(m, tagged)
		t.item.SetMenu(m)
	})
}

// fill adds the tagged items to m (main thread).
func fill(m appkit.Menu, items []Tagged) {
	for _, it := range items {
		if it.Separator {
			m.AddSeparator()
			continue
		}
		var sub *appkit.Menu
		if len(it.Children) > 0 {
			s := appkit.NewMenu()
			fill(s, it.Children)
			sub = &s
		}
		m.AddItem(it.Title, it.Tag, !it.Disabled, it.Checkable && it.Checked, sub)
	}
}

// clicked runs on the main thread.
func (t *macTray) clicked(tag int) {
	t.mu.Lock()
	var act Action
	if tag >= 0 && tag < len(t.actions) {
		act = t.actions[tag]
	}
	t.mu.Unlock()
	if act.Kind != ActNone {
		t.click(act)
	}
}
