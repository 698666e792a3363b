package schedule

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Errors callers test with errors.Is.
var (
	ErrNotFound  = errors.New("schedule: no such job")
	ErrLeaseLost = errors.New("schedule: the job is no longer this runner's") // cancelled, or taken over
	ErrState     = errors.New("schedule: not possible in the job's state")
)

// DBFile is the queue database's name inside the queue directory.
const DBFile = "queue.db"

var (
	bucketJobs     = []byte("jobs")
	bucketSettings = []byte("settings")
	keySettings    = []byte("settings")
)

// lockTimeout bounds the wait for another process's transaction; they last
// milliseconds, so a longer wait means a stuck process.
const lockTimeout = 10 * time.Second

// Queue is the job queue in dir. It holds no open handle: each operation
// opens the database, runs one transaction and closes it.
type Queue struct {
	dir string
	// alive says whether a lease owner is still running; by default it
	// checks the owner's lock file (see Runner).
	alive func(owner string) bool
}

// Open returns the queue in dir, creating the directory and the database.
func Open(dir string) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	q := &Queue{dir: dir}
	q.alive = q.ownerAlive
	return q, q.update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketJobs); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketSettings)
		return err
	})
}

// Dir is the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// Path is the database file.
func (q *Queue) Path() string { return filepath.Join(q.dir, DBFile) }

func (q *Queue) db(readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(q.Path(), 0o600, &bolt.Options{Timeout: lockTimeout, ReadOnly: readOnly})
	if err != nil {
		return nil, q.wrap(err)
	}
	return db, nil
}

// update runs fn in a read-write transaction, committed durably (bbolt
// fsyncs every commit; NoSync is never set).
func (q *Queue) update(fn func(*bolt.Tx) error) error {
	db, err := q.db(false)
	if err != nil {
		return err
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return q.wrap(err)
}

// view runs fn in a read-only transaction; readers share the file lock.
func (q *Queue) view(fn func(*bolt.Tx) error) error {
	db, err := q.db(true)
	if err != nil {
		return err
	}
	err = db.View(fn)
	db.Close()
	return q.wrap(err)
}

// wrap names the database in an error and explains a full disk.
func (q *Queue) wrap(err error) error {
	switch {
	case err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrState):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("schedule: queue %s: the disk is full; nothing was changed, the queue keeps its last committed state: %w", q.Path(), err)
	case errors.Is(err, bolt.ErrTimeout):
		return fmt.Errorf("schedule: queue %s: another process has held it for over %v", q.Path(), lockTimeout)
	}
	return fmt.Errorf("schedule: queue %s: %w", q.Path(), err)
}

// Check verifies the database's pages (bbolt's consistency check).
func (q *Queue) Check() error {
	return q.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
}

func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// getTx reads a job; the value is decoded, so nothing outlives tx.
func getTx(tx *bolt.Tx, id uint64) (*Job, error) {
	v := tx.Bucket(bucketJobs).Get(key(id))
	if v == nil {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	var j Job
	if err := json.Unmarshal(v, &j); err != nil {
		return nil, fmt.Errorf("job %d: corrupt record: %w", id, err)
	}
	return &j, nil
}

func putTx(tx *bolt.Tx, j *Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).Put(key(j.ID), v)
}

func settingsTx(tx *bolt.Tx) (Settings, error) {
	s := DefaultSettings()
	if v := tx.Bucket(bucketSettings).Get(keySettings); v != nil {
		if err := json.Unmarshal(v, &s); err != nil {
			return s, fmt.Errorf("settings: corrupt record: %w", err)
		}
	}
	return s, nil
}

// Settings returns the queue's settings (DefaultSettings until set).
func (q *Queue) Settings() (Settings, error) {
	var s Settings
	err := q.view(func(tx *bolt.Tx) (err error) { s, err = settingsTx(tx); return })
	return s, err
}

// SetSettings stores the queue's settings.
func (q *Queue) SetSettings(s Settings) error {
	if s.MaxRunning < 1 || s.MaxCrashes < 1 || s.MinBattery < 0 || s.MinBattery > 100 {
		return fmt.Errorf("schedule: settings out of range: %+v", s)
	}
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return q.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSettings).Put(keySettings, v) })
}

// Add queues a job and returns it with its ID.
func (q *Queue) Add(j Job, now time.Time) (Job, error) {
	err := q.update(func(tx *bolt.Tx) error {
		id, err := tx.Bucket(bucketJobs).NextSequence()
		if err != nil {
			return err
		}
		j.ID, j.State, j.Added, j.Updated = id, Queued, now, now
		return putTx(tx, &j)
	})
	return j, err
}

// Get returns one job.
func (q *Queue) Get(id uint64) (Job, error) {
	var j *Job
	err := q.view(func(tx *bolt.Tx) (err error) { j, err = getTx(tx, id); return })
	if err != nil {
		return Job{}, err
	}
	return *j, nil
}

// List returns every job, oldest first.
func (q *Queue) List() ([]Job, error) {
	var js []Job
	err := q.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %x: corrupt record: %w", k, err)
			}
			js = append(js, j)
			return nil
		})
	})
	return js, err
}

// modify applies fn to job id in one transaction.
func (q *Queue) modify(id uint64, now time.Time, fn func(*Job) error) (Job, error) {
	var out Job
	err := q.update(func(tx *bolt.Tx) error {
		j, err := getTx(tx, id)
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return err
		}
		j.Updated = now
		out = *j
		return putTx(tx, j)
	})
	return out, err
}

// Pause holds a job back until Resume. A running job stops after the
// challenge in flight, when its runner next looks (its heartbeat).
func (q *Queue) Pause(id uint64, now time.Time) (Job, error) {
	return q.modify(id, now, func(j *Job) error {
		if j.State.Terminal() {
			return fmt.Errorf("%w: job %d is %s", ErrState, id, j.State)
		}
		j.UserPaused = true
		if j.State != Running {
			j.State, j.Reason = Waiting, "paused by the user"
		} else {
			j.Reason = "pausing: asked by the user"
		}
		return nil
	})
}

// Resume undoes Pause. On a failed job it is a retry: the job is queued
// again and continues from its checkpoint (a full disk, a file that was
// away, a runner that kept dying).
func (q *Queue) Resume(id uint64, now time.Time) (Job, error) {
	return q.modify(id, now, func(j *Job) error {
		if j.State == Failed {
			j.State, j.Error, j.Reason, j.Crashes, j.UserPaused = Queued, "", "retrying after: "+j.Error, 0, false
			return nil
		}
		if j.State.Terminal() {
			return fmt.Errorf("%w: job %d is %s", ErrState, id, j.State)
		}
		j.UserPaused = false
		if j.State == Waiting {
			j.State, j.Reason = Queued, ""
		}
		return nil
	})
}

// Cancel ends a job, a failed one included. A running job's runner loses
// its lease and stops at its next heartbeat. Cancelling a cancelled job
// does nothing.
func (q *Queue) Cancel(id uint64, now time.Time) (Job, error) {
	return q.modify(id, now, func(j *Job) error {
		switch j.State {
		case Cancelled:
			return nil
		case Done:
			return fmt.Errorf("%w: job %d is already %s", ErrState, id, j.State)
		}
		j.State, j.Reason, j.Lease = Cancelled, "cancelled by the user", nil
		return nil
	})
}
