package agent

import (
	"context"
	"strings"

	"github.com/proof-of-training/pot/metalbridge/appkit"
)

// newChooser returns the macOS file chooser: NSOpenPanel, then an alert
// per choice (the open panel has no place for them without an accessory
// view).
func newChooser() Chooser { return macChooser{} }

type macChooser struct{}

// panelExts turns glob filters into the extensions NSOpenPanel wants;
// a "*" pattern allows every file.
func panelExts(fs []Filter) []string {
	var exts []string
	for _, f := range fs {
		for _, p := range f.Patterns {
			if p == "*" {
				return nil
			}
			exts = append(exts, strings.TrimPrefix(p, "*."))
		}
	}
	return exts
}

func (macChooser) ChooseFile(ctx context.Context, r FileRequest) (FileAnswer, error) {
	type result struct {
		ans FileAnswer
		ok  bool
	}
	done := make(chan result, 1)
	appkit.OnMain(func() {
		path, ok := appkit.OpenPanel(r.Title, r.Folder, panelExts(r.Filters), r.Directory)
		ans := FileAnswer{Path: path, Choices: map[string]string{}}
		for _, c := range r.Choices {
			if !ok {
				break
			}
			labels := make([]string, len(c.Options))
			for i, o := range c.Options {
				labels[i] = o.Label
			}
			if i := appkit.Alert(r.Title, c.Label, labels); i >= 0 && i < len(c.Options) {
				ans.Choices[c.ID] = c.Options[i].ID
			}
		}
		done <- result{ans, ok}
	})
	select {
	case <-ctx.Done():
		return FileAnswer{}, ctx.Err()
	case res := <-done:
		if !res.ok {
			return FileAnswer{}, ErrCancelled
		}
		return res.ans, nil
	}
}
