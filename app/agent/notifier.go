package agent

import "github.com/gen2brain/beeep"

// NewNotifier returns the desktop notifier: beeep, which on Linux calls
// org.freedesktop.Notifications on the session bus (falling back to
// notify-send) and on macOS runs terminal-notifier or osascript. It sets
// beeep's process-wide application name to "PoT".
func NewNotifier() Notifier {
	beeep.AppName = "PoT"
	return beeepNotifier{}
}

type beeepNotifier struct{}

func (beeepNotifier) Notify(n Notice) error {
	return beeep.Notify(n.Title, n.Body, iconPNG(IconIdle))
}
