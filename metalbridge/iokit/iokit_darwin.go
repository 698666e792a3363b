package iokit

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// Source is one power source's description (IOPSGetPowerSourceDescription).
type Source struct {
	Type            string // "InternalBattery", "UPS", …
	State           string // "AC Power", "Battery Power", "Off Line"
	Present         bool
	Charging        bool
	CurrentCapacity int64 // with MaxCapacity, the charge; percent on Apple laptops
	MaxCapacity     int64
}

const (
	kCFStringEncodingUTF8   = 0x08000100
	kCFNumberSInt64Type     = 4
	kIOPMAssertionLevelOn   = 255
	kIOReturnSuccess        = 0
	assertionPreventIdleSys = "PreventUserIdleSystemSleep"
)

var (
	loadOnce sync.Once
	loadErr  error

	// Core Foundation.
	cfRelease                 func(uintptr)
	cfArrayGetCount           func(uintptr) int
	cfArrayGetValueAtIndex    func(uintptr, int) uintptr
	cfDictionaryGetValue      func(uintptr, uintptr) uintptr
	cfStringCreateWithCString func(uintptr, string, uint32) uintptr
	cfStringGetCString        func(uintptr, *byte, int, uint32) bool
	cfNumberGetValue          func(uintptr, int, unsafe.Pointer) bool
	cfBooleanGetValue         func(uintptr) bool

	// IOKit.
	iopsCopyPowerSourcesInfo        func() uintptr
	iopsCopyPowerSourcesList        func(uintptr) uintptr
	iopsGetPowerSourceDescription   func(uintptr, uintptr) uintptr
	iopsGetProvidingPowerSourceType func(uintptr) uintptr
	iopmAssertionCreateWithName     func(uintptr, uint32, uintptr, *uint32) int32
	iopmAssertionRelease            func(uint32) int32

	// Foundation.
	class_NSProcessInfo       objc.Class
	sel_processInfo           = objc.RegisterName("processInfo")
	sel_thermalState          = objc.RegisterName("thermalState")
	sel_isLowPowerModeEnabled = objc.RegisterName("isLowPowerModeEnabled")
	sel_respondsToSelector    = objc.RegisterName("respondsToSelector:")
)

// load opens the frameworks and binds the functions, once.
func load() error {
	loadOnce.Do(func() {
		libs := map[string]uintptr{}
		for _, path := range []string{
			"/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation",
			"/System/Library/Frameworks/IOKit.framework/IOKit",
			"/System/Library/Frameworks/Foundation.framework/Foundation",
		} {
			h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
			if err != nil {
				loadErr = fmt.Errorf("iokit: %s: %w", path, err)
				return
			}
			libs[path] = h
		}
		cf := libs["/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"]
		io := libs["/System/Library/Frameworks/IOKit.framework/IOKit"]
		purego.RegisterLibFunc(&cfRelease, cf, "CFRelease")
		purego.RegisterLibFunc(&cfArrayGetCount, cf, "CFArrayGetCount")
		purego.RegisterLibFunc(&cfArrayGetValueAtIndex, cf, "CFArrayGetValueAtIndex")
		purego.RegisterLibFunc(&cfDictionaryGetValue, cf, "CFDictionaryGetValue")
		purego.RegisterLibFunc(&cfStringCreateWithCString, cf, "CFStringCreateWithCString")
		purego.RegisterLibFunc(&cfStringGetCString, cf, "CFStringGetCString")
		purego.RegisterLibFunc(&cfNumberGetValue, cf, "CFNumberGetValue")
		purego.RegisterLibFunc(&cfBooleanGetValue, cf, "CFBooleanGetValue")
		purego.RegisterLibFunc(&iopsCopyPowerSourcesInfo, io, "IOPSCopyPowerSourcesInfo")
		purego.RegisterLibFunc(&iopsCopyPowerSourcesList, io, "IOPSCopyPowerSourcesList")
		purego.RegisterLibFunc(&iopsGetPowerSourceDescription, io, "IOPSGetPowerSourceDescription")
		purego.RegisterLibFunc(&iopsGetProvidingPowerSourceType, io, "IOPSGetProvidingPowerSourceType")
		purego.RegisterLibFunc(&iopmAssertionCreateWithName, io, "IOPMAssertionCreateWithName")
		purego.RegisterLibFunc(&iopmAssertionRelease, io, "IOPMAssertionRelease")
		class_NSProcessInfo = objc.GetClass("NSProcessInfo")
		if class_NSProcessInfo == 0 {
			loadErr = errors.New("iokit: no NSProcessInfo class")
		}
	})
	return loadErr
}

// cfString makes a CFString the caller releases.
func cfString(s string) uintptr { return cfStringCreateWithCString(0, s, kCFStringEncodingUTF8) }

// goString copies a borrowed CFString ("" for nil).
func goString(s uintptr) string {
	if s == 0 {
		return ""
	}
	buf := make([]byte, 256)
	if !cfStringGetCString(s, &buf[0], len(buf), kCFStringEncodingUTF8) {
		return ""
	}
	for i, b := range buf {
		if b == 0 {
			return string(buf[:i])
		}
	}
	return string(buf)
}

// value looks key up in a borrowed CFDictionary.
func value(dict uintptr, key string) uintptr {
	k := cfString(key)
	defer cfRelease(k)
	return cfDictionaryGetValue(dict, k)
}

func number(v uintptr) int64 {
	var n int64
	if v != 0 {
		cfNumberGetValue(v, kCFNumberSInt64Type, unsafe.Pointer(&n))
	}
	return n
}

// PowerSources returns what powers the machine now ("AC Power", "Battery
// Power", "UPS Power") and every power source's description.
func PowerSources() (providing string, sources []Source, err error) {
	if err := load(); err != nil {
		return "", nil, err
	}
	blob := iopsCopyPowerSourcesInfo()
	if blob == 0 {
		return "", nil, errors.New("iokit: IOPSCopyPowerSourcesInfo returned nothing")
	}
	defer cfRelease(blob)
	providing = goString(iopsGetProvidingPowerSourceType(blob)) // Get rule: borrowed
	list := iopsCopyPowerSourcesList(blob)
	if list == 0 {
		return providing, nil, nil
	}
	defer cfRelease(list)
	for i := range cfArrayGetCount(list) {
		d := iopsGetPowerSourceDescription(blob, cfArrayGetValueAtIndex(list, i))
		if d == 0 {
			continue
		}
		s := Source{Type: goString(value(d, "Type")), State: goString(value(d, "Power Source State")),
			CurrentCapacity: number(value(d, "Current Capacity")), MaxCapacity: number(value(d, "Max Capacity"))}
		if b := value(d, "Is Present"); b != 0 {
			s.Present = cfBooleanGetValue(b)
		}
		if b := value(d, "Is Charging"); b != 0 {
			s.Charging = cfBooleanGetValue(b)
		}
		sources = append(sources, s)
	}
	return providing, sources, nil
}

func processInfo() objc.ID { return objc.ID(class_NSProcessInfo).Send(sel_processInfo) }

// ThermalState is NSProcessInfo.thermalState: 0 nominal, 1 fair, 2
// serious, 3 critical.
func ThermalState() (int, error) {
	if err := load(); err != nil {
		return 0, err
	}
	return objc.Send[int](processInfo(), sel_thermalState), nil
}

// LowPowerMode is NSProcessInfo.isLowPowerModeEnabled (macOS 12+; false
// where the selector does not exist).
func LowPowerMode() (bool, error) {
	if err := load(); err != nil {
		return false, err
	}
	pi := processInfo()
	if !objc.Send[bool](pi, sel_respondsToSelector, sel_isLowPowerModeEnabled) {
		return false, nil
	}
	return objc.Send[bool](pi, sel_isLowPowerModeEnabled), nil
}

// PreventSleep holds a PreventUserIdleSystemSleep assertion until release
// is called; `pmset -g assertions` shows it with reason.
func PreventSleep(reason string) (release func() error, err error) {
	if err := load(); err != nil {
		return nil, err
	}
	typ, name := cfString(assertionPreventIdleSys), cfString(reason)
	defer cfRelease(typ)
	defer cfRelease(name)
	var id uint32
	if rc := iopmAssertionCreateWithName(typ, kIOPMAssertionLevelOn, name, &id); rc != kIOReturnSuccess {
		return nil, fmt.Errorf("iokit: IOPMAssertionCreateWithName: IOReturn %#x", uint32(rc))
	}
	return func() error {
		if rc := iopmAssertionRelease(id); rc != kIOReturnSuccess {
			return fmt.Errorf("iokit: IOPMAssertionRelease: IOReturn %#x", uint32(rc))
		}
		return nil
	}, nil
}
