package agent

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestHandle drives the socket's requests against a fake queue.
func TestHandle(t *testing.T) {
	q := &fakeQueue{jobs: []Job{{ID: "1", Candidate: "/m/a.gguf", State: Running}}}
	a, err := New(Config{Queue: q, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a.update(func(s *Settings) { s.RunOnBattery = true })
	ctx := context.Background()
	tests := []struct {
		req    Request
		ok     bool
		id     string
		nJobs  int
		errHas string
	}{
		{Request{Op: "ping"}, true, "", 0, ""},
		{Request{Op: "jobs"}, true, "", 1, ""},
		{Request{Op: "add", Spec: &Spec{Candidate: "/m/b.gguf", Reference: "/m/r.gguf"}}, true, "2", 0, ""},
		{Request{Op: "add"}, false, "", 0, "no spec"},
		{Request{Op: "pause", ID: "1"}, true, "", 0, ""},
		{Request{Op: "resume", ID: "1"}, true, "", 0, ""},
		{Request{Op: "cancel", ID: "9"}, false, "", 0, "no job 9"},
		{Request{Op: "pause-all"}, true, "", 0, ""},
		{Request{Op: "refresh"}, true, "", 0, ""},
		{Request{Op: "format-disk"}, false, "", 0, `unknown op "format-disk"`},
	}
	for _, tt := range tests {
		r := a.Handle(ctx, tt.req)
		if r.OK != tt.ok || r.ID != tt.id || len(r.Jobs) != tt.nJobs || !strings.Contains(r.Error, tt.errHas) {
			t.Errorf("%+v: got %+v", tt.req, r)
		}
	}
	added, paused, calls := q.snapshot()
	if want := []Spec{{Candidate: "/m/b.gguf", Reference: "/m/r.gguf", AllowBattery: true}}; !reflect.DeepEqual(added, want) {
		t.Errorf("added %+v, want %+v (Run on Battery applies)", added, want)
	}
	if !paused || !reflect.DeepEqual(calls, []string{"pause 1", "resume 1", "hold 1 true", "hold 2 true"}) {
		t.Errorf("paused %v, calls %v", paused, calls)
	}
	if !a.View().UserPaused {
		t.Error("pause-all not remembered in the settings")
	}
}

// blockingChooser holds its dialog open until released.
type blockingChooser struct{ opened, release chan struct{} }

func (c blockingChooser) ChooseFile(ctx context.Context, r FileRequest) (FileAnswer, error) {
	c.opened <- struct{}{}
	<-c.release
	return FileAnswer{}, ErrCancelled
}

// TestOneDialogAtATime: a second Verify Model… while a dialog is up is
// refused, not stacked.
func TestOneDialogAtATime(t *testing.T) {
	ch := blockingChooser{make(chan struct{}), make(chan struct{})}
	a, err := New(Config{Queue: &fakeQueue{}, DataDir: t.TempDir(), Chooser: ch})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { _, err := a.Verify(context.Background(), ""); first <- err }()
	<-ch.opened
	if _, err := a.Verify(context.Background(), ""); !errors.Is(err, errDialogOpen) {
		t.Errorf("second dialog: %v", err)
	}
	close(ch.release)
	if err := <-first; !errors.Is(err, ErrCancelled) {
		t.Errorf("first dialog: %v", err)
	}
}

// TestPauseAllHoldsNewJobs: a job that appears while Pause All is on is
// held at the agent's next look, once.
func TestPauseAllHoldsNewJobs(t *testing.T) {
	q := &fakeQueue{jobs: []Job{{ID: "1", Candidate: "a.gguf", State: Running}}}
	a, err := New(Config{Queue: q, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.do(context.Background(), Action{Kind: ActPauseAll}); err != nil {
		t.Fatal(err)
	}
	q.Add(Spec{Candidate: "b.gguf"}) // e.g. `pot schedule add` meanwhile
	a.Refresh()
	a.Refresh()
	_, _, calls := q.snapshot()
	if want := []string{"hold 1 true", "hold 2 true"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}
