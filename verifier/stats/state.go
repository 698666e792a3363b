package stats

import (
	"encoding/json"
	"errors"
	"fmt"
)

// stateVersion is the version of the JSON checkpoint format.
const stateVersion = 1

// state is the JSON form of a Sequence. The scores are the state: restoring
// replays them, so a restored sequence is bit-identical to the uninterrupted
// one by construction, and no number in the file is trusted. N, Lower and
// Upper are redundant and checked against the replay, which catches a
// truncated or edited file and a change of algorithm between versions.
type state struct {
	Version int       `json:"version"`
	Alpha   float64   `json:"alpha"`
	Grid    int       `json:"grid"`
	N       int       `json:"n"`
	Lower   float64   `json:"lower"`
	Upper   float64   `json:"upper"`
	Scores  []float64 `json:"scores"`
}

// ErrState reports a checkpoint that cannot be restored.
var ErrState = errors.New("stats: bad sequence state")

// MarshalJSON writes the sequence as strict JSON (finite numbers only):
// {"version":1,"alpha":…,"grid":2000,"n":…,"lower":…,"upper":…,"scores":[…]}.
// Floats are written in the shortest form that reads back to the same bits.
func (s *Sequence) MarshalJSON() ([]byte, error) {
	xs := s.xs
	if xs == nil {
		xs = []float64{} // "scores":[] rather than null
	}
	return json.Marshal(state{
		Version: stateVersion, Alpha: s.alpha, Grid: GridSize,
		N: s.n, Lower: s.Lower(), Upper: s.Upper(), Scores: xs,
	})
}

// UnmarshalJSON restores a sequence written by MarshalJSON, replacing s.
// It validates every field, replays the scores (O(n·GridSize) work, n capped
// at 1<<20) and checks the recorded n and bounds against the replay. Any
// problem returns an error wrapping ErrState and leaves s unchanged.
func (s *Sequence) UnmarshalJSON(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: %v", ErrState, err)
	}
	switch {
	case st.Version != stateVersion:
		return fmt.Errorf("%w: version %d, want %d", ErrState, st.Version, stateVersion)
	case !(st.Alpha > 0 && st.Alpha < 1):
		return fmt.Errorf("%w: alpha %v outside (0, 1)", ErrState, st.Alpha)
	case st.Grid != GridSize:
		return fmt.Errorf("%w: grid %d, want %d", ErrState, st.Grid, GridSize)
	case st.N != len(st.Scores):
		return fmt.Errorf("%w: n %d but %d scores", ErrState, st.N, len(st.Scores))
	case st.N > maxN:
		return fmt.Errorf("%w: n %d above %d", ErrState, st.N, maxN)
	}
	r := NewSequence(st.Alpha)
	for i, x := range st.Scores {
		if err := r.Update(x); err != nil {
			return fmt.Errorf("%w: score %d: %v", ErrState, i, err)
		}
	}
	if r.Lower() != st.Lower || r.Upper() != st.Upper {
		return fmt.Errorf("%w: recorded interval [%v, %v] but scores give [%v, %v]",
			ErrState, st.Lower, st.Upper, r.Lower(), r.Upper())
	}
	*s = *r
	return nil
}
