//go:build !unix

package agent

import (
	"errors"
	"os"
)

var errNoUnix = errors.New("agent: the agent needs a Unix system (macOS or Linux)")

// Lock is unavailable off Unix.
func Lock(dir string) (release func(), err error) { return nil, errNoUnix }

func checkOwner(dir string, st os.FileInfo) error { return errNoUnix }
