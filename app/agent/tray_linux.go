package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// The Linux skin: a StatusNotifierItem with a dbusmenu, through
// fyne.io/systray (pure Go over D-Bus). The menu is updated in place: each
// position in the menu tree is a slot holding one systray item, created the
// first time a menu needs it and hidden when a shorter menu leaves it
// unused, so item ids stay stable while lists grow and shrink.

// runTray registers the item on the session bus and runs a until ctx ends.
func runTray(ctx context.Context, a *Agent, click func(Action), beforeExit func()) error {
	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("agent: no D-Bus session bus, so no tray (%v); in a desktop session $DBUS_SESSION_BUS_ADDRESS is set; on a server run `pot run-queue --watch` instead", err)
	}
	if !hasName(conn, watcherName) {
		a.logf("no StatusNotifierWatcher on the session bus: the icon appears once a tray host starts (GNOME needs the AppIndicator extension)")
	}
	t := &linuxTray{slots: map[string]*slot{}, click: click, icon: -1}
	ready := make(chan struct{})
	start, end := systray.RunWithExternalLoop(func() { close(ready) }, nil)
	start()
	<-ready
	a.SetTray(t)
	// The session ending (logout) closes the bus: the agent ends with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-conn.Context().Done():
			a.logf("the session bus closed; quitting")
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		for {
			select {
			case <-systray.TrayOpenedCh:
				// Opening the menu rechecks the models' badges, so a model
				// changed on disk shows it at once.
				go a.Scan()
				a.Kick()
			case <-ctx.Done():
				return
			}
		}
	}()
	a.Run(ctx)
	end()
	beforeExit()
	return nil
}

// watcherName is the StatusNotifierWatcher's bus name, owned by the
// desktop's tray host (KDE Plasma, xfce4-panel, the GNOME AppIndicator
// extension, waybar, …).
const watcherName = "org.kde.StatusNotifierWatcher"

type linuxTray struct {
	mu    sync.Mutex // guards the fields below and serialises Update
	slots map[string]*slot
	click func(Action)
	icon  Icon
	title string
	tip   string
}

// slot is one position in the menu tree and what it shows now.
type slot struct {
	item   *systray.MenuItem // nil for a separator
	action Action
	title  string
	off    bool
	check  bool
	hidden bool
}

// kindOf separates slots that systray cannot convert into each other.
func kindOf(it Item) string {
	switch {
	case it.Separator:
		return "s"
	case it.Checkable:
		return "c"
	case len(it.Children) > 0:
		return "m"
	}
	return "i"
}

func (t *linuxTray) Update(s Status, menu []Item) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.Icon != t.icon {
		systray.SetIcon(iconPNG(s.Icon))
		t.icon = s.Icon
	}
	if s.Title != t.title {
		systray.SetTitle(s.Title)
		t.title = s.Title
	}
	if s.Tooltip != t.tip {
		systray.SetTooltip(s.Tooltip)
		t.tip = s.Tooltip
	}
	used := map[string]bool{}
	t.apply(nil, "", menu, used)
	for key, sl := range t.slots {
		if !used[key] && sl.item != nil && !sl.hidden {
			sl.item.Hide()
			sl.hidden = true
		}
	}
}

// apply shows items under parent (nil: the top level), creating slots.
func (t *linuxTray) apply(parent *systray.MenuItem, prefix string, items []Item, used map[string]bool) {
	for i, it := range items {
		key := prefix + strconv.Itoa(i) + kindOf(it)
		used[key] = true
		sl, ok := t.slots[key]
		if !ok {
			sl = t.newSlot(parent, it)
			t.slots[key] = sl
		}
		sl.action = it.Action
		if sl.item == nil {
			continue
		}
		if sl.title != it.Title {
			sl.item.SetTitle(menuLabel(it.Title))
			sl.title = it.Title
		}
		if sl.off != it.Disabled {
			if it.Disabled {
				sl.item.Disable()
			} else {
				sl.item.Enable()
			}
			sl.off = it.Disabled
		}
		if it.Checkable && sl.check != it.Checked {
			if it.Checked {
				sl.item.Check()
			} else {
				sl.item.Uncheck()
			}
			sl.check = it.Checked
		}
		if sl.hidden {
			sl.item.Show()
			sl.hidden = false
		}
		if len(it.Children) > 0 {
			t.apply(sl.item, key+"/", it.Children, used)
		}
	}
}

// menuLabel escapes a title for dbusmenu, where "_" marks the access key
// and "__" is a literal underscore (model names are full of them).
func menuLabel(title string) string { return strings.ReplaceAll(title, "_", "__") }

func (t *linuxTray) newSlot(parent *systray.MenuItem, it Item) *slot {
	sl := &slot{title: it.Title, off: it.Disabled, check: it.Checked}
	switch {
	case it.Separator && parent == nil:
		systray.AddSeparator()
		return sl
	case it.Separator:
		parent.AddSeparator()
		return sl
	case it.Checkable && parent == nil:
		sl.item = systray.AddMenuItemCheckbox(menuLabel(it.Title), "", it.Checked)
	case it.Checkable:
		sl.item = parent.AddSubMenuItemCheckbox(menuLabel(it.Title), "", it.Checked)
	case parent == nil:
		sl.item = systray.AddMenuItem(menuLabel(it.Title), "")
	default:
		sl.item = parent.AddSubMenuItem(menuLabel(it.Title), "")
	}
	if it.Disabled {
		sl.item.Disable()
	}
	go func() {
		for range sl.item.ClickedCh {
			t.mu.Lock()
			act := sl.action
			t.mu.Unlock()
			if act.Kind != ActNone {
				t.click(act)
			}
		}
	}()
	return sl
}
