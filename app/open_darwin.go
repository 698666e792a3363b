package main

import "os/exec"

// openInBrowser opens a file with its default application (`open`).
func openInBrowser(path string) error { return exec.Command("open", path).Start() }
