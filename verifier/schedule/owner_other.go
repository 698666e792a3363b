//go:build !unix

package schedule

// Without flock a dead runner's lease is taken over when it expires.
type ownerLock struct{}

func (q *Queue) lockOwner(string) (*ownerLock, error) { return &ownerLock{}, nil }

func (l *ownerLock) release() {}

func (q *Queue) ownerAlive(string) bool { return true }
