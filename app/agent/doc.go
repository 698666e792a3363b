// Package agent is PoT's menu-bar (macOS) and system-tray (Linux) agent: a
// quiet icon that shows whether a verification is running, a menu to verify a
// model now or tonight, the queue with its progress, recent certificates and
// the models already on this machine, and notifications when a certificate
// is ready.
//
// Scope: the agent's decisions and its platform skins. Everything a person
// sees or that changes state is decided by portable, table-tested code:
// Status (which icon, title and tooltip), BuildMenu (the menu for a View),
// Notices (which notifications a queue change deserves), badge validity
// (whether a verified model is still the file that was verified) and the
// Verify Model… flow. Platform files are thin skins that turn those values
// into a StatusNotifierItem (Linux, fyne.io/systray over D-Bus) or an
// NSStatusItem (macOS, metalbridge/appkit over purego), and OS events back
// into Actions. The queue itself and its runner are not here: the agent
// drives a Queue (verifier/schedule's persistent queue in the pot command).
//
// One agent runs per user. It holds an exclusive lock in the user's config
// directory and serves a Unix socket there (mode 0600 in a 0700 directory;
// never a network port) through which `pot verify --schedule` and the
// other CLI commands reach it.
//
// Security stance: the socket accepts requests only from the user's own
// processes (the directory permissions are checked), every request is size-
// capped JSON, and a file named in a request is only queued, never opened
// by the agent itself; the verifier treats it as hostile input.
package agent
