// Package appkit is the bridge's AppKit part: the application object, a
// status item (the menu-bar icon) with its menu, the open panel, alerts
// and open-file events, for the agent's macOS skin. It calls AppKit
// through github.com/ebitengine/purego/objc, without cgo, so the darwin
// build cross-compiles from Linux. All code is in _darwin.go files; on
// other systems the package is empty.
//
// Thread rule: AppKit objects are used on the main thread only. Init and
// Run must be called from the main goroutine (the package's init locks it
// to the main thread); everything else either says "main thread" in its
// doc or hops there itself (OnMain).
//
// Ownership (Apple's rule): objects from alloc/new/copy are owned and
// released here once handed to AppKit (a menu retains its items, a status
// item its menu, a button its image); everything else is autoreleased and
// lives until the run loop's pool drains. The status item is retained for
// the life of the process. Go memory passed to AppKit (PNG bytes) is
// copied by NSData before the call returns and kept alive until then.
//
// Never run here: this code was compiled and vetted for darwin/arm64 and
// darwin/amd64 but not run (no Mac); the selectors and classes are checked
// non-zero by a darwin-only test.
package appkit
