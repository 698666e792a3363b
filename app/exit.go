package main

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/matmul"
	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// Exit statuses. Like cmp, diff and gpg --verify, each outcome a script
// may act on has its own status, the same with and without --json, and the
// same meaning in every command: 0 is the good answer, 1 the bad one, 3 no
// answer.
const (
	// exitOK: IDENTICAL or SAME (verify); certificate valid and bound to
	// the --model file (cert verify); IDENTICAL or FAITHFUL (weights); any
	// other command succeeded.
	exitOK = 0
	// exitDifferent: DIFFERENT (verify, weights); certificate NOT valid
	// (cert verify: signature, transcript, decision, challenges or model
	// file do not check out).
	exitDifferent = 1
	// exitUsage: the command line is wrong.
	exitUsage = 2
	// exitUndecided: UNDECIDED (verify: the challenge budget ran out);
	// INCONCLUSIVE (weights: the behavioural test must decide); certificate
	// valid but not bound to any file (cert verify without --model).
	exitUndecided = 3
	// exitBadInput: an input cannot be read or is not what it claims: a
	// missing or corrupt model, fingerprint, certificate, transcript or
	// key file.
	exitBadInput = 4
	// exitFailure: the work could not be done or its result not kept: I/O
	// (disk full, read-only file system) or an internal error.
	exitFailure = 5
	// exitUntrusted: a verdict was reached, but from a fingerprint whose
	// creator is not trusted (--allow-untrusted): the verdict is only as
	// good as whoever made the fingerprint.
	exitUntrusted = 6
)

// exitStatusHelp documents the statuses; every --help ends with it, and the
// README repeats it.
const exitStatusHelp = `Exit status (the same with --json):
  0  IDENTICAL or SAME; certificate valid and bound to --model; weights
     IDENTICAL or FAITHFUL; other commands: success
  1  DIFFERENT; certificate NOT valid; weights DIFFERENT
  2  usage error
  3  UNDECIDED; certificate valid but not bound to a file (no --model);
     weights INCONCLUSIVE
  4  bad input: a model, fingerprint, certificate, transcript or key file
     is missing, unreadable or corrupt, or a fingerprint's creator is not
     trusted
  5  I/O or internal failure (e.g. disk full while writing the certificate)
  6  a verdict reached from an untrusted fingerprint (--allow-untrusted)
`

// exitError carries an exit status. With a nil err the command has printed
// its result (a verdict) and nothing more is said.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitWith returns an error that makes the command exit with code: silently
// when err is nil, else printing err.
func exitWith(code int, err error) error {
	if code == exitOK && err == nil {
		return nil
	}
	return &exitError{code, err}
}

// errUsage marks an error caused by how the command was called; it exits 2.
var errUsage = errors.New("usage")

// usageError is a usage error whose message is the reason alone; main adds
// the command's synopsis.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// usageErrorf returns a usage error (exit 2) saying what is wrong.
func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// outputError wraps a failure to write a result (exit 5 whatever the cause:
// a missing output directory is as fatal as a full disk).
func outputError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{exitFailure, err}
}

// badInputs are the error classes of inputs that are not what they claim.
var badInputs = []error{
	gguf.ErrFormat, gguf.ErrUnsupported, gguf.ErrNotFound,
	model.ErrFormat, model.ErrUnsupported,
	tokenizer.ErrVocab, tokenizer.ErrUnsupported,
	fingerprint.ErrFormat, fingerprint.ErrSeal,
	cert.ErrEnvelope, cert.ErrSignature, cert.ErrUntrustedKey, cert.ErrSchema, cert.ErrTranscript,
	cert.ErrMerkle, cert.ErrRecompute, cert.ErrChallenge, cert.ErrModelDigest, cert.ErrKey,
	matmul.ErrUnsupported, quant.ErrUnsupported,
}

// exitStatus classifies err (see the constants).
func exitStatus(err error) int {
	var st *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return st.code
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EIO):
		return exitFailure
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EISDIR):
		return exitBadInput
	}
	for _, e := range badInputs {
		if errors.Is(err, e) {
			return exitBadInput
		}
	}
	return exitFailure
}

// verdictStatus is the exit status of a verdict (exit.go); untrusted is
// set when the reference was a fingerprint whose creator is not trusted.
// TODO(#9): pass the run's untrusted-fingerprint state once job reports
// it (--allow-untrusted).
func verdictStatus(v string, untrusted bool) int {
	switch {
	case untrusted:
		return exitUntrusted
	case v == string(cert.Identical), v == string(cert.Same):
		return exitOK
	case v == string(cert.Different):
		return exitDifferent
	}
	return exitUndecided
}
