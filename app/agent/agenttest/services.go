package agenttest

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notification is one org.freedesktop.Notifications.Notify call.
type Notification struct {
	App, Icon, Summary, Body string
	Hints                    map[string]dbus.Variant
	Timeout                  int32
}

// Notifications is a notification server
// (https://specifications.freedesktop.org/notification-spec/latest/).
type Notifications struct {
	Got  chan Notification
	mu   sync.Mutex
	next uint32
}

// NewNotifications owns org.freedesktop.Notifications on conn.
func NewNotifications(conn *dbus.Conn) (*Notifications, error) {
	n := &Notifications{Got: make(chan Notification, 16)}
	return n, own(conn, n, "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "org.freedesktop.Notifications")
}

// Notify records the notification.
func (n *Notifications) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	n.next++
	id := n.next
	n.mu.Unlock()
	n.Got <- Notification{App: app, Icon: icon, Summary: summary, Body: body, Hints: hints, Timeout: timeout}
	return id, nil
}

// GetCapabilities, GetServerInformation and CloseNotification complete
// the interface.
func (n *Notifications) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }
func (n *Notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "agenttest", "pot", "1", "1.2", nil
}
func (n *Notifications) CloseNotification(id uint32) *dbus.Error { return nil }

// Wait returns the next notification whose summary is summary.
func (n *Notifications) Wait(summary string, d time.Duration) (Notification, error) {
	deadline := time.After(d)
	for {
		select {
		case got := <-n.Got:
			if got.Summary == summary {
				return got, nil
			}
		case <-deadline:
			return Notification{}, errors.New("no notification " + summary)
		}
	}
}

// Answer is what the portal stand-in's user picks: a file and the choices,
// or Cancel.
type Answer struct {
	Path    string
	Choices map[string]string
	Cancel  bool
}

// Request is one OpenFile call as the portal received it.
type Request struct {
	Title   string
	Options map[string]dbus.Variant
}

// Portal is an xdg-desktop-portal FileChooser stand-in: OpenFile returns a
// request handle at the path the spec derives from the caller and the
// handle_token, then emits org.freedesktop.portal.Request.Response there
// with the next queued Answer.
type Portal struct {
	conn     *dbus.Conn
	answers  chan Answer
	Requests chan Request
}

// NewPortal owns org.freedesktop.portal.Desktop on conn.
func NewPortal(conn *dbus.Conn) (*Portal, error) {
	p := &Portal{conn: conn, answers: make(chan Answer, 8), Requests: make(chan Request, 8)}
	return p, own(conn, p, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser", "org.freedesktop.portal.Desktop")
}

// Queue sets the answer to a future dialog.
func (p *Portal) Queue(a Answer) { p.answers <- a }

// OpenFile is the portal method.
func (p *Portal) OpenFile(sender dbus.Sender, parent, title string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	var token string
	if v, ok := options["handle_token"]; ok {
		v.Store(&token)
	}
	s := strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_")
	handle := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + s + "/" + token)
	p.Requests <- Request{Title: title, Options: options}
	go func() {
		var a Answer
		select {
		case a = <-p.answers:
		case <-time.After(10 * time.Second):
			a.Cancel = true
		}
		time.Sleep(10 * time.Millisecond) // after the method reply, as a person is slower
		results := map[string]dbus.Variant{}
		code := uint32(1)
		if !a.Cancel {
			code = 0
			results["uris"] = dbus.MakeVariant([]string{(&url.URL{Scheme: "file", Path: a.Path}).String()})
			if len(a.Choices) > 0 {
				type kv struct{ K, V string } // a(ss)
				var cs []kv
				for k, v := range a.Choices {
					cs = append(cs, kv{k, v})
				}
				results["choices"] = dbus.MakeVariant(cs)
			}
		}
		p.conn.Emit(handle, "org.freedesktop.portal.Request.Response", code, results)
	}()
	return handle, nil
}
