package agent

import (
	"errors"
	"fmt"
	"github.com/proof-of-training/pot/internal/localmodels"
	"slices"
	"sync"
)

// fakeQueue is an in-memory Queue for the agent's own tests; the pot
// command's tests drive the agent with the real verifier/schedule queue.
type fakeQueue struct {
	mu         sync.Mutex
	jobs       []Job
	added      []Spec
	userPaused bool
	calls      []string
}

func (q *fakeQueue) Add(s Spec) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := fmt.Sprint(len(q.jobs) + 1)
	q.added = append(q.added, s)
	q.jobs = append(q.jobs, Job{ID: id, Candidate: s.Candidate, State: Queued})
	return id, nil
}

func (q *fakeQueue) Jobs() ([]Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.jobs), nil
}

func (q *fakeQueue) op(name, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.jobs {
		if q.jobs[i].ID == id {
			q.calls = append(q.calls, name+" "+id)
			return nil
		}
	}
	return errors.New("no job " + id)
}

func (q *fakeQueue) Pause(id string) error  { return q.op("pause", id) }
func (q *fakeQueue) Resume(id string) error { return q.op("resume", id) }
func (q *fakeQueue) Cancel(id string) error { return q.op("cancel", id) }

func (q *fakeQueue) SetUserPause(p bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.userPaused = p
	for i := range q.jobs {
		if !q.jobs[i].ended() && q.jobs[i].Held != p {
			q.jobs[i].Held = p
			q.calls = append(q.calls, fmt.Sprintf("hold %s %v", q.jobs[i].ID, p))
		}
	}
	return nil
}

// set replaces job id's fields.
func (q *fakeQueue) set(j Job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.jobs {
		if q.jobs[i].ID == j.ID {
			q.jobs[i] = j
			return
		}
	}
	q.jobs = append(q.jobs, j)
}

func (q *fakeQueue) snapshot() (added []Spec, paused bool, calls []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.added), q.userPaused, slices.Clone(q.calls)
}

func rootsWith(folder string) localmodels.Roots { return localmodels.Roots{Folders: []string{folder}} }
