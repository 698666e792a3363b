package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"

	"github.com/godbus/dbus/v5"
)

// The Linux file chooser: the xdg-desktop-portal FileChooser over the
// session bus (https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.FileChooser.html),
// which shows the desktop's own dialog, else zenity.

// newChooser returns the file chooser for this desktop. It decides at each
// call, so a portal that starts later is used.
func newChooser() Chooser { return linuxChooser{} }

type linuxChooser struct{}

const (
	portalName  = "org.freedesktop.portal.Desktop"
	portalPath  = "/org/freedesktop/portal/desktop"
	portalIface = "org.freedesktop.portal.FileChooser"
)

func (linuxChooser) ChooseFile(ctx context.Context, r FileRequest) (FileAnswer, error) {
	if conn, err := dbus.SessionBus(); err == nil && hasName(conn, portalName) {
		return portalChoose(ctx, conn, r)
	}
	if path, err := exec.LookPath("zenity"); err == nil {
		return zenityChoose(ctx, path, r)
	}
	return FileAnswer{}, ErrNoChooser
}

// hasName reports whether name is owned or can be started on the bus.
func hasName(conn *dbus.Conn, name string) bool {
	var owned bool
	if conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned) == nil && owned {
		return true
	}
	var names []string
	if conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) == nil {
		for _, n := range names {
			if n == name {
				return true
			}
		}
	}
	return false
}

// portalOptions turns a request into OpenFile's options.
func portalOptions(r FileRequest, token string) map[string]dbus.Variant {
	opts := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"modal":        dbus.MakeVariant(false),
	}
	if r.Directory {
		opts["directory"] = dbus.MakeVariant(true)
	}
	if len(r.Filters) > 0 {
		type pattern struct {
			Kind uint32
			Glob string
		}
		type filter struct {
			Name     string
			Patterns []pattern
		}
		fs := make([]filter, len(r.Filters))
		for i, f := range r.Filters {
			fs[i].Name = f.Name
			for _, p := range f.Patterns {
				fs[i].Patterns = append(fs[i].Patterns, pattern{0, p})
			}
		}
		opts["filters"] = dbus.MakeVariant(fs)
		opts["current_filter"] = dbus.MakeVariant(fs[0])
	}
	if r.Folder != "" {
		// A byte string with its terminating NUL, as the portal wants.
		opts["current_folder"] = dbus.MakeVariant(append([]byte(r.Folder), 0))
	}
	if len(r.Choices) > 0 {
		type option struct{ ID, Label string }
		type choice struct {
			ID, Label string
			Options   []option
			Default   string
		}
		cs := make([]choice, len(r.Choices))
		for i, c := range r.Choices {
			cs[i] = choice{ID: c.ID, Label: c.Label, Default: c.Default}
			for _, o := range c.Options {
				cs[i].Options = append(cs[i].Options, option{o.ID, o.Label})
			}
		}
		opts["choices"] = dbus.MakeVariant(cs)
	}
	return opts
}

// portalChoose calls OpenFile and waits for the request's Response signal.
func portalChoose(ctx context.Context, conn *dbus.Conn, r FileRequest) (FileAnswer, error) {
	var raw [8]byte
	rand.Read(raw[:])
	token := "pot" + hex.EncodeToString(raw[:])
	// The request object's path is known before the call, so the signal
	// cannot be missed (the portal spec's recommended pattern).
	sender := strings.ReplaceAll(strings.TrimPrefix(conn.Names()[0], ":"), ".", "_")
	want := dbus.ObjectPath(portalPath + "/request/" + sender + "/" + token)
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	match := []dbus.MatchOption{dbus.WithMatchInterface("org.freedesktop.portal.Request"), dbus.WithMatchMember("Response")}
	if err := conn.AddMatchSignal(match...); err != nil {
		return FileAnswer{}, fmt.Errorf("file chooser portal: %w", err)
	}
	defer conn.RemoveMatchSignal(match...)
	var handle dbus.ObjectPath
	err := conn.Object(portalName, portalPath).CallWithContext(ctx, portalIface+".OpenFile", 0,
		"", r.Title, portalOptions(r, token)).Store(&handle)
	if err != nil {
		return FileAnswer{}, fmt.Errorf("file chooser portal: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return FileAnswer{}, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return FileAnswer{}, errors.New("file chooser portal: the bus connection closed")
			}
			if sig.Name != "org.freedesktop.portal.Request.Response" || (sig.Path != want && sig.Path != handle) {
				continue
			}
			return portalAnswer(sig.Body)
		}
	}
}

// portalAnswer decodes a Response signal's (u response, a{sv} results).
func portalAnswer(body []any) (FileAnswer, error) {
	if len(body) != 2 {
		return FileAnswer{}, fmt.Errorf("file chooser portal: response with %d values", len(body))
	}
	code, _ := body[0].(uint32)
	results, _ := body[1].(map[string]dbus.Variant)
	switch code {
	case 0:
	case 1:
		return FileAnswer{}, ErrCancelled
	default:
		return FileAnswer{}, fmt.Errorf("file chooser portal: the dialog ended with code %d", code)
	}
	var uris []string
	if v, ok := results["uris"]; ok {
		v.Store(&uris)
	}
	if len(uris) == 0 {
		return FileAnswer{}, ErrCancelled
	}
	u, err := url.Parse(uris[0])
	if err != nil || u.Scheme != "file" {
		return FileAnswer{}, fmt.Errorf("file chooser portal: %q is not a local file", uris[0])
	}
	ans := FileAnswer{Path: u.Path, Choices: map[string]string{}}
	if v, ok := results["choices"]; ok {
		var pairs [][]any
		if v.Store(&pairs) == nil {
			for _, p := range pairs {
				if len(p) == 2 {
					k, _ := p[0].(string)
					val, _ := p[1].(string)
					ans.Choices[k] = val
				}
			}
		}
	}
	return ans, nil
}

// zenityArgs is the file dialog's command line.
func zenityArgs(r FileRequest) []string {
	args := []string{"--file-selection", "--title=" + r.Title}
	if r.Directory {
		args = append(args, "--directory")
	}
	if r.Folder != "" {
		args = append(args, "--filename="+strings.TrimSuffix(r.Folder, "/")+"/")
	}
	for _, f := range r.Filters {
		args = append(args, "--file-filter="+f.Name+" | "+strings.Join(f.Patterns, " "))
	}
	return args
}

// zenityChoiceArgs asks one choice as a radio list that prints the ID.
func zenityChoiceArgs(title string, c Choice) []string {
	args := []string{"--list", "--radiolist", "--title=" + title, "--text=" + c.Label,
		"--column=", "--column=id", "--column=" + c.Label, "--hide-column=2", "--print-column=2"}
	for _, o := range c.Options {
		pick := "FALSE"
		if o.ID == c.Default {
			pick = "TRUE"
		}
		args = append(args, pick, o.ID, o.Label)
	}
	return args
}

// zenityChoose runs zenity's file dialog, then one list per choice.
func zenityChoose(ctx context.Context, zenity string, r FileRequest) (FileAnswer, error) {
	run := func(args []string) (string, error) {
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, zenity, args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			return "", ErrCancelled
		}
		if err != nil {
			return "", fmt.Errorf("zenity: %v: %s", err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimRight(out.String(), "\n"), nil
	}
	path, err := run(zenityArgs(r))
	if err != nil {
		return FileAnswer{}, err
	}
	ans := FileAnswer{Path: path, Choices: map[string]string{}}
	for _, c := range r.Choices {
		id, err := run(zenityChoiceArgs(r.Title, c))
		if err != nil {
			return FileAnswer{}, err
		}
		ans.Choices[c.ID] = id
	}
	return ans, nil
}
