// Package metalbridge is PoT's Objective-C bridge on macOS: one subpackage
// per framework (objc runtime helpers, Metal, AppKit, IOKit), darwin-only
// and cgo-free through github.com/ebitengine/purego, and the Metal
// implementation of engine.Backend with its kernels as embedded .metal
// source.
//
// The portable core (verifier/...) never imports this package; the app
// wires it in. Its contents arrive with the Metal backend and menu-bar
// work; until then the engine runs on the CPU backend on every platform.
package metalbridge
