// Package agenttest runs the desktop services the agent talks to, for
// tests: a private D-Bus daemon, and on it a StatusNotifierWatcher (the
// tray host's side), a notification server and an xdg-desktop-portal
// FileChooser stand-in. Each is a real D-Bus peer speaking the published
// interface, so the agent is tested through the same calls a desktop
// makes.
package agenttest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// NeedTool finds a system tool. When it is missing the test is skipped
// with the reason, or failed under POT_REQUIRE_SYSTEM=1 (CI).
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("POT_REQUIRE_SYSTEM") == "1" {
		tb.Fatalf("%s is required (POT_REQUIRE_SYSTEM=1) but not installed: %v", name, err)
	}
	tb.Skipf("%s is not installed; skipping (apt-get install dbus)", name)
	return ""
}

// busConfig is a session bus with no service activation, so nothing on the
// machine (a real portal, a real notification daemon) joins in.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Bus is a private dbus-daemon.
type Bus struct {
	Addr string
	cmd  *exec.Cmd
}

// StartBus starts dbus-daemon with its socket in dir. Set
// DBUS_SESSION_BUS_ADDRESS to Addr before anything calls
// dbus.SessionBus (a process-wide singleton).
func StartBus(daemon, dir string) (*Bus, error) {
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Its stderr is left out: in containers it warns on every start that
	// it cannot raise its fd limit.
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("dbus-daemon printed no address: %v", err)
	}
	return &Bus{Addr: strings.TrimSpace(line), cmd: cmd}, nil
}

// Close stops the daemon.
func (b *Bus) Close() {
	b.cmd.Process.Kill()
	b.cmd.Wait()
}

// Connect opens a new connection to the bus (a second peer, not the
// process's shared session connection).
func (b *Bus) Connect() (*dbus.Conn, error) {
	c, err := dbus.Connect(b.Addr)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// own exports v at path under iface and takes name.
func own(conn *dbus.Conn, v any, path dbus.ObjectPath, iface, name string) error {
	if err := conn.Export(v, path, iface); err != nil {
		return err
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		return err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is already owned", name)
	}
	return nil
}

// Item is a registered StatusNotifierItem: its bus name and object path.
type Item struct {
	Service string
	Path    dbus.ObjectPath
}

// Watcher is org.kde.StatusNotifierWatcher: items register with it.
type Watcher struct {
	conn  *dbus.Conn
	Items chan Item
}

// RegisterStatusNotifierItem is the watcher method tray items call; the
// argument is a path on the caller's connection or a bus name.
func (w *Watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := Item{Service: string(sender), Path: "/StatusNotifierItem"}
	if strings.HasPrefix(service, "/") {
		it.Path = dbus.ObjectPath(service)
	} else {
		it.Service = service
	}
	w.Items <- it
	return nil
}

// RegisterStatusNotifierHost accepts a host.
func (w *Watcher) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

// NewWatcher owns org.kde.StatusNotifierWatcher on conn.
func NewWatcher(conn *dbus.Conn) (*Watcher, error) {
	w := &Watcher{conn: conn, Items: make(chan Item, 4)}
	return w, own(conn, w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher", "org.kde.StatusNotifierWatcher")
}

// WaitItem waits for an item to register.
func (w *Watcher) WaitItem(d time.Duration) (Item, error) {
	select {
	case it := <-w.Items:
		return it, nil
	case <-time.After(d):
		return Item{}, errors.New("no StatusNotifierItem registered")
	}
}

// Property reads one org.kde.StatusNotifierItem property of it.
func Property(conn *dbus.Conn, it Item, name string) (dbus.Variant, error) {
	return conn.Object(it.Service, it.Path).GetProperty("org.kde.StatusNotifierItem." + name)
}

// Node is one dbusmenu layout node.
type Node struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []Node
}

// Label is the node's label as shown: an access-key "_" removed, "__"
// shown as "_" (the dbusmenu spec).
func (n Node) Label() string {
	var s string
	if v, ok := n.Props["label"]; ok {
		v.Store(&s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i+1 < len(s) && s[i+1] == '_' {
				b.WriteByte('_')
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (n Node) flag(name string, def bool) bool {
	b := def
	if v, ok := n.Props[name]; ok {
		v.Store(&b)
	}
	return b
}

// Visible and Enabled read those properties (default true).
func (n Node) Visible() bool { return n.flag("visible", true) }
func (n Node) Enabled() bool { return n.flag("enabled", true) }

// Separator reports whether the node is a separator.
func (n Node) Separator() bool {
	var t string
	if v, ok := n.Props["type"]; ok {
		v.Store(&t)
	}
	return t == "separator"
}

// Toggled reports a checkbox's state.
func (n Node) Toggled() bool {
	v, ok := n.Props["toggle-state"]
	// The spec says int32; fyne.io/systray sends a Go int (int64).
	return ok && fmt.Sprint(v.Value()) == "1"
}

// toggle reports whether the node is a checkbox.
func (n Node) toggle() bool {
	var t string
	if v, ok := n.Props["toggle-type"]; ok {
		v.Store(&t)
	}
	return t == "checkmark"
}

// Find follows labels down the visible nodes.
func (n Node) Find(labels ...string) (Node, bool) {
	cur := n
	for _, l := range labels {
		found := false
		for _, c := range cur.Children {
			if c.Visible() && c.Label() == l {
				cur, found = c, true
				break
			}
		}
		if !found {
			return Node{}, false
		}
	}
	return cur, true
}

// Lines flattens the visible tree as "Parent/Child" labels, with
// separators as "---", checkboxes as "[x]"/"[ ]" and disabled items
// "(off)": the same notation as the agent's menu tests.
func (n Node) Lines(prefix string) []string {
	var out []string
	for _, c := range n.Children {
		if !c.Visible() {
			continue
		}
		l := prefix + c.Label()
		if c.Separator() {
			l = prefix + "---"
		} else if c.toggle() {
			if c.Toggled() {
				l += " [x]"
			} else {
				l += " [ ]"
			}
		}
		if !c.Enabled() {
			l += " (off)"
		}
		out = append(out, l)
		out = append(out, c.Lines(prefix+c.Label()+"/")...)
	}
	return out
}

// decodeNode converts GetLayout's (ia{sv}av) value.
func decodeNode(v []any) (Node, error) {
	if len(v) != 3 {
		return Node{}, fmt.Errorf("layout node has %d fields", len(v))
	}
	n := Node{}
	n.ID, _ = v[0].(int32)
	n.Props, _ = v[1].(map[string]dbus.Variant)
	kids, _ := v[2].([]dbus.Variant)
	for _, k := range kids {
		kv, ok := k.Value().([]any)
		if !ok {
			return Node{}, fmt.Errorf("layout child is %T", k.Value())
		}
		c, err := decodeNode(kv)
		if err != nil {
			return Node{}, err
		}
		n.Children = append(n.Children, c)
	}
	return n, nil
}

// Menu reads the item's whole menu with com.canonical.dbusmenu.GetLayout.
func Menu(conn *dbus.Conn, it Item) (Node, error) {
	var menuPath dbus.ObjectPath
	v, err := Property(conn, it, "Menu")
	if err != nil {
		return Node{}, err
	}
	if err := v.Store(&menuPath); err != nil {
		return Node{}, err
	}
	call := conn.Object(it.Service, menuPath).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		return Node{}, call.Err
	}
	if len(call.Body) != 2 {
		return Node{}, fmt.Errorf("GetLayout returned %d values", len(call.Body))
	}
	root, ok := call.Body[1].([]any)
	if !ok {
		return Node{}, fmt.Errorf("GetLayout layout is %T", call.Body[1])
	}
	return decodeNode(root)
}

// Click sends Event(id, "clicked") to the item's menu.
func Click(conn *dbus.Conn, it Item, id int32) error {
	var menuPath dbus.ObjectPath
	v, err := Property(conn, it, "Menu")
	if err != nil {
		return err
	}
	v.Store(&menuPath)
	return conn.Object(it.Service, menuPath).Call("com.canonical.dbusmenu.Event", 0,
		id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// LeftWithoutReply reports whether err says the peer left the bus before
// replying: what a click on Quit may return, since the agent can close its
// connection before the bus delivers its reply to the click.
func LeftWithoutReply(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.NoReply"
}
