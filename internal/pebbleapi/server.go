// Package pebbleapi serves Pebble's HTTP API on a unix socket in front of
// a Go-level Pebble (spec.PebbleClient): the model's, for a charm's own
// code to reach through ops' Pebble client as it reaches a real Pebble
// (issue 16). Answers and errors are shaped as Pebble's daemon shapes them
// (internals/daemon/response.go and api_*.go in canonical/pebble v1.26.0),
// so ops and Pebble's Go client read them as they read Pebble's.
//
// The backend is not safe for concurrent use (the model runs on one
// virtual clock): every call goes through the server's lock, which is the
// model's own where others drive it too (UseLock).
package pebbleapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
)

// Backend is the Pebble a server stands in front of.
type Backend interface {
	spec.PebbleClient
	spec.FileLister
	// Change is a change as it is now, without waiting (GET
	// /v1/changes/{id}).
	Change(id string) (*client.Change, error)
	// Changes lists them (GET /v1/changes).
	Changes(opts *client.ChangesOptions) ([]*client.Change, error)
}

// ContextWaiter is a backend whose wait for a change is given up when
// the client hangs up its request (the model's, whose waits hold a
// charm's hook in virtual time).
type ContextWaiter interface {
	WaitChangeContext(ctx context.Context, id string, opts *client.WaitChangeOptions) (*client.Change, error)
}

// Server answers Pebble's API for one backend.
type Server struct {
	lock    sync.Locker
	backend Backend
	mux     *http.ServeMux

	// execMu guards the execs, by change and by task id.
	execMu   sync.Mutex
	execs    map[string]*execSession
	lastExec int

	onCall func(Call)
}

// New makes a server for backend.
func New(backend Backend) *Server {
	s := &Server{lock: &sync.Mutex{}, backend: backend, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/system-info", s.sysInfo)
	s.mux.HandleFunc("GET /v1/health", s.health)
	s.mux.HandleFunc("GET /v1/services", s.services)
	s.mux.HandleFunc("POST /v1/services", s.serviceAction)
	s.mux.HandleFunc("POST /v1/layers", s.layers)
	s.mux.HandleFunc("GET /v1/plan", s.plan)
	s.mux.HandleFunc("GET /v1/changes", s.changes)
	s.mux.HandleFunc("GET /v1/changes/{id}", s.change)
	s.mux.HandleFunc("GET /v1/identities", func(w http.ResponseWriter, r *http.Request) { syncResponse(w, map[string]any{}) })
	s.mux.HandleFunc("GET /v1/changes/{id}/wait", s.waitChange)
	s.mux.HandleFunc("GET /v1/checks", s.checks)
	s.mux.HandleFunc("GET /v1/notices", s.notices)
	s.mux.HandleFunc("POST /v1/notices", s.addNotice)
	s.mux.HandleFunc("GET /v1/notices/{id}", s.notice)
	s.mux.HandleFunc("POST /v1/signals", s.signals)
	s.mux.HandleFunc("GET /v1/files", s.getFiles)
	s.mux.HandleFunc("POST /v1/files", s.postFiles)
	s.mux.HandleFunc("POST /v1/exec", s.exec)
	s.mux.HandleFunc("GET /v1/tasks/{task}/websocket/{name}", s.taskWebsocket)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errorResponse(w, http.StatusNotFound, "", "invalid API endpoint requested")
	})
	return s
}

// Serve answers on l until it is closed.
func (s *Server) Serve(l net.Listener) error {
	err := (&http.Server{Handler: s}).Serve(l)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// UseLock has every call to the backend hold l instead of the server's
// own lock: the lock of a model that others drive too. Set it before
// serving.
func (s *Server) UseLock(l sync.Locker) { s.lock = l }

// do runs fn on the backend under the server's lock.
func (s *Server) do(fn func(b Backend)) {
	s.lock.Lock()
	defer s.lock.Unlock()
	fn(s.backend)
}

// The response envelope, as Pebble's daemon writes it.
type response struct {
	Type       string `json:"type"`
	StatusCode int    `json:"status-code"`
	Status     string `json:"status"`
	Result     any    `json:"result"`
	Change     string `json:"change,omitempty"`
}

type errorResult struct {
	Message string `json:"message"`
	Kind    string `json:"kind,omitempty"`
	Value   any    `json:"value,omitempty"`
}

func writeJSON(w http.ResponseWriter, r response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.StatusCode)
	json.NewEncoder(w).Encode(r)
}

func syncResponse(w http.ResponseWriter, result any) {
	writeJSON(w, response{Type: "sync", StatusCode: http.StatusOK, Status: http.StatusText(http.StatusOK), Result: result})
}

func asyncResponse(w http.ResponseWriter, change string) {
	writeJSON(w, response{Type: "async", StatusCode: http.StatusAccepted, Status: http.StatusText(http.StatusAccepted), Change: change})
}

func errorResponse(w http.ResponseWriter, status int, kind, message string) {
	writeJSON(w, response{Type: "error", StatusCode: status, Status: http.StatusText(status), Result: errorResult{Message: message, Kind: kind}})
}

// backendError answers an error the backend gave, with its status and
// kind where it gave them as Pebble's client does (a *client.Error).
func backendError(w http.ResponseWriter, err error) {
	e, status := errorOf(err)
	errorResponse(w, status, e.Kind, e.Message)
}

// errorOf is a backend's error as Pebble's answer holds it, and its
// status: a *client.Error's own, 400 otherwise.
func errorOf(err error) (*errorResult, int) {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return &errorResult{Message: err.Error()}, http.StatusBadRequest
	}
	status := ce.StatusCode
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &errorResult{Message: ce.Message, Kind: ce.Kind, Value: ce.Value}, status
}

// decodeBody reads a JSON request body into v; where it cannot, it
// answers 400 as Pebble does, and says so.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		errorResponse(w, http.StatusBadRequest, "", "cannot decode request body: "+err.Error())
		return false
	}
	return true
}

// levelOf reads a health or checks query's level; where it is neither
// alive nor ready, it answers 400 as Pebble does, and says so.
func levelOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	level := r.URL.Query().Get("level")
	switch level {
	case "", "alive", "ready":
		return level, true
	}
	errorResponse(w, http.StatusBadRequest, "", `level must be "alive" or "ready"`)
	return "", false
}

// names splits a comma-separated query value, as Pebble's strutil does.
func names(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

func (s *Server) sysInfo(w http.ResponseWriter, r *http.Request) {
	var info *client.SysInfo
	var err error
	s.do(func(b Backend) { info, err = b.SysInfo() })
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, map[string]string{"version": info.Version, "boot-id": info.BootID})
}

// health answers 200 when healthy, 502 when not, with the same result
// shape, as Pebble's v1Health does.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	level, ok := levelOf(w, r)
	if !ok {
		return
	}
	var healthy bool
	var err error
	s.do(func(b Backend) {
		healthy, err = b.Health(&client.HealthOptions{Level: client.CheckLevel(level), Names: names(r, "names")})
	})
	if err != nil {
		backendError(w, err)
		return
	}
	status := http.StatusOK
	if !healthy {
		status = http.StatusBadGateway
	}
	writeJSON(w, response{Type: "sync", StatusCode: status, Status: http.StatusText(status), Result: map[string]bool{"healthy": healthy}})
}

func (s *Server) services(w http.ResponseWriter, r *http.Request) {
	var infos []*client.ServiceInfo
	var err error
	s.do(func(b Backend) { infos, err = b.Services(&client.ServicesOptions{Names: names(r, "names")}) })
	if err != nil {
		backendError(w, err)
		return
	}
	if infos == nil {
		infos = []*client.ServiceInfo{}
	}
	syncResponse(w, infos)
}

func (s *Server) serviceAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action   string   `json:"action"`
		Services []string `json:"services"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	opts := &client.ServiceOptions{Names: req.Services}
	var id string
	var err error
	s.do(func(b Backend) {
		switch req.Action {
		case "start":
			id, err = b.Start(opts)
		case "stop":
			id, err = b.Stop(opts)
		case "restart":
			id, err = b.Restart(opts)
		case "replan", "autostart":
			id, err = b.Replan(opts)
		default:
			err = &client.Error{Message: "action " + strconv.Quote(req.Action) + " is unsupported", StatusCode: http.StatusBadRequest}
		}
	})
	if err != nil {
		backendError(w, err)
		return
	}
	asyncResponse(w, id)
}

func (s *Server) layers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action  string `json:"action"`
		Combine bool   `json:"combine"`
		Inner   bool   `json:"inner"`
		Label   string `json:"label"`
		Format  string `json:"format"`
		Layer   string `json:"layer"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Action != "add" {
		errorResponse(w, http.StatusBadRequest, "", "invalid action "+strconv.Quote(req.Action))
		return
	}
	if req.Format != "yaml" {
		errorResponse(w, http.StatusBadRequest, "", "invalid format "+strconv.Quote(req.Format))
		return
	}
	var err error
	s.do(func(b Backend) {
		err = b.AddLayer(&client.AddLayerOptions{Combine: req.Combine, Inner: req.Inner, Label: req.Label, LayerData: []byte(req.Layer)})
	})
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, true)
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request) {
	if f := r.URL.Query().Get("format"); f != "yaml" {
		errorResponse(w, http.StatusBadRequest, "", "invalid format "+strconv.Quote(f))
		return
	}
	var data []byte
	var err error
	s.do(func(b Backend) { data, err = b.PlanBytes(&client.PlanOptions{}) })
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, string(data))
}

// changes lists the model's changes (not the execs'), by Pebble's select:
// in-progress unless told, all, or ready; for a service with "for".
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	opts := &client.ChangesOptions{Selector: client.ChangesInProgress, ServiceName: r.URL.Query().Get("for")}
	switch sel := r.URL.Query().Get("select"); sel {
	case "", "in-progress":
	case "all":
		opts.Selector = client.ChangesAll
	case "ready":
		opts.Selector = client.ChangesReady
	default:
		errorResponse(w, http.StatusBadRequest, "", "select should be one of: all,in-progress,ready")
		return
	}
	var chgs []*client.Change
	var err error
	s.do(func(b Backend) { chgs, err = b.Changes(opts) })
	if err != nil {
		backendError(w, err)
		return
	}
	out := []map[string]any{}
	for _, c := range chgs {
		out = append(out, changeJSON(c))
	}
	syncResponse(w, out)
}

func (s *Server) change(w http.ResponseWriter, r *http.Request) {
	if e := s.session(r.PathValue("id")); e != nil && e.id == r.PathValue("id") {
		syncResponse(w, e.info())
		return
	}
	var chg *client.Change
	var err error
	s.do(func(b Backend) { chg, err = b.Change(r.PathValue("id")) })
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, changeJSON(chg))
}

// waitChange waits as Pebble's does: timeout is a Go duration, and the
// model's wait moves its virtual clock on until the change is ready.
func (s *Server) waitChange(w http.ResponseWriter, r *http.Request) {
	var timeout time.Duration
	if t := r.URL.Query().Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil {
			errorResponse(w, http.StatusBadRequest, "", "invalid timeout: "+err.Error())
			return
		}
		timeout = d
	}
	if e := s.session(r.PathValue("id")); e != nil && e.id == r.PathValue("id") {
		s.waitExec(w, e, timeout)
		return
	}
	var chg *client.Change
	var err error
	s.do(func(b Backend) {
		opts := &client.WaitChangeOptions{Timeout: timeout}
		if cw, ok := b.(ContextWaiter); ok {
			chg, err = cw.WaitChangeContext(r.Context(), r.PathValue("id"), opts)
			return
		}
		chg, err = b.WaitChange(r.PathValue("id"), opts)
	})
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, changeJSON(chg))
}

// changeJSON is a change as Pebble's daemon lists it: spawn-time always,
// ready-time once ready, and data beside (changeAndData).
func changeJSON(c *client.Change) map[string]any {
	tasks := []map[string]any{}
	for _, t := range c.Tasks {
		task := map[string]any{"id": t.ID, "kind": t.Kind, "summary": t.Summary, "status": t.Status,
			"progress": t.Progress, "spawn-time": t.SpawnTime}
		if len(t.Log) > 0 {
			task["log"] = t.Log
		}
		if !t.ReadyTime.IsZero() {
			task["ready-time"] = t.ReadyTime
		}
		if len(t.Data) > 0 {
			task["data"] = t.Data
		}
		tasks = append(tasks, task)
	}
	out := map[string]any{"id": c.ID, "kind": c.Kind, "summary": c.Summary, "status": c.Status,
		"tasks": tasks, "ready": c.Ready, "spawn-time": c.SpawnTime}
	if c.Err != "" {
		out["err"] = c.Err
	}
	if !c.ReadyTime.IsZero() {
		out["ready-time"] = c.ReadyTime
	}
	return out
}

func (s *Server) checks(w http.ResponseWriter, r *http.Request) {
	level, ok := levelOf(w, r)
	if !ok {
		return
	}
	var infos []*client.CheckInfo
	var err error
	s.do(func(b Backend) {
		infos, err = b.Checks(&client.ChecksOptions{Level: client.CheckLevel(level), Names: names(r, "names")})
	})
	if err != nil {
		backendError(w, err)
		return
	}
	out := []checkInfo{}
	for _, c := range infos {
		out = append(out, checkInfo{Name: c.Name, Level: string(c.Level), Startup: string(c.Startup), Status: string(c.Status),
			Successes: c.Successes, Failures: c.Failures, Threshold: c.Threshold, ChangeID: c.ChangeID})
	}
	syncResponse(w, out)
}

// checkInfo is a check as Pebble's daemon lists it (api_checks.go):
// counts of 0, no level and no change are left out.
type checkInfo struct {
	Name      string `json:"name"`
	Level     string `json:"level,omitempty"`
	Startup   string `json:"startup"`
	Status    string `json:"status"`
	Successes *int   `json:"successes,omitempty"`
	Failures  int    `json:"failures,omitempty"`
	Threshold int    `json:"threshold"`
	ChangeID  string `json:"change-id,omitempty"`
}

func (s *Server) signals(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Signal   string   `json:"signal"`
		Services []string `json:"services"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	var err error
	s.do(func(b Backend) {
		err = b.SendSignal(&client.SendSignalOptions{Signal: req.Signal, Services: req.Services})
	})
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, true)
}
