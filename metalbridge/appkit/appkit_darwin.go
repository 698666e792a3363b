package appkit

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

func init() {
	// AppKit must run on the process's main thread; main starts there.
	runtime.LockOSThread()
}

const appKitPath = "/System/Library/Frameworks/AppKit.framework/AppKit"

// Selectors, registered once; TestRegistered checks none is 0.
var (
	sel_alloc                                  = objc.RegisterName("alloc")
	sel_init                                   = objc.RegisterName("init")
	sel_new                                    = objc.RegisterName("new")
	sel_release                                = objc.RegisterName("release")
	sel_retain                                 = objc.RegisterName("retain")
	sel_stringWithUTF8String                   = objc.RegisterName("stringWithUTF8String:")
	sel_UTF8String                             = objc.RegisterName("UTF8String")
	sel_sharedApplication                      = objc.RegisterName("sharedApplication")
	sel_setActivationPolicy                    = objc.RegisterName("setActivationPolicy:")
	sel_activateIgnoringOtherApps              = objc.RegisterName("activateIgnoringOtherApps:")
	sel_setDelegate                            = objc.RegisterName("setDelegate:")
	sel_run                                    = objc.RegisterName("run")
	sel_terminate                              = objc.RegisterName("terminate:")
	sel_performSelectorOnMainThread            = objc.RegisterName("performSelectorOnMainThread:withObject:waitUntilDone:")
	sel_count                                  = objc.RegisterName("count")
	sel_objectAtIndex                          = objc.RegisterName("objectAtIndex:")
	sel_path                                   = objc.RegisterName("path")
	sel_fileURLWithPath                        = objc.RegisterName("fileURLWithPath:")
	sel_array                                  = objc.RegisterName("array")
	sel_addObject                              = objc.RegisterName("addObject:")
	sel_dataWithBytesLength                    = objc.RegisterName("dataWithBytes:length:")
	sel_tag                                    = objc.RegisterName("tag")
	sel_drainQueue                             = objc.RegisterName("potDrainQueue:")
	sel_clicked                                = objc.RegisterName("potClicked:")
	sel_applicationOpenURLs                    = objc.RegisterName("application:openURLs:")
	sel_applicationDidFinishLaunching          = objc.RegisterName("applicationDidFinishLaunching:")
	sel_applicationShouldTerminateAfterLastWin = objc.RegisterName("applicationShouldTerminateAfterLastWindowClosed:")
)

// Classes, looked up after AppKit is loaded (see load).
var (
	class_NSApplication  objc.Class
	class_NSString       objc.Class
	class_NSURL          objc.Class
	class_NSMutableArray objc.Class
	class_NSData         objc.Class
	class_NSStatusBar    objc.Class
	class_NSMenu         objc.Class
	class_NSMenuItem     objc.Class
	class_NSImage        objc.Class
	class_NSOpenPanel    objc.Class
	class_NSAlert        objc.Class
	class_NSObject       objc.Class
)

// NSApplicationActivationPolicyAccessory: no Dock icon, no app menu; the
// status item is the app's only presence (Apple's
// NSApplication.ActivationPolicy.accessory).
const activationPolicyAccessory = 1

var (
	loadOnce sync.Once
	loadErr  error
	app      objc.ID // NSApp
	runner   objc.ID // a PoTMainRunner: drains queued work on the main thread
	target   objc.ID // a PoTMenuTarget: every menu item's target

	mu       sync.Mutex // guards the fields below
	queued   []func()
	onClick  func(tag int)
	onOpen   func(paths []string)
	onLaunch func()
)

// load opens AppKit, looks up the classes and registers PoT's classes.
func load() error {
	loadOnce.Do(func() {
		if _, err := purego.Dlopen(appKitPath, purego.RTLD_NOW|purego.RTLD_GLOBAL); err != nil {
			loadErr = fmt.Errorf("appkit: %w", err)
			return
		}
		for p, name := range map[*objc.Class]string{&class_NSApplication: "NSApplication", &class_NSString: "NSString",
			&class_NSURL: "NSURL", &class_NSMutableArray: "NSMutableArray", &class_NSData: "NSData",
			&class_NSStatusBar: "NSStatusBar", &class_NSMenu: "NSMenu", &class_NSMenuItem: "NSMenuItem",
			&class_NSImage: "NSImage", &class_NSOpenPanel: "NSOpenPanel", &class_NSAlert: "NSAlert", &class_NSObject: "NSObject"} {
			if *p = objc.GetClass(name); *p == 0 {
				loadErr = errors.New("appkit: class " + name + " not found")
				return
			}
		}
		loadErr = registerClasses()
	})
	return loadErr
}

func registerClasses() error {
	runnerClass, err := objc.RegisterClass("PoTMainRunner", class_NSObject, nil, nil, []objc.MethodDef{
		{Cmd: sel_drainQueue, Fn: func(self objc.ID, _ objc.SEL, _ objc.ID) { drain() }},
	})
	if err != nil {
		return fmt.Errorf("appkit: %w", err)
	}
	targetClass, err := objc.RegisterClass("PoTMenuTarget", class_NSObject, nil, nil, []objc.MethodDef{
		{Cmd: sel_clicked, Fn: func(self objc.ID, _ objc.SEL, sender objc.ID) {
			tag := objc.Send[int](sender, sel_tag)
			mu.Lock()
			fn := onClick
			mu.Unlock()
			if fn != nil {
				fn(tag)
			}
		}},
	})
	if err != nil {
		return fmt.Errorf("appkit: %w", err)
	}
	delegateClass, err := objc.RegisterClass("PoTAppDelegate", class_NSObject, nil, nil, []objc.MethodDef{
		{Cmd: sel_applicationDidFinishLaunching, Fn: func(self objc.ID, _ objc.SEL, _ objc.ID) {
			mu.Lock()
			fn := onLaunch
			mu.Unlock()
			if fn != nil {
				fn()
			}
		}},
		{Cmd: sel_applicationOpenURLs, Fn: func(self objc.ID, _ objc.SEL, _ objc.ID, urls objc.ID) {
			paths := urlPaths(urls)
			mu.Lock()
			fn := onOpen
			mu.Unlock()
			if fn != nil && len(paths) > 0 {
				fn(paths)
			}
		}},
		{Cmd: sel_applicationShouldTerminateAfterLastWin, Fn: func(self objc.ID, _ objc.SEL, _ objc.ID) bool { return false }},
	})
	if err != nil {
		return fmt.Errorf("appkit: %w", err)
	}
	runner = objc.ID(runnerClass).Send(sel_new)
	target = objc.ID(targetClass).Send(sel_new)
	app = objc.ID(class_NSApplication).Send(sel_sharedApplication)
	app.Send(sel_setActivationPolicy, activationPolicyAccessory)
	app.Send(sel_setDelegate, objc.ID(delegateClass).Send(sel_new))
	return nil
}

// urlPaths reads the file paths of an NSArray of NSURL.
func urlPaths(urls objc.ID) []string {
	n := objc.Send[uint](urls, sel_count)
	var paths []string
	for i := uint(0); i < n; i++ {
		u := urls.Send(sel_objectAtIndex, i)
		if p := goString(u.Send(sel_path)); p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// nsString returns an autoreleased NSString.
func nsString(s string) objc.ID {
	return objc.ID(class_NSString).Send(sel_stringWithUTF8String, s)
}

// goString copies an NSString (nil is "").
func goString(s objc.ID) string {
	if s == 0 {
		return ""
	}
	return objc.Send[string](s, sel_UTF8String)
}

// nsData returns an autoreleased NSData copy of b.
func nsData(b []byte) objc.ID {
	if len(b) == 0 {
		return objc.ID(class_NSData).Send(sel_dataWithBytesLength, unsafe.Pointer(nil), 0)
	}
	d := objc.ID(class_NSData).Send(sel_dataWithBytesLength, unsafe.Pointer(&b[0]), len(b))
	runtime.KeepAlive(b)
	return d
}

// Init loads AppKit and creates the application as an accessory (no Dock
// icon). Main thread.
func Init() error { return load() }

// Run runs the application's event loop on the main thread until
// Terminate; launched is called on the main thread once the application
// has finished launching (create the status item there). Open-file events
// (a .gguf opened with the app from Finder) go to open, also on the main
// thread.
func Run(launched func(), open func(paths []string)) error {
	if err := load(); err != nil {
		return err
	}
	mu.Lock()
	onLaunch, onOpen = launched, open
	mu.Unlock()
	app.Send(sel_run)
	return nil
}

// Terminate ends the application (from any goroutine).
func Terminate() {
	OnMain(func() { app.Send(sel_terminate, objc.ID(0)) })
}

// Activate brings the application to the front so that a panel or alert
// shows above other windows. Main thread.
func Activate() { app.Send(sel_activateIgnoringOtherApps, true) }

// OnMain runs fn on the main thread, asynchronously, in order.
func OnMain(fn func()) {
	if load() != nil {
		return
	}
	mu.Lock()
	queued = append(queued, fn)
	mu.Unlock()
	runner.Send(sel_performSelectorOnMainThread, sel_drainQueue, objc.ID(0), false)
}

// drain runs the queued functions (main thread).
func drain() {
	mu.Lock()
	fns := queued
	queued = nil
	mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
