// Package cert issues and checks PoT certificates: an in-toto Statement v1
// whose predicate records one verification run, in a DSSE envelope signed
// with Ed25519, plus the transcript of the behavioural test stored beside it
// and bound to the statement by its SHA-256 digest and a Merkle root.
//
// Formats (each documented on its types: statement.go, envelope.go, key.go,
// transcript.go, merkle.go):
//
//   - Statement: in-toto Statement v1
//     (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
//     with predicateType [PredicateType]. The types are defined here rather
//     than taken from github.com/in-toto/attestation/go/v1: those are
//     protobuf-generated, carry the predicate as a structpb.Struct (every
//     number a float64, keys re-sorted) and only serialise correctly through
//     protojson, whose output is deliberately unstable. A plain Go struct
//     marshalled by encoding/json gives one stable byte form.
//   - Envelope: DSSE v1 (https://github.com/secure-systems-lab/dsse,
//     envelope.md and protocol.md), payloadType [PayloadType], signatures
//     over PAE(payloadType, payload). Written here rather than imported from
//     go-securesystemslib/dsse: the protocol is twenty lines, that package's
//     verifier accepts non-canonical base64 (standard or URL alphabet, loose
//     padding bits), prints to stdout, and links golang.org/x/crypto/ssh only
//     to name keys; PoT keeps cryptography to the standard library.
//   - Key id: lower-case hex SHA-256 of the raw 32-byte Ed25519 public key.
//     The same string is the key's fingerprint (`pot key show`).
//   - Keys on disk: the private key as PEM "PRIVATE KEY" (PKCS #8), the
//     public key as PEM "PUBLIC KEY" (PKIX), both via crypto/x509, so OpenSSL
//     reads them.
//   - Transcript: JSON Lines, one [Record] per line, each line "\n"
//     terminated. The Merkle tree (RFC 9162 §2.1) has the line bytes, without
//     the newline, as its leaves, so one record can be proven with
//     [Transcript.Proof] and [VerifyProof] without revealing the others.
//
// Every byte that is signed or hashed is in canonical form: compact JSON in
// the field order of the Go structs, as encoding/json writes it. Parsers
// re-encode what they decoded and reject input that differs, so two different
// byte strings never verify as the same certificate, unknown or duplicate or
// case-folded keys are refused, and NaN or Inf (not JSON) cannot appear.
//
// Verification (Verify) re-checks what can be recomputed: the signature, the
// schema, the transcript's digest and Merkle root, the decision (replaying
// verifier/stats over the recorded scores), the seed against its commitment
// and, through a caller-supplied Rederive hook, each challenge digest, and
// with the model file its SHA-256. Checks are taken as signed; a check with
// result "fail" must come with the verdict DIFFERENT.
//
// Left out: key rotation, revocation and transparency logs; certificates
// signed by several keys are read (any trusted signature suffices) but not
// produced.
//
// Security stance: envelopes and transcripts are untrusted input. Sizes are
// capped before reading ([MaxEnvelopeSize], [MaxTranscriptSize],
// [MaxRecords]); decoding is strict; every failure names its class with a
// sentinel error ([ErrEnvelope], [ErrSignature], [ErrUntrustedKey],
// [ErrSchema], [ErrTranscript], [ErrMerkle], [ErrRecompute], [ErrChallenge],
// [ErrModelDigest]). A certificate is only as trustworthy as the key that
// signed it: Verify accepts only the public keys the caller trusts. The
// private key never leaves the 0600 file it was created in.
package cert
