package agent

import (
	"context"

	"github.com/proof-of-training/pot/resources"
)

// RunTray shows a in the system tray (Linux) or the menu bar (macOS) and
// carries out what the user clicks, until ctx ends or the user quits. It
// runs a's loop too, and calls beforeExit (if not nil) once the tray is
// done and before the process may exit: AppKit's terminate ends the
// process itself. On macOS it must be called from the main goroutine,
// locked to the main thread, because AppKit runs there.
func RunTray(ctx context.Context, a *Agent, beforeExit func()) error {
	if beforeExit == nil {
		beforeExit = func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-a.Quitting():
			cancel()
		case <-ctx.Done():
		}
	}()
	click := func(act Action) { go a.Do(ctx, act) }
	return runTray(ctx, a, click, beforeExit)
}

// iconPNG returns the Linux tray icon for state i.
func iconPNG(i Icon) []byte {
	b, _ := resources.Icons.ReadFile("icons/" + i.String() + ".png")
	return b
}

// templatePNG returns the macOS template icon (@2x) for state i.
func templatePNG(i Icon) []byte {
	b, _ := resources.Icons.ReadFile("icons/" + i.String() + "Template@2x.png")
	return b
}
