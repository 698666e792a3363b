// Package challenge derives PoT's behavioural-test challenges from a secret
// 32-byte seed, deterministically: the same seed gives the same challenges,
// scored positions and pool indices on every machine and Go version.
//
// # Construction
//
// The seed is committed to before use (Commit) and revealed in the
// certificate, so anyone can re-derive and check every challenge. All
// randomness comes from HMAC-SHA256 (RFC 2104, FIPS 198-1) keyed by the seed,
// used as a counter-mode generator: block b of stream (label, i) is
//
//	HMAC-SHA256(seed, "pot/challenge/v1/" ‖ label ‖ 0x00 ‖ u64be(i) ‖ u64be(b))
//
// read as big-endian uint64 words. Each challenge index i and purpose label
// ("text", "positions", "index") has its own stream, so challenges are
// independent of each other and of how many were drawn before: a job resumed
// at challenge 137 derives exactly what an uninterrupted one would. Integers
// in [0, n) are drawn by rejection sampling (no modulo bias).
//
// A challenge is a natural-language prompt: a template (resources/challenge/
// templates.txt) with its slots filled from embedded word lists, plus a tail of
// extra random words (Config.ExtraWords) that makes the prompt long enough for
// K scored positions and its content impossible to anticipate.
//
// # Security stance
//
// Challenges are unpredictable to anyone without the seed, as long as
// HMAC-SHA256 is a PRF: a candidate cannot be tuned to the test in advance,
// and the verifier cannot pick favourable challenges because the seed is
// committed before the candidate is measured and every challenge is a
// function of it. The seed is secret until revealed; this package keeps it in
// memory and never logs it. Only the standard library's crypto is used.
//
// Left out: choosing the seed (the caller draws it from crypto/rand) and
// tokenising the prompt (verifier/tokenizer).
package challenge
