// Package schedule keeps PoT's verification jobs: a persistent queue, run
// windows, and a power policy, so that a verification that takes hours on a
// laptop survives nights, unplugging, sleep and reboots (DESIGN.md §7).
//
// A job moves through
//
//	queued → waiting (window, power or user pause, with the reason)
//	       → running → done | failed (with the error) | cancelled
//
// and back from running to waiting when its window closes, the power
// policy pauses it, or the user does. The queue lives in a bbolt database
// (go.etcd.io/bbolt) in the user's data directory; every transaction is
// fsynced, and bbolt's copy-on-write pages mean a crash at any moment leaves
// the last committed state. The database is opened for each operation and
// closed after it, so `pot queue` and the runner share it; bbolt's file
// lock serialises the processes.
//
// Queue semantics follow goqite: a runner takes a job with a lease that a
// heartbeat extends while it runs; a job whose runner died is taken over
// once its lease expires, or at once when the runner's lock file (held for
// the runner's lifetime, see Runner) shows it dead. Every step is
// idempotent: the work itself resumes from its own checkpoint, so running a
// job again after a crash continues it. A job whose runners keep dying
// without progress fails after Settings.MaxCrashes attempts instead of
// looping.
//
// The decisions — is the window open, may the job run on this power, how
// fast — are pure functions (Decide) of values the platform code produces
// (PowerState), table-tested on any machine. Platform power sources and
// sleep inhibitors implement the small PowerSource and Inhibitor
// interfaces elsewhere (internal/power); this package reads no clock and no
// device itself.
//
// What a job does is opaque here: a Spec (JSON) stored as it is, handed to
// the Work function. Out of scope: several jobs at once on one machine
// beyond Settings.MaxRunning, priorities, and waking a sleeping machine.
package schedule
