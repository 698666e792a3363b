package objc

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
	rt "github.com/ebitengine/purego/objc"
)

// ID is an Objective-C object pointer; nil is 0. Only the bridge's
// packages use it in signatures.
type ID = rt.ID

// SEL is a registered selector.
type SEL = rt.SEL

// Class is an Objective-C class.
type Class = rt.Class

// foundation is the path of the Foundation framework (NSString, NSError,
// NSAutoreleasePool); CGO_ENABLED=0 binaries load no framework by themselves.
const foundation = "/System/Library/Frameworks/Foundation.framework/Foundation"

// Selectors, registered once; TestRegistered checks none is 0.
var (
	sel_alloc                = rt.RegisterName("alloc")
	sel_new                  = rt.RegisterName("new")
	sel_init                 = rt.RegisterName("init")
	sel_retain               = rt.RegisterName("retain")
	sel_release              = rt.RegisterName("release")
	sel_drain                = rt.RegisterName("drain")
	sel_stringWithUTF8String = rt.RegisterName("stringWithUTF8String:")
	sel_UTF8String           = rt.RegisterName("UTF8String")
	sel_localizedDescription = rt.RegisterName("localizedDescription")
	sel_code                 = rt.RegisterName("code")
	sel_domain               = rt.RegisterName("domain")
	sel_respondsToSelector   = rt.RegisterName("respondsToSelector:")
)

// Classes, looked up in init after Foundation is loaded (a class of a
// framework not yet loaded would be 0).
var (
	class_NSString          Class
	class_NSAutoreleasePool Class
)

// loadErr is why Foundation could not be loaded, if it could not.
var loadErr error

func init() {
	if _, err := Load(foundation); err != nil {
		loadErr = err
		return
	}
	class_NSString = rt.GetClass("NSString")
	class_NSAutoreleasePool = rt.GetClass("NSAutoreleasePool")
}

// Load dlopens a framework or library (RTLD_NOW|RTLD_GLOBAL) so that its
// classes and functions become reachable.
func Load(path string) (uintptr, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return 0, fmt.Errorf("objc: loading %s: %w", path, err)
	}
	return h, nil
}

// Ready reports whether Foundation loaded.
func Ready() error { return loadErr }

// Sel registers (or finds) a selector: for callers outside the bridge's
// package-level tables.
func Sel(name string) SEL { return rt.RegisterName(name) }

// GetClass returns the named class, 0 if none is loaded.
func GetClass(name string) Class { return rt.GetClass(name) }

// Send sends a message returning an object or an integer-sized value.
func Send(id ID, sel SEL, args ...any) ID { return id.Send(sel, args...) }

// SendT sends a message returning a T (a pointer, number, bool or struct).
func SendT[T any](id ID, sel SEL, args ...any) T { return rt.Send[T](id, sel, args...) }

// New returns [[cls alloc] init], owned by the caller.
func New(cls Class) ID { return ID(cls).Send(sel_alloc).Send(sel_init) }

// Retain retains id and returns it (a nil id stays nil).
func Retain(id ID) ID {
	if id == 0 {
		return 0
	}
	return id.Send(sel_retain)
}

// Release releases id; releasing nil does nothing.
func Release(id ID) {
	if id != 0 {
		id.Send(sel_release)
	}
}

// RespondsTo reports whether id implements sel.
func RespondsTo(id ID, sel SEL) bool { return rt.Send[bool](id, sel_respondsToSelector, sel) }

// String returns an autoreleased NSString holding s (NUL bytes end it).
func String(s string) ID {
	b := append([]byte(s), 0)
	id := ID(class_NSString).Send(sel_stringWithUTF8String, unsafe.Pointer(&b[0]))
	runtime.KeepAlive(b)
	return id
}

// GoString copies an NSString into a Go string ("" for nil).
func GoString(id ID) string {
	if id == 0 {
		return ""
	}
	p := rt.Send[*byte](id, sel_UTF8String)
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// ErrNSError is wrapped by errors made from an NSError.
var ErrNSError = errors.New("NSError")

// Error turns an NSError into a Go error naming its domain, code and
// description; nil for a nil NSError. Call it inside the pool the NSError
// belongs to.
func Error(nsErr ID) error {
	if nsErr == 0 {
		return nil
	}
	return fmt.Errorf("%w %s %d: %s", ErrNSError, GoString(nsErr.Send(sel_domain)),
		rt.Send[int](nsErr, sel_code), GoString(nsErr.Send(sel_localizedDescription)))
}

// WithPool runs fn inside an autorelease pool on one locked OS thread, and
// drains the pool after it, so autoreleased temporaries created by fn are
// freed: wrap each unit of Metal or AppKit work in it.
func WithPool(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pool := ID(class_NSAutoreleasePool).Send(sel_new)
	defer pool.Send(sel_drain)
	fn()
}
