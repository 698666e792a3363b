package cert

import (
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/proof-of-training/pot/verifier/stats"
)

// Identifiers fixed by the specs this package follows.
const (
	// StatementType is the in-toto Statement v1 _type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payloadType of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// PredicateType names and versions the PoT certificate predicate. A
	// change that old verifiers would misread gets a new version.
	PredicateType = "https://github.com/proof-of-training/pot/certificate/v2"
)

// Statement is an in-toto Statement v1 carrying a PoT [Predicate]. Its
// subject is the candidate model file.
type Statement struct {
	Type          string    `json:"_type"`         // StatementType
	Subject       []Subject `json:"subject"`       // exactly one: the candidate file
	PredicateType string    `json:"predicateType"` // PredicateType
	Predicate     Predicate `json:"predicate"`
}

// Subject is an in-toto ResourceDescriptor reduced to what PoT uses.
type Subject struct {
	Name   string `json:"name"` // file name, without directories
	Digest Digest `json:"digest"`
}

// Digest is an in-toto DigestSet with the one algorithm PoT uses.
type Digest struct {
	SHA256 string `json:"sha256"` // 64 lower-case hex digits
}

// Predicate records one verification run: who ran it, against what, every
// check, the parameters and outcome of the behavioural test, and the
// transcript that lets anyone replay it.
type Predicate struct {
	Verifier  VerifierInfo `json:"verifier"`
	Reference Reference    `json:"reference"`
	Checks    []Check      `json:"checks"` // in the order they ran
	Params    Params       `json:"params"`
	Floor     Floor        `json:"floor"`
	Seed      Seed         `json:"seed"`
	// Derivation holds the inputs, besides the seed, that the challenge
	// source needs to re-derive each challenge (compact JSON written by the
	// verifier; opaque here and handed to Options.Rederive). Empty when no
	// behavioural test ran.
	Derivation json.RawMessage `json:"derivation,omitempty"`
	Result     Result          `json:"result"`
	Transcript TranscriptRef   `json:"transcript"`
	StartedAt  time.Time       `json:"startedAt"`  // UTC
	FinishedAt time.Time       `json:"finishedAt"` // UTC, not before StartedAt
}

// VerifierInfo names the software and machine that ran the verification.
type VerifierInfo struct {
	Name    string `json:"name"`    // "pot"
	Version string `json:"version"` // software version
	Backend string `json:"backend"` // inference backend, e.g. "cpu", "metal"
	Host    string `json:"host"`    // host description, e.g. "linux/amd64"
}

// Reference kinds.
const (
	RefModel       = "model"       // a reference model file
	RefFingerprint = "fingerprint" // a signed reference fingerprint
)

// Where a reference's model digest comes from.
const (
	// DigestComputed: the verifier hashed the reference model file itself.
	DigestComputed = "computed"
	// DigestClaimed: only the fingerprint says so; the verifier never saw
	// the model, so the digest is as good as the fingerprint's creator.
	DigestClaimed = "claimed"
)

// Reference is what the candidate was compared with.
type Reference struct {
	Kind   string `json:"kind"`   // RefModel or RefFingerprint
	Name   string `json:"name"`   // file name of the reference model or fingerprint
	Digest Digest `json:"digest"` // SHA-256 of the reference model file
	// DigestSource is DigestComputed for RefModel and DigestClaimed for
	// RefFingerprint.
	DigestSource string `json:"digestSource"`
	// Fingerprint is set exactly when Kind is RefFingerprint.
	Fingerprint *FingerprintRef `json:"fingerprint,omitempty"`
	// HuggingFace is set when the reference model is a Hugging Face
	// directory (or a fingerprint made from one); Digest then digests its
	// file list (identity.FileDigest).
	HuggingFace *HFReference `json:"huggingFace,omitempty"`
}

// HFReference describes a Hugging Face model directory used as reference:
// every file PoT read, with its SHA-256 (for a safetensors file, the LFS
// object id the hub shows beside it), and the canonical digests of the
// tokenizer and chat template it converts to (equal to those of the GGUF
// llama.cpp's converter writes from it).
type HFReference struct {
	Files              []HFFile `json:"files"`
	TokenizerSHA256    string   `json:"tokenizerSha256"`
	ChatTemplateSHA256 string   `json:"chatTemplateSha256,omitempty"`
}

// HFFile is one file of a Hugging Face reference.
type HFFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// maxHFFiles bounds HFReference.Files (shards of the largest models
// number in the hundreds).
const maxHFFiles = 4096

func (h *HFReference) validate() error {
	if len(h.Files) == 0 || len(h.Files) > maxHFFiles {
		return errorf(ErrSchema, "predicate.reference.huggingFace.files: %d entries, want 1..%d", len(h.Files), maxHFFiles)
	}
	for i, f := range h.Files {
		if err := checkFileName(fieldIdx("predicate.reference.huggingFace.files", i, "name"), f.Name); err != nil {
			return err
		}
		if err := checkDigest(fieldIdx("predicate.reference.huggingFace.files", i, "sha256"), f.SHA256); err != nil {
			return err
		}
		if f.Size < 0 {
			return errorf(ErrSchema, "%s: negative size", fieldIdx("predicate.reference.huggingFace.files", i, "size"))
		}
	}
	if err := checkDigest("predicate.reference.huggingFace.tokenizerSha256", h.TokenizerSHA256); err != nil {
		return err
	}
	if h.ChatTemplateSHA256 != "" {
		return checkDigest("predicate.reference.huggingFace.chatTemplateSha256", h.ChatTemplateSHA256)
	}
	return nil
}

// Untrusted reports whether the reference is a fingerprint whose creator
// the verifier did not trust: such a verdict speaks only for whoever holds
// the creator key.
func (r *Reference) Untrusted() bool {
	return r.Kind == RefFingerprint && (r.Fingerprint == nil || !r.Fingerprint.Trusted)
}

// FingerprintRef identifies the fingerprint file a run used.
type FingerprintRef struct {
	Digest  Digest `json:"digest"`  // SHA-256 of the fingerprint file
	Creator string `json:"creator"` // key id of the key that signed it
	// Trusted records whether the creator key was in the verifier's trust
	// store (or given with --trust). False means the run went on only
	// because the runner allowed untrusted fingerprints: the result is
	// UNTRUSTED.
	Trusted bool `json:"trusted"`
}

// CheckResult is the outcome of one check.
type CheckResult string

// Check results.
const (
	// Pass: the property holds (e.g. file hashes equal).
	Pass CheckResult = "pass"
	// Differs: the candidate differs from the reference here, which is not
	// decisive and sends the run on to the next layer (e.g. file hashes
	// differ, so the run goes on to the tensors and the behavioural test).
	Differs CheckResult = "differs"
	// Fail: the property fails and that decides DIFFERENT (e.g. another
	// architecture or tokenizer). A certificate with a failed check must
	// have the verdict DIFFERENT.
	Fail CheckResult = "fail"
	// Skip: not applicable or not reached.
	Skip CheckResult = "skip"
)

// Check is one named check and its result, e.g. {"file-hash", "differs",
// "sha256 differs from the reference"}.
type Check struct {
	Name   string      `json:"name"`
	Result CheckResult `json:"result"`
	Detail string      `json:"detail,omitempty"`
}

// Params are the behavioural test's parameters: the challenge shape and
// the decision rule (see verifier/stats: Rule).
type Params struct {
	Preset string `json:"preset"` // the named preset, e.g. "standard"
	K      int    `json:"k"`      // scored positions per challenge
	TopK   int    `json:"topK"`   // reference probabilities kept per position
	// Rule is the decision rule; its zero value when no behavioural test
	// ran.
	Rule stats.Rule `json:"rule"`
}

// Floor is the noise floor the challenges were ranked against: what a
// faithful copy of the reference showed on calibration challenges.
type Floor struct {
	// Source says what was measured, in words; empty when no behavioural
	// test ran.
	Source string `json:"source"`
	// Samples are the calibration distances, sorted ascending; empty for
	// the zero floor (Params.Rule.Calibration = 0).
	Samples []float64 `json:"samples"`
	// Seed (hex), if set, is the seed the calibration challenges were
	// derived from when it is not this run's (Seed.Revealed): a floor an
	// earlier run measured, from a seed its verifier drew, and this run
	// reused. Absent: the calibration challenges come from this run's seed.
	Seed string `json:"seed,omitempty"`
}

// Seed is the challenge seed: its commitment (fixed before the run) and the
// seed itself, revealed in the certificate so anyone can re-derive the
// challenges.
type Seed struct {
	Commitment string `json:"commitment"` // hex challenge.Commit(seed)
	Revealed   string `json:"revealed"`   // hex seed
	// ChosenBy is SeedByVerifier for a fresh secret seed drawn by the
	// verifier, SeedByRunner for one the person running PoT supplied
	// (--seed): then nothing stops the runner from trying seeds until the
	// verdict suits them, and a third party cannot rely on the challenges
	// being unpredictable.
	ChosenBy string `json:"chosenBy"`
}

// Who chose a run's challenge seed.
const (
	SeedByVerifier = "verifier"
	SeedByRunner   = "runner"
)

// RunnerSeedWarning says in plain words what a runner-chosen seed means.
const RunnerSeedWarning = "the person who ran this chose the challenge seed: a third party cannot rely on the challenges being unpredictable"

// Verdict is the certificate's answer (DESIGN.md §1).
type Verdict string

// Verdicts.
const (
	Identical Verdict = "IDENTICAL" // byte-identical tensor data and metadata
	Same      Verdict = "SAME"      // behaviourally indistinguishable: μ < γ
	Different Verdict = "DIFFERENT" // μ > δ, or a check failed
	Undecided Verdict = "UNDECIDED" // budget exhausted
)

// Result is the outcome: the verdict, why, and the state of each level of
// the rank test after N challenges.
type Result struct {
	Verdict Verdict      `json:"verdict"`
	Reason  string       `json:"reason"`
	N       int          `json:"n"` // challenges scored = transcript records
	Levels  []LevelState `json:"levels"`
}

// LevelState is one level of the rank test after a challenge: the
// challenge's score (1 if it exceeded the level), the mean score so far and
// the confidence sequence on the candidate's exceedance rate.
type LevelState struct {
	Score float64 `json:"score"`
	Mean  float64 `json:"mean"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

func (l LevelState) valid() bool {
	return unit(l.Score) && unit(l.Mean) && unit(l.Lower) && unit(l.Upper) && l.Lower <= l.Upper
}

// TranscriptRef binds the transcript file to the statement.
type TranscriptRef struct {
	Name       string `json:"name"`       // file name, stored beside the certificate
	Digest     Digest `json:"digest"`     // SHA-256 of the whole file
	MerkleRoot string `json:"merkleRoot"` // hex RFC 9162 root over the records
	Records    int    `json:"records"`    // = Result.N
}

// Limits on what a statement may hold; far above what a run produces.
const (
	maxNameLen   = 1024
	maxTextLen   = 4096
	maxChecks    = 256
	maxSeedBytes = 64
	minSeedBytes = 16
)

// Validate checks st against the schema; the error matches ErrSchema and
// names the field.
func (st *Statement) Validate() error {
	if st.Type != StatementType {
		return errorf(ErrSchema, "_type %q, want %q", clip(st.Type), StatementType)
	}
	if st.PredicateType != PredicateType {
		return errorf(ErrSchema, "predicateType %q, want %q", clip(st.PredicateType), PredicateType)
	}
	if len(st.Subject) != 1 {
		return errorf(ErrSchema, "subject: %d entries, want 1", len(st.Subject))
	}
	if err := checkFileName("subject[0].name", st.Subject[0].Name); err != nil {
		return err
	}
	if err := checkDigest("subject[0].digest.sha256", st.Subject[0].Digest.SHA256); err != nil {
		return err
	}
	p := &st.Predicate
	for _, f := range []struct{ name, v string }{
		{"verifier.name", p.Verifier.Name}, {"verifier.version", p.Verifier.Version},
		{"verifier.backend", p.Verifier.Backend}, {"verifier.host", p.Verifier.Host},
	} {
		if err := checkText("predicate."+f.name, f.v, maxNameLen, false); err != nil {
			return err
		}
	}
	if err := p.Reference.validate(); err != nil {
		return err
	}
	if err := validateChecks(p.Checks); err != nil {
		return err
	}
	if err := p.Params.Validate(); err != nil {
		return err
	}
	if err := checkHex("predicate.seed.commitment", p.Seed.Commitment, 32, 32); err != nil {
		return err
	}
	if err := checkHex("predicate.seed.revealed", p.Seed.Revealed, minSeedBytes, maxSeedBytes); err != nil {
		return err
	}
	if p.Seed.ChosenBy != SeedByVerifier && p.Seed.ChosenBy != SeedByRunner {
		return errorf(ErrSchema, "predicate.seed.chosenBy %q, want %q or %q", clip(p.Seed.ChosenBy), SeedByVerifier, SeedByRunner)
	}
	if err := p.Result.validate(p.Params); err != nil {
		return err
	}
	if err := p.Transcript.validate(p.Result.N); err != nil {
		return err
	}
	return validateTimes(p.StartedAt, p.FinishedAt)
}

func (r *Reference) validate() error {
	switch r.Kind {
	case RefModel:
		if r.Fingerprint != nil {
			return errorf(ErrSchema, "predicate.reference.fingerprint set for kind %q", r.Kind)
		}
		if r.DigestSource != DigestComputed {
			return errorf(ErrSchema, "predicate.reference.digestSource %q, want %q for kind %q", clip(r.DigestSource), DigestComputed, r.Kind)
		}
	case RefFingerprint:
		if r.DigestSource != DigestClaimed {
			return errorf(ErrSchema, "predicate.reference.digestSource %q, want %q for kind %q", clip(r.DigestSource), DigestClaimed, r.Kind)
		}
		if r.Fingerprint == nil {
			return errorf(ErrSchema, "predicate.reference.fingerprint missing for kind %q", r.Kind)
		}
		if err := checkDigest("predicate.reference.fingerprint.digest.sha256", r.Fingerprint.Digest.SHA256); err != nil {
			return err
		}
		if err := checkHex("predicate.reference.fingerprint.creator", r.Fingerprint.Creator, 32, 32); err != nil {
			return err
		}
	default:
		return errorf(ErrSchema, "predicate.reference.kind %q, want %q or %q", clip(r.Kind), RefModel, RefFingerprint)
	}
	if err := checkFileName("predicate.reference.name", r.Name); err != nil {
		return err
	}
	if r.HuggingFace != nil {
		if err := r.HuggingFace.validate(); err != nil {
			return err
		}
	}
	return checkDigest("predicate.reference.digest.sha256", r.Digest.SHA256)
}

func validateChecks(cs []Check) error {
	if len(cs) > maxChecks {
		return errorf(ErrSchema, "predicate.checks: %d entries, at most %d", len(cs), maxChecks)
	}
	seen := make(map[string]bool, len(cs))
	for i, c := range cs {
		if err := checkText(fieldIdx("predicate.checks", i, "name"), c.Name, maxNameLen, false); err != nil {
			return err
		}
		if seen[c.Name] {
			return errorf(ErrSchema, "predicate.checks[%d].name %q repeated", i, clip(c.Name))
		}
		seen[c.Name] = true
		switch c.Result {
		case Pass, Differs, Fail, Skip:
		default:
			return errorf(ErrSchema, "predicate.checks[%d].result %q, want pass, differs, fail or skip", i, clip(string(c.Result)))
		}
		if err := checkText(fieldIdx("predicate.checks", i, "detail"), c.Detail, maxTextLen, true); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the parameters' ranges; the error matches ErrSchema.
func (p Params) Validate() error {
	switch {
	case p.K < 1 || p.K > MaxPositions:
		return errorf(ErrSchema, "predicate.params.k %d not in [1,%d]", p.K, MaxPositions)
	case p.TopK < 1 || p.TopK > 1<<20:
		return errorf(ErrSchema, "predicate.params.topK %d not in [1,%d]", p.TopK, 1<<20)
	case p.Rule.NMax > MaxRecords:
		return errorf(ErrSchema, "predicate.params.rule.nMax %d above %d", p.Rule.NMax, MaxRecords)
	}
	if err := checkText("predicate.params.preset", p.Preset, maxNameLen, false); err != nil {
		return err
	}
	if p.Rule.NMax == 0 && len(p.Rule.Levels) == 0 {
		return nil // no behavioural test ran: no rule (Result.N ≤ nMax = 0)
	}
	if err := p.Rule.Validate(); err != nil {
		return errorf(ErrSchema, "predicate.params.rule: %v", err)
	}
	return nil
}

func (f *Floor) validate(r stats.Rule) error {
	if err := checkText("predicate.floor.source", f.Source, maxTextLen, true); err != nil {
		return err
	}
	if f.Seed != "" {
		if b, err := hex.DecodeString(f.Seed); err != nil || len(b) != 32 {
			return errorf(ErrSchema, "predicate.floor.seed: want 64 hex digits")
		}
	}
	if len(f.Samples) != r.Calibration {
		return errorf(ErrSchema, "predicate.floor: %d samples, rule says %d", len(f.Samples), r.Calibration)
	}
	for i, x := range f.Samples {
		if !unit(x) || (i > 0 && x < f.Samples[i-1]) {
			return errorf(ErrSchema, "predicate.floor.samples[%d] %v: want sorted distances in [0,1]", i, x)
		}
	}
	return nil
}

func (r *Result) validate(p Params) error {
	switch r.Verdict {
	case Identical, Same, Different, Undecided:
	default:
		return errorf(ErrSchema, "predicate.result.verdict %q, want IDENTICAL, SAME, DIFFERENT or UNDECIDED", clip(string(r.Verdict)))
	}
	if err := checkText("predicate.result.reason", r.Reason, maxTextLen, false); err != nil {
		return err
	}
	if r.N < 0 || r.N > p.Rule.NMax {
		return errorf(ErrSchema, "predicate.result.n %d not in [0,nMax=%d]", r.N, p.Rule.NMax)
	}
	if (r.N == 0 && len(r.Levels) != 0) || (r.N > 0 && len(r.Levels) != len(p.Rule.Levels)) {
		return errorf(ErrSchema, "predicate.result: %d levels after %d challenges, rule has %d", len(r.Levels), r.N, len(p.Rule.Levels))
	}
	for i, l := range r.Levels {
		if !l.valid() {
			return errorf(ErrSchema, "predicate.result.levels[%d]: need values in [0,1] and lower ≤ upper, have %+v", i, l)
		}
	}
	return nil
}

func (t *TranscriptRef) validate(n int) error {
	if err := checkFileName("predicate.transcript.name", t.Name); err != nil {
		return err
	}
	if err := checkDigest("predicate.transcript.digest.sha256", t.Digest.SHA256); err != nil {
		return err
	}
	if err := checkHex("predicate.transcript.merkleRoot", t.MerkleRoot, 32, 32); err != nil {
		return err
	}
	if t.Records != n {
		return errorf(ErrSchema, "predicate.transcript.records %d differs from predicate.result.n %d", t.Records, n)
	}
	return nil
}

func validateTimes(start, end time.Time) error {
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"startedAt", start}, {"finishedAt", end}} {
		if f.t.IsZero() || f.t.Location() != time.UTC || f.t.Year() < 2000 || f.t.Year() > 9999 {
			return errorf(ErrSchema, "predicate.%s %v: want a UTC time after 2000", f.name, f.t)
		}
	}
	if end.Before(start) {
		return errorf(ErrSchema, "predicate.finishedAt %v before startedAt %v", end, start)
	}
	return nil
}

// unit reports whether x is in [0,1] (false for NaN).
func unit(x float64) bool { return x >= 0 && x <= 1 }

func checkDigest(field, s string) error { return checkHex(field, s, 32, 32) }

// checkHex checks s is lower-case hex of min..max bytes.
func checkHex(field, s string, minBytes, maxBytes int) error {
	if len(s)%2 != 0 || len(s) < 2*minBytes || len(s) > 2*maxBytes {
		return errorf(ErrSchema, "%s: %d hex digits, want %d..%d", field, len(s), 2*minBytes, 2*maxBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return errorf(ErrSchema, "%s: %q is not lower-case hex", field, clip(s))
		}
	}
	return nil
}

// checkText checks s is valid UTF-8 without control characters, at most max
// bytes, and non-empty unless empty is allowed.
func checkText(field, s string, max int, empty bool) error {
	if s == "" && !empty {
		return errorf(ErrSchema, "%s is empty", field)
	}
	if len(s) > max {
		return errorf(ErrSchema, "%s: %d bytes, at most %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return errorf(ErrSchema, "%s: invalid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errorf(ErrSchema, "%s: control character %U", field, r)
		}
	}
	return nil
}

// checkFileName checks s is a plain file name: no directories, not "." or
// "..", so joining it to a directory stays inside that directory.
func checkFileName(field, s string) error {
	if err := checkText(field, s, maxNameLen, false); err != nil {
		return err
	}
	if s == "." || s == ".." || strings.ContainsAny(s, `/\`) || filepath.Base(s) != s {
		return errorf(ErrSchema, "%s %q is not a plain file name", field, clip(s))
	}
	return nil
}

func fieldIdx(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// clip shortens a hostile string for an error message.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// decodeHex decodes a string checkHex accepted.
func decodeHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
