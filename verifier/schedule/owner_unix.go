//go:build unix

package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// ownerLock is a runner's lock file, flocked for the runner's lifetime:
// the kernel releases it when the process dies however it dies, so a
// crashed runner's lease can be taken over at once.
type ownerLock struct{ f *os.File }

func (q *Queue) ownerPath(owner string) string {
	return filepath.Join(q.dir, "runners", owner+".lock")
}

func (q *Queue) lockOwner(owner string) (*ownerLock, error) {
	p := q.ownerPath(owner)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return &ownerLock{f: f}, nil
}

func (l *ownerLock) release() {
	os.Remove(l.f.Name())
	l.f.Close()
}

// ownerAlive says whether owner's lock is still held. A missing file means
// the owner is gone; an unexpected error counts as alive, leaving the
// decision to the lease's expiry.
func (q *Queue) ownerAlive(owner string) bool {
	f, err := os.OpenFile(q.ownerPath(owner), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		return true
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	os.Remove(f.Name()) // a dead owner's leftover
	return false
}
