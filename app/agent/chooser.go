package agent

import (
	"context"
	"errors"
)

// ErrCancelled is returned by a Chooser when the user closes the dialog.
var ErrCancelled = errors.New("agent: cancelled")

// ErrNoChooser is returned when no file chooser is available (on Linux:
// neither the xdg-desktop-portal nor zenity).
var ErrNoChooser = errors.New("agent: no file chooser: install xdg-desktop-portal (with a GTK or KDE backend) or zenity")

// NewChooser returns this platform's file chooser: the xdg-desktop-portal
// (zenity as a fallback) on Linux, NSOpenPanel on macOS.
func NewChooser() Chooser { return newChooser() }

// Chooser asks the user for a file.
type Chooser interface {
	ChooseFile(ctx context.Context, r FileRequest) (FileAnswer, error)
}

// FileRequest describes a file dialog.
type FileRequest struct {
	Title     string
	Filters   []Filter // the first is selected
	Folder    string   // where the dialog opens; "" for its default
	Directory bool     // choose a folder instead of a file
	// Choices are asked with the file where the dialog supports it (the
	// portal's choices, shown as combo boxes) and after it otherwise.
	Choices []Choice
}

// Filter is a named set of glob patterns ("*.gguf").
type Filter struct {
	Name     string
	Patterns []string
}

// Choice is a question with fixed options.
type Choice struct {
	ID, Label string
	Options   []Option
	Default   string // an Option ID
}

// Option is one answer to a Choice.
type Option struct{ ID, Label string }

// FileAnswer is the chosen file and the answers to the choices (by Choice
// ID; a choice left alone has its Default).
type FileAnswer struct {
	Path    string
	Choices map[string]string
}

// answerOrDefault returns the answer to choice id, or its default.
func (r FileRequest) answerOrDefault(a FileAnswer, id string) string {
	if v, ok := a.Choices[id]; ok {
		return v
	}
	for _, c := range r.Choices {
		if c.ID == id {
			return c.Default
		}
	}
	return ""
}
