package cert

import (
	"errors"
	"fmt"
)

// Failure classes. Every error from Open, Verify and the parsers matches
// exactly one of them with errors.Is, so a caller can say which check failed.
var (
	// ErrEnvelope: the envelope is not a well-formed, canonical DSSE envelope
	// (bad JSON, unknown field, bad base64, wrong payload type, too large).
	ErrEnvelope = errors.New("malformed envelope")
	// ErrSignature: no signature verifies with a trusted key that claims it,
	// or a valid signature names another key id.
	ErrSignature = errors.New("bad signature")
	// ErrUntrustedKey: the envelope is signed by a key the caller does not
	// trust (give that key to accept it).
	ErrUntrustedKey = errors.New("signed by an untrusted key")
	// ErrSchema: the signed statement does not follow the schema.
	ErrSchema = errors.New("statement does not match the schema")
	// ErrTranscript: the transcript is malformed, or its digest or record
	// count differs from the statement's.
	ErrTranscript = errors.New("transcript does not match")
	// ErrMerkle: the Merkle root over the transcript differs from the
	// statement's.
	ErrMerkle = errors.New("transcript Merkle root does not match")
	// ErrRecompute: replaying the confidence sequence over the transcript's
	// scores gives other bounds or another verdict than recorded.
	ErrRecompute = errors.New("recomputed decision does not match")
	// ErrChallenge: the revealed seed does not match its commitment, or a
	// challenge re-derived from it differs from the recorded one.
	ErrChallenge = errors.New("challenges do not match the seed")
	// ErrModelDigest: the model file's SHA-256 differs from the subject's.
	ErrModelDigest = errors.New("model file digest does not match")
	// ErrKey: a key file is malformed, of the wrong type, or readable by
	// others.
	ErrKey = errors.New("bad key file")
)

// classes lists the failure classes with the short names that `pot cert
// verify --json` prints.
var classes = []struct {
	err  error
	name string
}{
	{ErrEnvelope, "envelope"},
	{ErrSignature, "signature"},
	{ErrUntrustedKey, "untrusted-key"},
	{ErrSchema, "schema"},
	{ErrTranscript, "transcript"},
	{ErrMerkle, "merkle"},
	{ErrRecompute, "recompute"},
	{ErrChallenge, "challenge"},
	{ErrModelDigest, "model-digest"},
	{ErrKey, "key"},
}

// FailureName returns the short name of err's failure class ("signature",
// "transcript", …), or "" if err matches none.
func FailureName(err error) string {
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return ""
}

// errorf wraps class with a message: "cert: <class>: <msg>".
func errorf(class error, format string, args ...any) error {
	return fmt.Errorf("cert: %w: %s", class, fmt.Sprintf(format, args...))
}
