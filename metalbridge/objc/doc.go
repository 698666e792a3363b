// Package objc holds the Objective-C runtime helpers the bridge's framework
// packages (mtl, and the app's AppKit/IOKit code) share: loading a
// framework, NSString in both directions, NSError as a Go error,
// retain/release, and autorelease pools pinned to one OS thread. It wraps
// github.com/ebitengine/purego/objc (no cgo) and is darwin-only (on other
// systems the package is empty, so that `go build ./...` passes
// everywhere).
//
// Ownership (Apple's rule): an object returned by a method whose name
// begins with alloc, new, copy or mutableCopy is owned by the caller and
// must be released; any other returned object is autoreleased and lives
// until the enclosing pool drains, so code that keeps it retains it. Pools
// belong to the OS thread that created them: WithPool locks the goroutine
// to its thread for the pool's lifetime.
package objc
