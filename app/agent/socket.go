package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Names of the agent's files in the user's config directory.
const (
	SocketName = "agent.sock"
	LockName   = "agent.lock"
)

// ErrRunning is returned by Lock when another agent holds the lock.
var ErrRunning = errors.New("agent: another PoT agent is running for this user")

// ErrNotRunning is returned by Call when no agent answers.
var ErrNotRunning = errors.New("agent: no PoT agent is running")

// Request is one message to the agent over its socket, one JSON object per
// line. Ops: "ping"; "add" (Spec); "jobs"; "pause", "resume", "cancel"
// (ID); "pause-all"; "resume-all"; "open" (Path: a model file to verify,
// asking for its reference as Verify Model… does); "refresh" (the queue
// changed: look again now).
type Request struct {
	Op   string `json:"op"`
	ID   string `json:"id,omitempty"`
	Spec *Spec  `json:"spec,omitempty"`
	Path string `json:"path,omitempty"`
}

// Response answers a Request.
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	PID   int    `json:"pid,omitempty"`
	ID    string `json:"id,omitempty"`
	Jobs  []Job  `json:"jobs,omitempty"`
}

// maxMessage caps one request or response line.
const maxMessage = 1 << 20

// checkDir makes dir if needed and refuses one that other users can write
// to or that belongs to someone else: the socket's safety rests on it.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("agent: %s is writable by other users (mode %v); run chmod go-w on it", dir, st.Mode().Perm())
	}
	return checkOwner(dir, st)
}

// Listen opens the agent's socket in dir with user-only permissions. Call
// it only while holding Lock: it removes a socket left by a dead agent.
func Listen(dir string) (net.Listener, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, SocketName)
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("agent: socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("agent: socket %s: %w", path, err)
	}
	return l, nil
}

// Serve answers requests on l with handle until l is closed.
func Serve(l net.Listener, handle func(Request) Response) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serveConn(c, handle)
	}
}

func serveConn(c net.Conn, handle func(Request) Response) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), maxMessage)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		var req Request
		var resp Response
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp = Response{Error: "malformed request: " + err.Error()}
		} else {
			resp = handle(req)
		}
		if enc.Encode(resp) != nil {
			return
		}
	}
}

// Call sends one request to the agent serving in dir. It returns
// ErrNotRunning when nobody listens, and the agent's error as an error.
func Call(dir string, req Request) (Response, error) {
	path := filepath.Join(dir, SocketName)
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return Response{}, fmt.Errorf("%w (%v)", ErrNotRunning, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return Response{}, fmt.Errorf("agent socket %s: %w", path, err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), maxMessage)
	if !sc.Scan() {
		return Response{}, fmt.Errorf("agent socket %s: no answer: %v", path, sc.Err())
	}
	var resp Response
	if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
		return Response{}, fmt.Errorf("agent socket %s: malformed answer: %w", path, err)
	}
	if !resp.OK {
		return resp, fmt.Errorf("agent: %s", resp.Error)
	}
	return resp, nil
}
