package schedule

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Claim gives owner the first runnable job, oldest first, leased until
// now+ttl, with the policy's decision for it; nil when no job may run now.
// In the same transaction it hands back the jobs of dead runners (lease
// expired, or owner's lock released) and records on every job held back
// why it waits, so `pot queue` shows the reason.
func (q *Queue) Claim(owner string, now time.Time, ttl time.Duration, power PowerState, cores int) (*Job, Decision, error) {
	var got *Job
	var dec Decision
	err := q.update(func(tx *bolt.Tx) error {
		s, err := settingsTx(tx)
		if err != nil {
			return err
		}
		var jobs []*Job
		err = tx.Bucket(bucketJobs).ForEach(func(k, _ []byte) error {
			j, err := getTx(tx, binary.BigEndian.Uint64(k))
			jobs = append(jobs, j)
			return err
		})
		if err != nil {
			return err
		}
		running := 0
		for _, j := range jobs {
			if j.State != Running {
				continue
			}
			if j.Lease != nil && now.Before(j.Lease.Until) && q.alive(j.Lease.Owner) {
				running++
				continue
			}
			recoverTx(j, now, s)
			if err := putTx(tx, j); err != nil {
				return err
			}
		}
		for _, j := range jobs {
			if j.State != Queued && j.State != Waiting {
				continue
			}
			d := Decide(Input{Now: now, Window: j.Window, Power: power, UserPaused: j.UserPaused,
				AllowBattery: j.AllowBattery, Settings: s, Cores: cores})
			state, reason := Waiting, d.Reason
			switch {
			case d.Mode != Paused && got == nil && running < s.MaxRunning:
				j.State, j.Reason, j.Updated = Running, d.Reason, now
				j.Lease = &Lease{Owner: owner, Until: now.Add(ttl), Challenges: j.Progress.Challenges}
				j.Claims++
				got, dec = j, d
				if err := putTx(tx, j); err != nil {
					return err
				}
				continue
			case d.Mode != Paused:
				state, reason = Queued, "after the job running now"
			}
			if j.State != state || j.Reason != reason {
				j.State, j.Reason, j.Updated = state, reason, now
				if err := putTx(tx, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || got == nil {
		return nil, Decision{}, err
	}
	return got, dec, nil
}

// recoverTx requeues a running job whose runner died, or fails it when its
// runners keep dying without progress.
func recoverTx(j *Job, now time.Time, s Settings) {
	if j.Lease != nil && j.Progress.Challenges > j.Lease.Challenges {
		j.Crashes = 0
	}
	j.Crashes++
	j.Lease, j.Updated = nil, now
	if j.Crashes >= s.MaxCrashes {
		j.State, j.Reason = Failed, ""
		j.Error = fmt.Sprintf("the runner stopped %d times in a row without finishing a challenge", j.Crashes)
		return
	}
	j.State, j.Reason = Queued, "resuming: its runner stopped"
}

// own applies fn to job id if owner still holds its lease.
func (q *Queue) own(id uint64, owner string, now time.Time, fn func(*Job)) (Job, error) {
	return q.modify(id, now, func(j *Job) error {
		if j.State != Running || j.Lease == nil || j.Lease.Owner != owner {
			return fmt.Errorf("%w: job %d is %s", ErrLeaseLost, id, j.State)
		}
		fn(j)
		return nil
	})
}

// Heartbeat extends owner's lease on a running job to now+ttl and records
// its progress and throttling reason. It returns the job, whose UserPaused
// the runner obeys; ErrLeaseLost means stop (cancelled or taken over).
func (q *Queue) Heartbeat(id uint64, owner string, now time.Time, ttl time.Duration, p Progress, reason string) (Job, error) {
	return q.own(id, owner, now, func(j *Job) {
		j.Lease.Until = now.Add(ttl)
		j.Progress = p
		if p.Challenges > j.Lease.Challenges {
			j.Lease.Challenges, j.Crashes = p.Challenges, 0
		}
		if !j.UserPaused {
			j.Reason = reason
		}
	})
}

// Release gives a running job back: waiting with the reason, or queued
// when reason is "".
func (q *Queue) Release(id uint64, owner string, now time.Time, p Progress, reason string) (Job, error) {
	return q.own(id, owner, now, func(j *Job) {
		j.State, j.Reason, j.Lease, j.Progress = Waiting, reason, nil, p
		if reason == "" {
			j.State = Queued
		}
	})
}

// Finish records a running job's result.
func (q *Queue) Finish(id uint64, owner string, now time.Time, p Progress, r Result) (Job, error) {
	return q.own(id, owner, now, func(j *Job) {
		j.State, j.Reason, j.Lease, j.Progress, j.Result = Done, "", nil, p, &r
	})
}

// Fail records a running job's error.
func (q *Queue) Fail(id uint64, owner string, now time.Time, p Progress, cause error) (Job, error) {
	return q.own(id, owner, now, func(j *Job) {
		j.State, j.Reason, j.Lease, j.Progress, j.Error = Failed, "", nil, p, cause.Error()
	})
}
