package cert

import "github.com/proof-of-training/pot/internal/appdirs"

// The directory rules live in internal/appdirs, shared with the queue and
// the agent; these names keep the existing callers working.

// Env is appdirs.Env.
type Env = appdirs.Env

// OSEnv reads Env from the process environment.
func OSEnv() Env { return appdirs.OSEnv() }

// ConfigDir returns the directory holding the signing key (appdirs.Config).
func ConfigDir(e Env) (string, error) { return appdirs.Config(e) }

// DataDir returns the directory certificates are written to by default
// (appdirs.Certificates).
func DataDir(e Env) (string, error) { return appdirs.Certificates(e) }
