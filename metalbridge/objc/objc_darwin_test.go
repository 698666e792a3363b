package objc

import "testing"

// TestRegistered checks that every selector and class of the package was
// registered (runs on a Mac only: darwin files).
func TestRegistered(t *testing.T) {
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]SEL{
		"alloc": sel_alloc, "new": sel_new, "init": sel_init, "retain": sel_retain, "release": sel_release,
		"drain": sel_drain, "stringWithUTF8String:": sel_stringWithUTF8String, "UTF8String": sel_UTF8String,
		"localizedDescription": sel_localizedDescription, "code": sel_code, "domain": sel_domain,
		"respondsToSelector:": sel_respondsToSelector,
	} {
		if s == 0 {
			t.Errorf("selector %s is 0", name)
		}
	}
	for name, c := range map[string]Class{"NSString": class_NSString, "NSAutoreleasePool": class_NSAutoreleasePool} {
		if c == 0 {
			t.Errorf("class %s is 0", name)
		}
	}
}

// TestString round-trips a string through NSString.
func TestString(t *testing.T) {
	WithPool(func() {
		const s = "PoT ✓ metal"
		if got := GoString(String(s)); got != s {
			t.Errorf("round trip: %q", got)
		}
	})
}
