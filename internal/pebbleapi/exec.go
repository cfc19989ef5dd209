package pebbleapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/gorilla/websocket"

	"github.com/tandem-harness/tandem/spec"
)

// Exec as Pebble's api_exec.go and cmdstate serve it: POST /v1/exec
// answers a change and a task id at once; the client then opens the
// task's websockets (control, stdio, and stderr when split), sends stdin
// on stdio up to an {"command":"end"} text message, and reads stdout (and
// stderr) up to the same; the change's task holds the exit code.
//
// The model runs a command whole (spec.Executor) and takes no stdin: what
// the client sends is read and dropped. Its changes have ids of their own
// ("e1", ...), apart from the model's, which are numbers.

var endCommand = []byte(`{"command":"end"}`)

// execEnvironment is what a command gets in the model's containers, which
// run as root: Pebble's answer lists the environment a command runs with,
// and its working directory, the user's home.
var execEnvironment = map[string]string{"HOME": "/root", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// execSession is one exec: its change, its websockets, its outcome.
type execSession struct {
	id, task string
	command  []string
	timeout  time.Duration
	split    bool
	spawn    time.Time

	mu      sync.Mutex
	conns   map[string]*websocket.Conn
	started bool
	ready   time.Time
	exit    int
	err     string
	done    chan struct{}
}

func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Command     []string `json:"command"`
		Timeout     string   `json:"timeout"`
		SplitStderr bool     `json:"split-stderr"`
		Terminal    bool     `json:"terminal"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Command) == 0 {
		errorResponse(w, http.StatusBadRequest, "", "must specify command")
		return
	}
	if req.Terminal {
		errorResponse(w, http.StatusBadRequest, "", "tandem's model runs no command in a terminal")
		return
	}
	var timeout time.Duration
	if req.Timeout != "" {
		d, err := time.ParseDuration(req.Timeout)
		if err != nil {
			errorResponse(w, http.StatusBadRequest, "", "invalid timeout: "+err.Error())
			return
		}
		timeout = d
	}
	s.execMu.Lock()
	s.lastExec++
	e := &execSession{id: "e" + strconv.Itoa(s.lastExec), task: "t" + strconv.Itoa(s.lastExec), command: req.Command,
		timeout: timeout, split: req.SplitStderr, spawn: time.Now(), conns: map[string]*websocket.Conn{}, done: make(chan struct{})}
	if s.execs == nil {
		s.execs = map[string]*execSession{}
	}
	s.execs[e.id], s.execs[e.task] = e, e
	s.execMu.Unlock()
	writeJSON(w, response{Type: "async", StatusCode: http.StatusAccepted, Status: http.StatusText(http.StatusAccepted),
		Change: e.id, Result: map[string]any{"task-id": e.task, "environment": execEnvironment, "working-dir": "/root"}})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// taskWebsocket takes one of an exec's websockets; the command runs once
// every one it needs is there.
func (s *Server) taskWebsocket(w http.ResponseWriter, r *http.Request) {
	e := s.session(r.PathValue("task"))
	name := r.PathValue("name")
	if e == nil || e.task != r.PathValue("task") {
		errorResponse(w, http.StatusNotFound, "not-found", fmt.Sprintf("cannot find task with id %q", r.PathValue("task")))
		return
	}
	if name != "control" && name != "stdio" && (name != "stderr" || !e.split) {
		errorResponse(w, http.StatusNotFound, "not-found", fmt.Sprintf("websocket %q not found", name))
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	e.mu.Lock()
	e.conns[name] = conn
	all := e.conns["control"] != nil && e.conns["stdio"] != nil && (!e.split || e.conns["stderr"] != nil)
	start := all && !e.started
	e.started = e.started || start
	e.mu.Unlock()
	if start {
		go s.run(e)
	}
}

// run runs the command on the model at once, as Pebble starts the
// process (ops closes stdin only after the change is ready), drops what
// comes on stdin, and sends the output, each stream ended as Pebble
// ends it.
func (s *Server) run(e *execSession) {
	stdio, stderr, control := e.conns["stdio"], e.conns["stderr"], e.conns["control"]
	go func() {
		for {
			kind, data, err := stdio.ReadMessage()
			if err != nil || (kind == websocket.TextMessage && strings.Contains(string(data), `"end"`)) {
				return
			}
		}
	}()
	var res spec.ExecResult
	var err error
	s.do(func(b Backend) {
		ex, ok := b.(spec.Executor)
		if !ok {
			err = fmt.Errorf("this Pebble runs no command")
			return
		}
		res, err = ex.Run(e.command, e.timeout)
	})
	out := res.Stdout
	if !e.split {
		out += res.Stderr
	}
	send := func(c *websocket.Conn, data string) {
		if data != "" {
			c.WriteMessage(websocket.BinaryMessage, []byte(data))
		}
		c.WriteMessage(websocket.TextMessage, endCommand)
	}
	send(stdio, out)
	if stderr != nil {
		send(stderr, res.Stderr)
	}
	e.mu.Lock()
	e.exit, e.ready = res.ExitCode, time.Now()
	if err != nil {
		e.err = fmt.Sprintf("cannot perform the following tasks:\n- Execute command %q (%v)", e.command[0], err)
	}
	e.mu.Unlock()
	close(e.done)
	for _, c := range []*websocket.Conn{stdio, stderr, control} {
		if c != nil {
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.Close()
		}
	}
}

func (s *Server) session(id string) *execSession {
	s.execMu.Lock()
	defer s.execMu.Unlock()
	return s.execs[id]
}

// info is the exec's change, as Pebble lists it: one task, "exec", whose
// data holds the exit code once it ended.
func (e *execSession) info() map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	summary := fmt.Sprintf("Execute command %q", e.command[0])
	task := map[string]any{"id": e.task, "kind": "exec", "summary": summary, "status": "Doing",
		"progress": client.TaskProgress{Total: 1}, "spawn-time": e.spawn}
	out := map[string]any{"id": e.id, "kind": "exec", "summary": summary, "status": "Doing", "ready": false,
		"spawn-time": e.spawn, "tasks": []map[string]any{task}}
	select {
	case <-e.done:
	default:
		return out
	}
	status := "Done"
	if e.err != "" {
		status = "Error"
		out["err"] = e.err
	}
	task["status"], task["ready-time"], task["progress"] = status, e.ready, client.TaskProgress{Done: 1, Total: 1}
	task["data"] = map[string]int{"exit-code": e.exit}
	out["status"], out["ready"], out["ready-time"] = status, true, e.ready
	return out
}

// waitExec waits for an exec's change, in wall time: the command ran on
// the model at once, so only its websockets' traffic is waited for.
func (s *Server) waitExec(w http.ResponseWriter, e *execSession, timeout time.Duration) {
	if timeout <= 0 {
		timeout = time.Hour
	}
	select {
	case <-e.done:
	case <-time.After(timeout):
		errorResponse(w, http.StatusGatewayTimeout, "", "timeout waiting for change "+e.id)
		return
	}
	syncResponse(w, e.info())
}
