package appkit

import (
	"strings"

	"github.com/ebitengine/purego/objc"
)

var (
	sel_openPanel               = objc.RegisterName("openPanel")
	sel_setMessage              = objc.RegisterName("setMessage:")
	sel_setCanChooseFiles       = objc.RegisterName("setCanChooseFiles:")
	sel_setCanChooseDirectories = objc.RegisterName("setCanChooseDirectories:")
	sel_setAllowsMultiple       = objc.RegisterName("setAllowsMultipleSelection:")
	sel_setDirectoryURL         = objc.RegisterName("setDirectoryURL:")
	sel_setAllowedFileTypes     = objc.RegisterName("setAllowedFileTypes:")
	sel_runModal                = objc.RegisterName("runModal")
	sel_URL                     = objc.RegisterName("URL")
	sel_setMessageText          = objc.RegisterName("setMessageText:")
	sel_setInformativeText      = objc.RegisterName("setInformativeText:")
	sel_addButtonWithTitle      = objc.RegisterName("addButtonWithTitle:")
)

// Apple's modal responses: NSModalResponseOK and NSAlertFirstButtonReturn.
const (
	modalResponseOK        = 1
	alertFirstButtonReturn = 1000
)

// OpenPanel shows the open panel and returns the chosen path, or ok false
// when the user cancels. exts are file extensions without dots ("gguf");
// none allows every file. Main thread.
func OpenPanel(message, folder string, exts []string, directory bool) (path string, ok bool) {
	Activate()
	p := objc.ID(class_NSOpenPanel).Send(sel_openPanel)
	p.Send(sel_setMessage, nsString(message))
	p.Send(sel_setCanChooseFiles, !directory)
	p.Send(sel_setCanChooseDirectories, directory)
	p.Send(sel_setAllowsMultiple, false)
	if folder != "" {
		p.Send(sel_setDirectoryURL, objc.ID(class_NSURL).Send(sel_fileURLWithPath, nsString(folder)))
	}
	if len(exts) > 0 {
		arr := objc.ID(class_NSMutableArray).Send(sel_array)
		for _, e := range exts {
			arr.Send(sel_addObject, nsString(strings.TrimPrefix(e, ".")))
		}
		p.Send(sel_setAllowedFileTypes, arr)
	}
	if objc.Send[int](p, sel_runModal) != modalResponseOK {
		return "", false
	}
	path = goString(p.Send(sel_URL).Send(sel_path))
	return path, path != ""
}

// Alert shows a modal alert with buttons (the first is the default) and
// returns the index of the button pressed. Main thread.
func Alert(message, info string, buttons []string) int {
	Activate()
	a := objc.ID(class_NSAlert).Send(sel_alloc).Send(sel_init)
	defer a.Send(sel_release)
	a.Send(sel_setMessageText, nsString(message))
	a.Send(sel_setInformativeText, nsString(info))
	for _, b := range buttons {
		a.Send(sel_addButtonWithTitle, nsString(b))
	}
	return objc.Send[int](a, sel_runModal) - alertFirstButtonReturn
}
