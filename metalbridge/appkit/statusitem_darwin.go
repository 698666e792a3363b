package appkit

import (
	"github.com/ebitengine/purego/objc"
)

var (
	sel_systemStatusBar                  = objc.RegisterName("systemStatusBar")
	sel_statusItemWithLength             = objc.RegisterName("statusItemWithLength:")
	sel_button                           = objc.RegisterName("button")
	sel_setTitle                         = objc.RegisterName("setTitle:")
	sel_setToolTip                       = objc.RegisterName("setToolTip:")
	sel_setImage                         = objc.RegisterName("setImage:")
	sel_setImagePosition                 = objc.RegisterName("setImagePosition:")
	sel_setMenu                          = objc.RegisterName("setMenu:")
	sel_initWithData                     = objc.RegisterName("initWithData:")
	sel_setSize                          = objc.RegisterName("setSize:")
	sel_setTemplate                      = objc.RegisterName("setTemplate:")
	sel_initWithTitle                    = objc.RegisterName("initWithTitle:")
	sel_setAutoenablesItems              = objc.RegisterName("setAutoenablesItems:")
	sel_addItem                          = objc.RegisterName("addItem:")
	sel_separatorItem                    = objc.RegisterName("separatorItem")
	sel_initWithTitleActionKeyEquivalent = objc.RegisterName("initWithTitle:action:keyEquivalent:")
	sel_setTarget                        = objc.RegisterName("setTarget:")
	sel_setTag                           = objc.RegisterName("setTag:")
	sel_setEnabled                       = objc.RegisterName("setEnabled:")
	sel_setState                         = objc.RegisterName("setState:")
	sel_setSubmenu                       = objc.RegisterName("setSubmenu:")
)

// Apple's values: NSVariableStatusItemLength is the CGFloat -1 (passed as
// a float: an integer gives a zero-width item); NSImageLeft puts the image
// left of the title; NSControlStateValueOn/Off are 1/0.
const (
	variableStatusItemLength = -1.0
	imageLeft                = 2
	stateOn                  = 1
	stateOff                 = 0
)

// size is NSSize (CGFloat width and height), passed by value.
type size struct{ W, H float64 }

// StatusItem is the menu-bar item.
type StatusItem struct{ id objc.ID }

// NewStatusItem adds an item to the system status bar and keeps it for
// the life of the process. Main thread.
func NewStatusItem() StatusItem {
	bar := objc.ID(class_NSStatusBar).Send(sel_systemStatusBar)
	item := bar.Send(sel_statusItemWithLength, float64(variableStatusItemLength))
	item.Send(sel_retain) // autoreleased, and AppKit removes a released item
	item.Send(sel_button).Send(sel_setImagePosition, imageLeft)
	return StatusItem{item}
}

// SetImage shows a PNG as the item's image, drawn at points×points; a
// template image is tinted by AppKit for light and dark menu bars. Main
// thread.
func (s StatusItem) SetImage(png []byte, points float64, template bool) {
	img := objc.ID(class_NSImage).Send(sel_alloc).Send(sel_initWithData, nsData(png))
	if img == 0 {
		return
	}
	img.Send(sel_setSize, size{points, points})
	img.Send(sel_setTemplate, template)
	s.id.Send(sel_button).Send(sel_setImage, img)
	img.Send(sel_release)
}

// SetTitle sets the text beside the image ("62%"). Main thread.
func (s StatusItem) SetTitle(t string) { s.id.Send(sel_button).Send(sel_setTitle, nsString(t)) }

// SetToolTip sets the hover text. Main thread.
func (s StatusItem) SetToolTip(t string) { s.id.Send(sel_button).Send(sel_setToolTip, nsString(t)) }

// SetMenu attaches m, which the item retains; the caller's reference is
// released. Main thread.
func (s StatusItem) SetMenu(m Menu) {
	s.id.Send(sel_setMenu, m.id)
	m.id.Send(sel_release)
}

// Menu is an NSMenu being built.
type Menu struct{ id objc.ID }

// NewMenu returns an empty menu whose items are enabled exactly as set
// (no validation by the responder chain). Main thread.
func NewMenu() Menu {
	m := objc.ID(class_NSMenu).Send(sel_alloc).Send(sel_initWithTitle, nsString(""))
	m.Send(sel_setAutoenablesItems, false)
	return Menu{m}
}

// AddSeparator appends a separator. Main thread.
func (m Menu) AddSeparator() {
	m.id.Send(sel_addItem, objc.ID(class_NSMenuItem).Send(sel_separatorItem))
}

// AddItem appends an item; clicking it calls the SetClickHandler function
// with tag. A submenu (from NewMenu, filled) may be attached; the item
// takes it over. Main thread.
func (m Menu) AddItem(title string, tag int, enabled, checked bool, sub *Menu) {
	it := objc.ID(class_NSMenuItem).Send(sel_alloc).Send(sel_initWithTitleActionKeyEquivalent,
		nsString(title), sel_clicked, nsString(""))
	it.Send(sel_setTarget, target)
	it.Send(sel_setTag, tag)
	it.Send(sel_setEnabled, enabled)
	if checked {
		it.Send(sel_setState, stateOn)
	} else {
		it.Send(sel_setState, stateOff)
	}
	if sub != nil {
		it.Send(sel_setSubmenu, sub.id)
		sub.id.Send(sel_release)
	}
	m.id.Send(sel_addItem, it)
	it.Send(sel_release)
}

// SetClickHandler sets the function menu clicks call, on the main thread,
// with the clicked item's tag.
func SetClickHandler(fn func(tag int)) {
	mu.Lock()
	onClick = fn
	mu.Unlock()
}
