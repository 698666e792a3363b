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
		usage: "pot autostart on|off|status", help: "Writes or removes the login item that starts the agent: a LaunchAgent on\nmacOS, an XDG autostart entry on Linux.\n", run: cmdAutostart})
}

func cmdAutostart(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return &helpRequest{}
	}
	if len(args) != 1 {
		return fmt.Errorf("%w: pot autostart on|off|status", errUsage)
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
		return fmt.Errorf("%w: pot autostart on|off|status", errUsage)
	}
	return nil
}
