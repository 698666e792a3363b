package cert

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// Transcript limits. A run stops at nMax challenges (hundreds to a few
// thousand); MaxRecords leaves a wide margin. A record with MaxPositions
// positions is about 16 KiB, so MaxTranscriptSize bounds the file well
// before MaxRecords such records.
const (
	MaxRecords        = 100000
	MaxPositions      = 256
	MaxTranscriptSize = 64 << 20
	maxLineSize       = 64 << 10
)

// Record is one challenge of the behavioural test: one line of the
// transcript.
type Record struct {
	I         int        `json:"i"`                   // 0-based position in the transcript
	Digest    string     `json:"digest"`              // hex SHA-256 digest of the challenge
	Positions []Position `json:"positions,omitempty"` // per scored position, in order
	// Distance is the challenge's distance (the largest over positions),
	// Rank the number of calibration distances at least as large.
	Distance float64 `json:"distance"`
	Rank     int     `json:"rank"`
	// Levels is the rank test after this record, one entry per level.
	Levels []LevelState `json:"levels"`
}

// Position summarises one scored position of a challenge.
type Position struct {
	Pos      int     `json:"pos"`  // token position in the challenge
	Ref      int     `json:"ref"`  // reference's most probable next token id
	Cand     int     `json:"cand"` // candidate's most probable next token id
	Distance float64 `json:"d"`    // distance between the two distributions, in [0,1]
}

func (r *Record) validate(i int) error {
	if r.I != i {
		return fmt.Errorf("i %d, want %d", r.I, i)
	}
	if err := checkDigest("digest", r.Digest); err != nil {
		return err
	}
	if len(r.Positions) > MaxPositions {
		return fmt.Errorf("%d positions, at most %d", len(r.Positions), MaxPositions)
	}
	for j, p := range r.Positions {
		if p.Pos < 0 || p.Ref < 0 || p.Cand < 0 || !unit(p.Distance) {
			return fmt.Errorf("positions[%d]: negative position or token id, or distance %v not in [0,1]", j, p.Distance)
		}
	}
	if !unit(r.Distance) || r.Rank < 0 || len(r.Levels) < 1 || len(r.Levels) > 2 {
		return fmt.Errorf("distance %v, rank %d, %d levels", r.Distance, r.Rank, len(r.Levels))
	}
	for j, l := range r.Levels {
		if !l.valid() {
			return fmt.Errorf("levels[%d]: need values in [0,1] and lower ≤ upper, have %+v", j, l)
		}
	}
	return nil
}

// Transcript is a parsed or encoded transcript: its records and the exact
// bytes they came from.
type Transcript struct {
	Records []Record
	data    []byte     // the whole file
	lines   [][]byte   // each record's line in data, without its newline
	leaves  [][32]byte // LeafHash of each line
}

// EncodeTranscript encodes records as a transcript. Record i must have I = i
// and valid values; the error says which does not.
func EncodeTranscript(recs []Record) (*Transcript, error) {
	if len(recs) > MaxRecords {
		return nil, fmt.Errorf("cert: transcript of %d records exceeds %d", len(recs), MaxRecords)
	}
	var buf bytes.Buffer
	ends := make([]int, len(recs))
	for i := range recs {
		if err := recs[i].validate(i); err != nil {
			return nil, fmt.Errorf("cert: transcript record %d: %w", i, err)
		}
		line, err := json.Marshal(&recs[i])
		if err != nil {
			return nil, fmt.Errorf("cert: transcript record %d: %w", i, err)
		}
		buf.Write(line)
		ends[i] = buf.Len()
		buf.WriteByte('\n')
	}
	t := &Transcript{Records: recs, data: buf.Bytes()}
	start := 0
	for _, end := range ends {
		line := t.data[start:end]
		t.lines = append(t.lines, line)
		t.leaves = append(t.leaves, LeafHash(line))
		start = end + 1
	}
	return t, nil
}

// ParseTranscript parses a transcript file strictly: every line "\n"
// terminated, canonical JSON (as EncodeTranscript writes), records numbered
// 0, 1, … with values in range. Errors match ErrTranscript and name the line.
func ParseTranscript(data []byte) (*Transcript, error) {
	if len(data) > MaxTranscriptSize {
		return nil, errorf(ErrTranscript, "%d bytes exceeds %d", len(data), MaxTranscriptSize)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, errorf(ErrTranscript, "last line is not terminated by a newline")
	}
	t := &Transcript{data: data}
	for rest, i := data, 0; len(rest) > 0; i++ {
		if i >= MaxRecords {
			return nil, errorf(ErrTranscript, "more than %d records", MaxRecords)
		}
		n := bytes.IndexByte(rest, '\n')
		line := rest[:n]
		rest = rest[n+1:]
		if len(line) > maxLineSize {
			return nil, errorf(ErrTranscript, "line %d: %d bytes, at most %d", i+1, len(line), maxLineSize)
		}
		var r Record
		if err := decodeCanonical(line, &r); err != nil {
			return nil, errorf(ErrTranscript, "line %d: %v", i+1, err)
		}
		if err := r.validate(i); err != nil {
			return nil, errorf(ErrTranscript, "line %d: %v", i+1, err)
		}
		t.Records = append(t.Records, r)
		t.lines = append(t.lines, line)
		t.leaves = append(t.leaves, LeafHash(line))
	}
	return t, nil
}

// Bytes returns the transcript file's contents (not a copy).
func (t *Transcript) Bytes() []byte { return t.data }

// Digest returns the SHA-256 of the transcript file.
func (t *Transcript) Digest() [32]byte { return sha256.Sum256(t.data) }

// Root returns the Merkle root over the records' lines.
func (t *Transcript) Root() [32]byte { return MerkleRoot(t.leaves) }

// Line returns record i's line as stored, without its newline: the leaf
// data that Proof(i) proves. It panics if i is out of range.
func (t *Transcript) Line(i int) []byte { return t.lines[i] }

// Proof returns the Merkle inclusion proof of record i; check it with
// VerifyProof(LeafHash(t.Line(i)), i, len(t.Records), proof, t.Root()).
func (t *Transcript) Proof(i int) ([][32]byte, error) { return MerkleProof(t.leaves, i) }
