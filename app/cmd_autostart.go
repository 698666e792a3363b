package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/internal/autostart"
)

func init() {
	register(command{name: "autostart", summary: "start the queue runner at login: on, off or status",
		usage: "pot autostart on|off|status", run: cmdAutostart})
}

func cmdAutostart(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageErrorf("want one of on, off or status")
	}
	if isHelpArg(args[0]) {
		return &helpRequest{}
	}
	env := appdirs.OSEnv()
	switch args[0] {
	case "on":
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return err
		}
		en := autostart.Entry{Program: exe, Args: []string{"run-queue", "--watch"}}
		if data, err := appdirs.Data(env); err == nil {
			en.LogPath = filepath.Join(data, "runner.log")
		}
		p, err := autostart.Enable(env, en)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "the queue runner starts at login: %s\n", p)
		if env.GOOS == "darwin" {
			fmt.Fprintf(stdout, "to start it now: launchctl bootstrap gui/%d %s\n", os.Getuid(), p)
		}
	case "off":
		p, err := autostart.Disable(env)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "the queue runner no longer starts at login (%s removed)\n", p)
	case "status":
		on, p, err := autostart.Enabled(env)
		if err != nil {
			return err
		}
		state := "off"
		if on {
			state = "on"
		}
		fmt.Fprintf(stdout, "%s (%s)\n", state, p)
	default:
		return usageErrorf("unknown subcommand %q: want on, off or status", args[0])
	}
	return nil
}
