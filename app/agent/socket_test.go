package agent

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockOnePerUser(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file, so a second Lock in this process conflicts
	// exactly as a second process would.
	if _, err := Lock(dir); !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second lock: %v, want ErrRunning naming the pid", err)
	}
	release()
	release2, err := Lock(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release2()
}

func TestSocket(t *testing.T) {
	dir := t.TempDir()
	if _, err := Call(dir, Request{Op: "ping"}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("no agent: %v, want ErrNotRunning", err)
	}
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := os.Stat(filepath.Join(dir, SocketName))
	if err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, %v; want a 0600 socket", st.Mode(), err)
	}
	go Serve(l, func(r Request) Response {
		switch r.Op {
		case "ping":
			return Response{OK: true, PID: 42}
		case "add":
			return Response{OK: true, ID: "7:" + r.Spec.Candidate}
		}
		return Response{Error: "unknown op " + r.Op}
	})
	if resp, err := Call(dir, Request{Op: "ping"}); err != nil || resp.PID != 42 {
		t.Fatalf("ping: %+v, %v", resp, err)
	}
	if resp, err := Call(dir, Request{Op: "add", Spec: &Spec{Candidate: "m.gguf"}}); err != nil || resp.ID != "7:m.gguf" {
		t.Fatalf("add: %+v, %v", resp, err)
	}
	if _, err := Call(dir, Request{Op: "bogus"}); err == nil || !strings.Contains(err.Error(), "unknown op bogus") {
		t.Fatalf("bogus: %v", err)
	}
	// A malformed line gets an error answer, not a hang or a crash.
	c, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("{not json\n"))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.Contains(line, "malformed request") {
		t.Fatalf("malformed request answered %q", line)
	}
}

func TestCheckDirRefusesSharedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(dir, 0o777)
	os.Chmod(dir, 0o777)
	if _, err := Listen(dir); err == nil || !strings.Contains(err.Error(), "writable by other users") {
		t.Fatalf("world-writable dir: %v", err)
	}
}
