//go:build !linux && !darwin

package agent

import (
	"context"
	"errors"
)

func runTray(ctx context.Context, a *Agent, click func(Action), beforeExit func()) error {
	return errors.New("agent: no tray on this system (macOS and Linux only)")
}
