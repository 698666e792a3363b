//go:build !linux && !darwin

package agent

import "context"

// newChooser returns a chooser that reports there is none.
func newChooser() Chooser { return noChooser{} }

type noChooser struct{}

func (noChooser) ChooseFile(context.Context, FileRequest) (FileAnswer, error) {
	return FileAnswer{}, ErrNoChooser
}
