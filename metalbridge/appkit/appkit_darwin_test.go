package appkit

import (
	"testing"

	"github.com/ebitengine/purego/objc"
)

// TestRegistered checks every selector and class is registered (on a Mac
// only: darwin files).
func TestRegistered(t *testing.T) {
	if err := load(); err != nil {
		t.Fatal(err)
	}
	for i, s := range []objc.SEL{sel_alloc, sel_init, sel_new, sel_release, sel_retain, sel_stringWithUTF8String,
		sel_UTF8String, sel_sharedApplication, sel_setActivationPolicy, sel_activateIgnoringOtherApps,
		sel_setDelegate, sel_run, sel_terminate, sel_performSelectorOnMainThread, sel_count, sel_objectAtIndex,
		sel_path, sel_fileURLWithPath, sel_array, sel_addObject, sel_dataWithBytesLength, sel_tag,
		sel_drainQueue, sel_clicked, sel_applicationOpenURLs, sel_applicationDidFinishLaunching,
		sel_applicationShouldTerminateAfterLastWin, sel_systemStatusBar, sel_statusItemWithLength, sel_button,
		sel_setTitle, sel_setToolTip, sel_setImage, sel_setImagePosition, sel_setMenu, sel_initWithData,
		sel_setSize, sel_setTemplate, sel_initWithTitle, sel_setAutoenablesItems, sel_addItem, sel_separatorItem,
		sel_initWithTitleActionKeyEquivalent, sel_setTarget, sel_setTag, sel_setEnabled, sel_setState,
		sel_setSubmenu, sel_openPanel, sel_setMessage, sel_setCanChooseFiles, sel_setCanChooseDirectories,
		sel_setAllowsMultiple, sel_setDirectoryURL, sel_setAllowedFileTypes, sel_runModal, sel_URL,
		sel_setMessageText, sel_setInformativeText, sel_addButtonWithTitle} {
		if s == 0 {
			t.Errorf("selector %d is 0", i)
		}
	}
	if runner == 0 || target == 0 || app == 0 {
		t.Error("PoT's classes or NSApp not created")
	}
}

// TestString round-trips a string through NSString.
func TestString(t *testing.T) {
	if err := load(); err != nil {
		t.Fatal(err)
	}
	if got := goString(nsString("PoT ✓")); got != "PoT ✓" {
		t.Errorf("round trip %q", got)
	}
}
