package main

import (
	"github.com/proof-of-training/pot/metalbridge"
	"github.com/proof-of-training/pot/verifier/engine"
)

// openBackend returns the engine backend for --backend want (cpu, metal
// or auto): on a Mac, auto takes the Metal GPU when its start-up self-test
// agrees with the CPU backend and falls back to the CPU otherwise (note
// says why). The caller closes the backend after the session.
//
// Seam for the job runner: the job's engine/backend factory should call
// this (or metalbridge.Open) and record backend name and self-test in the
// certificate.
func openBackend(want string, threads int) (be engine.Backend, selfTest, note string, err error) {
	be, ch, err := metalbridge.Open(want, threads)
	if err != nil {
		return nil, "", "", err
	}
	if ch.SelfTest.Ran {
		selfTest = ch.SelfTest.String()
	}
	return be, selfTest, ch.Note, nil
}
