package charmagent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// A real charm reaches each workload's Pebble through a socket the agent
// serves in its place (/charm/containers/<name>/pebble.socket): the agent
// forwards every request to the real socket and records each, with what
// it asked of the workload where it changes it, as the action the model
// replays. The charm's reads (changes it waits on, files it pulls) are
// recorded too, with no action.

// CharmCall is one of the charm's own Pebble calls: when it came, its
// method and path, Pebble's answer, and, for one that changes a workload,
// what it asked, as a spec.Action.
type CharmCall struct {
	At        time.Duration `json:"at"`
	Container string        `json:"container"`
	Method    string        `json:"method"`
	// Path holds the query too ("/v1/services?names=redis").
	Path   string       `json:"path"`
	Action *spec.Action `json:"action,omitempty"`
	// Status is Pebble's HTTP answer.
	Status int `json:"status"`
}

// serveProxies listens on each workload's charm-facing socket.
func (a *Agent) serveProxies(ctx context.Context) error {
	for _, name := range a.cfg.Spec.ContainerNames() {
		path := filepath.Join(a.cfg.ProxyDir, name, "pebble.socket")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("cannot make %s's socket directory: %w", name, err)
		}
		os.Remove(path)
		l, err := net.Listen("unix", path)
		if err != nil {
			return fmt.Errorf("cannot serve %s's Pebble to the charm: %w", name, err)
		}
		srv := &http.Server{Handler: a.recording(name)}
		go srv.Serve(l)
		go func() { <-ctx.Done(); srv.Close() }()
	}
	return nil
}

// recording forwards a container's Pebble API to its real socket, and
// records each call.
func (a *Agent) recording(name string) http.Handler {
	socket := filepath.Join(a.cfg.SocketDir, name, "pebble.socket")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL = &url.URL{Scheme: "http", Host: "localhost", Path: r.In.URL.Path, RawQuery: r.In.URL.RawQuery}
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}},
		FlushInterval: -1,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Since(a.cfg.Epoch)
		var act *spec.Action
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			act = CallAction(name, r.URL.Path, r.Header.Get("Content-Type"), body)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		a.recordCall(CharmCall{At: at, Container: name, Method: r.Method, Path: r.URL.RequestURI(), Action: act, Status: rec.status})
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush and Hijack pass through: ops waits on changes with long polls,
// and an exec's websockets are hijacked connections.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// CallAction reads a POST to Pebble's API as the action it is, or nil for
// one the model has no action for.
func CallAction(container, path, contentType string, body []byte) *spec.Action {
	act := spec.Action{Container: container}
	switch path {
	case "/v1/layers":
		var p struct {
			Action, Label, Layer string
			Combine              bool
		}
		if json.Unmarshal(body, &p) != nil || p.Action != "add" {
			return nil
		}
		act.Kind, act.Label, act.Layer, act.Combine = spec.ActAddLayer, p.Label, p.Layer, p.Combine
	case "/v1/services":
		var p struct {
			Action   string
			Services []string
		}
		if json.Unmarshal(body, &p) != nil {
			return nil
		}
		kind, ok := map[string]spec.ActionKind{"replan": spec.ActReplan, "start": spec.ActStart, "stop": spec.ActStop, "restart": spec.ActRestart}[p.Action]
		if !ok {
			return nil
		}
		act.Kind, act.Services = kind, p.Services
	case "/v1/signals":
		var p struct {
			Signal   string
			Services []string
		}
		if json.Unmarshal(body, &p) != nil {
			return nil
		}
		act.Kind, act.Signal, act.Services = spec.ActSignal, p.Signal, p.Services
	case "/v1/notices":
		var p struct{ Action, Type, Key string }
		if json.Unmarshal(body, &p) != nil || p.Action != "add" || p.Type != "custom" {
			return nil
		}
		act.Kind, act.Key = spec.ActNotify, p.Key
	case "/v1/exec":
		var p struct{ Command []string }
		if json.Unmarshal(body, &p) != nil {
			return nil
		}
		act.Kind, act.Command = spec.ActExec, p.Command
	case "/v1/files":
		return fileAction(act, contentType, body)
	default:
		return nil
	}
	return &act
}

// fileAction reads a files request: a push (multipart: the request, then
// the file), make-dirs or remove (JSON). One action per call: ops pushes,
// makes or removes one path at a time.
func fileAction(act spec.Action, contentType string, body []byte) *spec.Action {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	if mediaType == "multipart/form-data" {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var req struct {
			Action string
			Files  []struct {
				Path, Permissions, User, Group string
				MakeDirs                       bool `json:"make-dirs"`
			}
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(part)
			switch part.FormName() {
			case "request":
				if json.Unmarshal(data, &req) != nil || req.Action != "write" || len(req.Files) != 1 {
					return nil
				}
				f := req.Files[0]
				act.Kind, act.Path, act.Permissions, act.User, act.Group, act.MakeDirs = spec.ActPush, f.Path, f.Permissions, f.User, f.Group, f.MakeDirs
			case "files":
				act.Content = string(data)
			}
		}
		if act.Kind != spec.ActPush {
			return nil
		}
		return &act
	}
	var req struct {
		Action string
		Dirs   []struct {
			Path, Permissions, User, Group string
			MakeParents                    bool `json:"make-parents"`
		}
		Paths []struct {
			Path      string
			Recursive bool
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	switch {
	case req.Action == "make-dirs" && len(req.Dirs) == 1:
		d := req.Dirs[0]
		act.Kind, act.Path, act.Permissions, act.User, act.Group, act.MakeDirs = spec.ActMakeDir, d.Path, d.Permissions, d.User, d.Group, d.MakeParents
	case req.Action == "remove" && len(req.Paths) == 1:
		act.Kind, act.Path, act.Recursive = spec.ActRemove, req.Paths[0].Path, req.Paths[0].Recursive
	default:
		return nil
	}
	return &act
}

func (a *Agent) callsPath() string { return filepath.Join(a.cfg.StateDir, "calls.jsonl") }

// recordCall keeps a call in memory and on the charm-data volume, so a
// restarted charm container's agent still lists it.
func (a *Agent) recordCall(c CharmCall) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, c)
	appendJSONLine(a.callLog, c)
}
