package cert

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Env is the part of the environment that decides where PoT keeps its files.
// It is a value so that the rules are table-tested for every platform.
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

var errNoHome = errors.New("cert: cannot locate the user's directories: $HOME is not an absolute path")

// ConfigDir returns the directory holding the signing key:
// $POT_CONFIG_DIR if set; on macOS ~/Library/Application Support/PoT;
// elsewhere $XDG_CONFIG_HOME/pot, or ~/.config/pot when XDG_CONFIG_HOME is
// unset or relative (XDG Base Directory spec: relative paths are invalid).
func ConfigDir(e Env) (string, error) {
	if e.ConfigDir != "" {
		return e.ConfigDir, nil
	}
	return userDir(e, e.XDGConfigHome, ".config")
}

// DataDir returns the directory certificates are written to by default:
// $POT_DATA_DIR if set; on macOS ~/Library/Application Support/PoT/
// certificates; elsewhere $XDG_DATA_HOME/pot/certificates, or
// ~/.local/share/pot/certificates.
func DataDir(e Env) (string, error) {
	if e.DataDir != "" {
		return e.DataDir, nil
	}
	d, err := userDir(e, e.XDGDataHome, filepath.Join(".local", "share"))
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "certificates"), nil
}

func userDir(e Env, xdg, fallback string) (string, error) {
	if e.GOOS == "darwin" || e.GOOS == "ios" {
		if !filepath.IsAbs(e.Home) {
			return "", errNoHome
		}
		return filepath.Join(e.Home, "Library", "Application Support", "PoT"), nil
	}
	if filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "pot"), nil
	}
	if !filepath.IsAbs(e.Home) {
		return "", errNoHome
	}
	return filepath.Join(e.Home, fallback, "pot"), nil
}
