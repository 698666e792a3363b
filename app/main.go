// Command pot verifies that a large language model file is the model it
// claims to be, and runs the PoT agent (menu-bar / tray app).
//
// Each subcommand lives in its own cmd_*.go file and registers itself in an
// init function; main only dispatches, turns errors into exit statuses
// (exit.go) and prints help.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"

	"github.com/proof-of-training/pot/internal/version"
	"github.com/proof-of-training/pot/verifier/job"
)

// command is one `pot` subcommand.
type command struct {
	name    string
	summary string // one line for `pot help`
	usage   string // the synopsis, one line per form, without "usage: "
	help    string // what `--help` prints between the synopsis and the flags
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand; a duplicate name is a programmer error.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("pot: duplicate command " + c.name)
	}
	commands[c.name] = c
}

func main() {
	// POT_CPUPROFILE=FILE writes a CPU profile of the command, for
	// finding where a slow run spends its time.
	if path := os.Getenv("POT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				// An interrupted run still leaves its profile.
				sig := make(chan os.Signal, 1)
				signal.Notify(sig, os.Interrupt)
				go func() {
					<-sig
					pprof.StopCPUProfile()
					f.Close()
					os.Exit(130)
				}()
				code := run(os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status (exit.go).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return runCommand(c, []string{"--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "pot: unknown command %q (see 'pot help')\n", args[1])
			return exitUsage
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		printVersion(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pot: unknown command %q (see 'pot help')\n", args[0])
		return exitUsage
	}
	return runCommand(c, args[1:], stdout, stderr)
}

// runCommand runs c and reports its error: help on stdout, a usage error
// with the synopsis, any other error as one line naming the command.
func runCommand(c command, args []string, stdout, stderr io.Writer) int {
	err := c.run(args, stdout, stderr)
	if err == nil {
		return exitOK
	}
	var h *helpRequest
	if errors.As(err, &h) {
		printHelp(stdout, c, h.fs)
		return exitOK
	}
	var st *exitError
	if errors.As(err, &st) && st.err == nil {
		return st.code // the command printed its result
	}
	fmt.Fprintf(stderr, "pot %s: %v\n", c.name, err)
	code := exitStatus(err)
	if code == exitUsage {
		for _, l := range strings.Split(c.usage, "\n") {
			fmt.Fprintf(stderr, "usage: %s\n", l)
		}
		fmt.Fprintf(stderr, "Run 'pot %s --help' for details.\n", c.name)
	}
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pot: proof-of-training verification of language model files")
	fmt.Fprintln(w, "\nusage: pot COMMAND [ARGS]   (pot COMMAND --help for its arguments)")
	fmt.Fprintln(w, "       pot --version")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\n"+exitStatusHelp)
}

// printVersion prints the version certificates record, then the build
// details it comes from.
func printVersion(w io.Writer) {
	b := version.Read()
	fmt.Fprintf(w, "pot %s\n", job.VerifierVersion())
	if b.Module != "" {
		fmt.Fprintf(w, "module  %s\n", b.Module)
	}
	if b.Commit != "" {
		dirty := ""
		if b.Modified {
			dirty = " (with uncommitted changes)"
		}
		fmt.Fprintf(w, "commit  %s%s %s\n", b.Commit, dirty, b.Time)
	}
	if b.Go != "" {
		fmt.Fprintf(w, "go      %s\n", b.Go)
	}
}

// printHelp prints a command's synopsis, description and flags (fs may be
// nil for a command whose subcommands have their own flags).
func printHelp(w io.Writer, c command, fs *flag.FlagSet) {
	for i, l := range strings.Split(c.usage, "\n") {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
	if c.help != "" {
		fmt.Fprintf(w, "\n%s", strings.TrimLeft(c.help, "\n"))
		if !strings.HasSuffix(c.help, "\n") {
			fmt.Fprintln(w)
		}
	} else {
		fmt.Fprintf(w, "\n%s.\n", upperFirst(c.summary))
	}
	if fs != nil {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprint(w, "\n"+exitStatusHelp)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// helpRequest is returned by a command asked for --help; main prints the
// help on stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (*helpRequest) Error() string { return "help requested" }

// isHelpArg reports whether a is one of the ways to ask for help.
func isHelpArg(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// writeJSON prints v as indented JSON, the form every --json output takes.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newFlags returns a FlagSet for a subcommand that reports errors instead of
// printing them or exiting: parseFlags returns them, and main prints them
// with the command's synopsis.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("pot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args allowing flags after positional arguments
// (`pot inspect FILE --json`), returning the positional ones. -h or --help
// anywhere returns a *helpRequest.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{fs}
			}
			return nil, usageErrorf("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			continue
		}
	}
}
