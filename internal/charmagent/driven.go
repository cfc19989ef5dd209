package charmagent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// On sim the model decides when each hook runs (issue 16): the agent is
// driven (Config.Driven). It still hears what the controller does (the
// introduction, config, relations, leadership, actions) and queues each
// event with its context (the relation, the remote unit), as everywhere;
// but it derives no event from Pebble or a timer and starts no hook by
// itself. The harness asks it for each hook the model's order reaches
// (POST /v1/run), and it runs that hook as it runs every hook (runOnce).

// RunRequest asks a driven agent to run an event's hook now.
type RunRequest struct {
	Name string `json:"name"`
	// Key is the notice key or check name, where the event has one.
	Key string `json:"key,omitempty"`
	// Workload is the container of a workload event; NoticeID the id of
	// a custom notice's notice.
	Workload string `json:"workload,omitempty"`
	NoticeID string `json:"notice-id,omitempty"`
}

// selfDerived says whether the agent derives the event itself when it is
// not driven, from a workload's Pebble or the update-status timer, or as
// the pod goes: driven, it makes the work from the request.
func selfDerived(name string) bool {
	for _, suffix := range []string{"-pebble-ready", "-pebble-custom-notice", "-pebble-check-failed", "-pebble-check-recovered"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return name == spec.EventUpdateStatus || name == spec.EventStop || name == spec.EventStart
}

// take removes from the queue the first work for the request's event,
// or makes it for an event the agent derives itself.
func (a *Agent) take(req RunRequest) (work, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, w := range a.waiting {
		if w.ev.Name == req.Name && (req.Key == "" || w.ev.Key == req.Key) {
			a.waiting = slices.Delete(a.waiting, i, i+1)
			return w, nil
		}
	}
	if !selfDerived(req.Name) {
		var queued []string
		for _, w := range a.waiting {
			queued = append(queued, w.ev.Name)
		}
		return work{}, fmt.Errorf("cannot run %s on %s: its agent has queued no such event (queued: %s)",
			req.Name, a.cfg.Unit, strings.Join(queued, ", "))
	}
	return work{ev: spec.Event{Unit: a.cfg.Unit, Name: req.Name, Key: req.Key}, workload: req.Workload, noticeID: req.NoticeID}, nil
}

// RunResult is how a hook a driven agent ran went, and an action's
// result when it was an action.
type RunResult struct {
	Event  spec.Event    `json:"event"`
	Action *ActionResult `json:"action,omitempty"`
}

// serveRun runs one hook the model's order reached, and answers how it
// went. A failed hook stays first in the queue: the model retries it
// with Juju's back-off, later events waiting.
func (a *Agent) serveRun(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" {
		http.Error(w, "cannot run a hook: bad request", http.StatusBadRequest)
		return
	}
	if a.unit == nil || a.unit.store() == nil {
		http.Error(w, fmt.Sprintf("cannot run %s: the unit is not introduced", req.Name), http.StatusConflict)
		return
	}
	wk, err := a.take(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	if wk.dropped {
		ev := wk.ev
		ev.At, ev.Dropped = time.Since(a.cfg.Epoch), true
		a.record(ev)
		json.NewEncoder(w).Encode(RunResult{Event: ev})
		return
	}
	wk.ev.At = time.Since(a.cfg.Epoch)
	a.begin(wk.ev)
	res := RunResult{Event: a.runOnce(ctx, &wk)}
	switch {
	case wk.action != nil:
		act := <-wk.done // runOnce has sent it (the channel holds one)
		res.Action = &act
	case res.Event.Exit != 0:
		a.mu.Lock()
		a.waiting = append([]work{wk}, a.waiting...)
		a.mu.Unlock()
	}
	json.NewEncoder(w).Encode(res)
}

// Run asks a driven agent to run an event's hook now, and returns how it
// went (its exit code and errors, what it published to its peers, an
// action's result).
func (c *Client) Run(ctx context.Context, req RunRequest) (RunResult, error) {
	var res RunResult
	err := c.doCtx(ctx, "POST", "/v1/run", req, &res)
	return res, err
}

// QueueAction queues an action on a driven agent, as `juju run` does,
// for its event's turn: its result comes with that Run's.
func (c *Client) QueueAction(name string, params map[string]any) error {
	return c.do("POST", "/v1/actions", ActionRequest{Name: name, Params: params}, nil)
}
