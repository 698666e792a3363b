//go:build !darwin

package main

import (
	"fmt"
	"os/exec"
)

// openInBrowser opens a file with the desktop's default application
// (xdg-open, from xdg-utils).
func openInBrowser(path string) error {
	cmd := exec.Command("xdg-open", path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot open %s (is xdg-utils installed?): %w", path, err)
	}
	go cmd.Wait()
	return nil
}
