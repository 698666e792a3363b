// Package appdirs decides where PoT keeps its files: the signing key
// (config), and the data the application accumulates — certificates, the
// job queue and its checkpoints. The key, the verifier, the queue and the
// agent all ask here, so they agree.
//
// The rules are a pure function of an Env value, so every platform's rules
// are table-tested on any machine. Paths follow the XDG Base Directory
// specification on Linux and the other Unix systems, and Apple's
// "Application Support" convention on macOS:
// https://specifications.freedesktop.org/basedir-spec/latest/
package appdirs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Env is the part of the environment that decides where PoT keeps its files.
type Env struct {
	GOOS          string // runtime.GOOS
	Home          string // $HOME
	XDGConfigHome string // $XDG_CONFIG_HOME
	XDGDataHome   string // $XDG_DATA_HOME
	ConfigDir     string // $POT_CONFIG_DIR: overrides the config directory
	DataDir       string // $POT_DATA_DIR: overrides the data directory
}

// OSEnv reads Env from the process environment.
func OSEnv() Env {
	return Env{
		GOOS:          runtime.GOOS,
		Home:          os.Getenv("HOME"),
		XDGConfigHome: os.Getenv("XDG_CONFIG_HOME"),
		XDGDataHome:   os.Getenv("XDG_DATA_HOME"),
		ConfigDir:     os.Getenv("POT_CONFIG_DIR"),
		DataDir:       os.Getenv("POT_DATA_DIR"),
	}
}

// ErrNoHome is returned when no directory can be derived: $HOME is unset or
// relative and no absolute override or XDG variable applies.
var ErrNoHome = errors.New("appdirs: cannot locate the user's directories: $HOME is not an absolute path")

// Config returns the directory holding the signing key: $POT_CONFIG_DIR if
// set; on macOS ~/Library/Application Support/PoT; elsewhere
// $XDG_CONFIG_HOME/pot, or ~/.config/pot when XDG_CONFIG_HOME is unset or
// relative (the XDG spec says relative paths are invalid).
func Config(e Env) (string, error) {
	if e.ConfigDir != "" {
		return e.ConfigDir, nil
	}
	return userDir(e, e.XDGConfigHome, ".config")
}

// Data returns the directory of the application's data: $POT_DATA_DIR if
// set; on macOS ~/Library/Application Support/PoT; elsewhere
// $XDG_DATA_HOME/pot, or ~/.local/share/pot.
func Data(e Env) (string, error) {
	if e.DataDir != "" {
		return e.DataDir, nil
	}
	return userDir(e, e.XDGDataHome, filepath.Join(".local", "share"))
}

// Certificates returns the directory certificates are written to by
// default: Data/certificates.
func Certificates(e Env) (string, error) { return sub(e, "certificates") }

// Queue returns the directory of the job queue (its database and the jobs'
// checkpoints): Data/queue.
func Queue(e Env) (string, error) { return sub(e, "queue") }

// Floors returns the directory of measured noise floors that later
// verifications reuse (job.Config.FloorCache): Data/floors.
func Floors(e Env) (string, error) { return sub(e, "floors") }

func sub(e Env, name string) (string, error) {
	d, err := Data(e)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, name), nil
}

func userDir(e Env, xdg, fallback string) (string, error) {
	if e.GOOS == "darwin" || e.GOOS == "ios" {
		if !filepath.IsAbs(e.Home) {
			return "", ErrNoHome
		}
		return filepath.Join(e.Home, "Library", "Application Support", "PoT"), nil
	}
	if filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "pot"), nil
	}
	if !filepath.IsAbs(e.Home) {
		return "", ErrNoHome
	}
	return filepath.Join(e.Home, fallback, "pot"), nil
}
