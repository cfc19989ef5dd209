package charmagent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/internal/hooktools"
	"github.com/tandem-harness/tandem/spec"
)

// UnitView is a real charm's unit as the controller shows it.
type UnitView = spec.UnitView

// ActionRequest runs an action on the unit, as `juju run` does.
type ActionRequest struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params,omitempty"`
}

// ConfigRequest sets config options, as `juju config` does.
type ConfigRequest struct {
	Values map[string]any `json:"values"`
}

// charmHandlers serves the controller's side of a real charm: its unit's
// state, config changes, actions and the pod's termination.
func (a *Agent) charmHandlers(ctx context.Context, mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/unit", a.serveUnit)
	mux.HandleFunc("POST /v1/config", a.serveConfig)
	mux.HandleFunc("POST /v1/terminate", func(w http.ResponseWriter, r *http.Request) { a.serveTerminate(ctx, w, r) })
	mux.HandleFunc("POST /v1/actions", func(w http.ResponseWriter, r *http.Request) { a.serveAction(ctx, w, r) })
	mux.HandleFunc("POST /v1/relation", a.serveRelation)
	mux.HandleFunc("POST /v1/leader", a.serveLeader)
	mux.HandleFunc("POST /v1/die", func(w http.ResponseWriter, r *http.Request) { a.serveDie(ctx, w, r) })
	if a.cfg.Driven {
		mux.HandleFunc("POST /v1/run", func(w http.ResponseWriter, r *http.Request) { a.serveRun(ctx, w, r) })
	}
}

// goes marks the unit going (its pod deleted, or scaled away): no more
// update-status, and no more of its relations.
func (a *Agent) goes() {
	a.mu.Lock()
	a.dying = true
	a.mu.Unlock()
}

// LeaderRequest gives or takes the unit's leadership.
type LeaderRequest struct {
	Leader bool `json:"leader"`
}

// serveLeader is the controller's lease: a unit that becomes leader gets
// leader-elected; one that loses it gets no hook (Juju has no
// leader-deposed: operation/leader.go).
func (a *Agent) serveLeader(w http.ResponseWriter, r *http.Request) {
	var req LeaderRequest
	st := a.unit.store()
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || st == nil {
		http.Error(w, "cannot change leadership: bad request or unit not introduced", http.StatusBadRequest)
		return
	}
	was := st.Snapshot().Leader
	st.Update(func(u *hooktools.Unit) { u.Leader = req.Leader })
	a.unit.save()
	if req.Leader && !was {
		a.enqueue(spec.EventLeaderElected, "")
	}
	fmt.Fprintln(w, `{}`)
}

// serveDie is the unit going (the application scaled down): every
// relation's departed hooks for its remote units, then its broken, then
// stop (if start ran) and remove, as Juju's uniter runs a dying unit's
// (resolver.go); the answer comes once remove has run.
func (a *Agent) serveDie(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	st := a.unit.store()
	if st == nil {
		http.Error(w, "cannot remove the unit: it is not introduced", http.StatusBadRequest)
		return
	}
	a.goes()
	for _, rel := range st.Snapshot().Relations {
		op := spec.RelationOp{Op: spec.RemoveOp, ID: rel.ID, Endpoint: rel.Endpoint}
		for _, ev := range op.RelationEvents(rel.Units) {
			a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: ev.Name}, relation: rel.ID, inRelation: true, remote: ev.Remote,
				departing: string(a.cfg.Unit)})
		}
	}
	if a.unit.hasStarted() {
		a.enqueue(spec.EventStop, "")
	}
	finished := make(chan struct{})
	a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: spec.EventRemove}, finished: finished})
	if a.cfg.Driven {
		fmt.Fprintln(w, `{}`) // queued: they run when the model says (driven.go)
		return
	}
	select {
	case <-finished:
		fmt.Fprintln(w, `{}`)
	case <-r.Context().Done():
	case <-ctx.Done():
	}
}

// serveRelation is what a related application did: the controller's
// record changes now, and the unit's relation hooks are queued.
func (a *Agent) serveRelation(w http.ResponseWriter, r *http.Request) {
	var op spec.RelationOp
	st := a.unit.store()
	if err := json.NewDecoder(r.Body).Decode(&op); err != nil || st == nil {
		http.Error(w, "cannot change the relation: bad request or unit not introduced", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	dying := a.dying
	a.mu.Unlock()
	if dying {
		// A going unit hears no more of its relations (it departs them
		// all itself).
		fmt.Fprintln(w, `{}`)
		return
	}
	var left []string
	member := true
	st.Update(func(u *hooktools.Unit) {
		member = knows(u, op)
		if op.Op == spec.JoinOp {
			op.Units = notYetIn(u, op) // a join told twice joins once
		}
		left = applyRelationOp(u, op)
	})
	a.unit.save()
	// A peer's change before this unit has it in the relation (before
	// its joined hook was queued) needs no hook: joined and changed will
	// see the data.
	if !op.For(a.cfg.Unit) || !member {
		fmt.Fprintln(w, `{}`)
		return
	}
	neverJoined := false
	if op.Op == spec.DepartOp {
		neverJoined = a.dropHooksAbout(op.ID, op.Unit)
	}
	for _, ev := range op.RelationEvents(left) {
		// A unit whose joined hook never ran departs unseen too.
		a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: ev.Name}, relation: op.ID, inRelation: true, remote: ev.Remote, dropped: neverJoined})
	}
	fmt.Fprintln(w, `{}`)
}

// notYetIn are the units of a join the relation does not have yet.
func notYetIn(u *hooktools.Unit, op spec.RelationOp) []string {
	for _, r := range u.Relations {
		if r.ID == op.ID {
			_, joined := op.Members(r.Units)
			return joined
		}
	}
	return op.Units
}

// dropHooksAbout marks the queued joined and changed hooks about a
// remote unit that departed, and says whether its joined hook was among
// them: Juju runs no hook about a unit that left but its departed (the
// charm would find none of its data). Each is logged as dropped when its
// turn comes (next), so the run's event sequence keeps the queue's order.
func (a *Agent) dropHooksAbout(relation int, unit string) (joinedDropped bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, w := range a.waiting {
		if w.inRelation && w.relation == relation && w.remote == unit &&
			(strings.HasSuffix(w.ev.Name, "-relation-joined") || strings.HasSuffix(w.ev.Name, "-relation-changed")) {
			a.waiting[i].dropped = true
			joinedDropped = joinedDropped || strings.HasSuffix(w.ev.Name, "-relation-joined")
		}
	}
	return joinedDropped
}

// knows is spec.RelationOp.KnownTo for the unit's record of the relation.
func knows(u *hooktools.Unit, op spec.RelationOp) bool {
	for _, r := range u.Relations {
		if r.ID == op.ID {
			return op.KnownTo(r.Units)
		}
	}
	return op.KnownTo(nil)
}

// applyRelationOp changes the controller's record of the unit's
// relations, and returns the remote units the relation still had (for a
// removal's departed hooks). A removed relation stays until its broken
// hook has run.
func applyRelationOp(u *hooktools.Unit, op spec.RelationOp) []string {
	for i := range u.Relations {
		rel := &u.Relations[i]
		if rel.ID != op.ID {
			continue
		}
		if rel.Data == nil {
			rel.Data = map[string]map[string]string{}
		}
		op.ApplyData(rel.Data, rel.RemoteApp)
		rel.Units, _ = op.Members(rel.Units)
		if op.Op == spec.RemoveOp {
			return append([]string(nil), rel.Units...)
		}
		return nil
	}
	if op.Op == spec.RelateOp {
		u.Relations = append(u.Relations, hooktools.Relation{ID: op.ID, Endpoint: op.Endpoint, RemoteApp: op.RemoteApp,
			Units: append([]string(nil), op.Units...), Data: map[string]map[string]string{}})
	}
	return nil
}

// dropBroken forgets a relation once its broken hook has run.
func (a *Agent) dropBroken(w *work) {
	if !w.inRelation || !strings.HasSuffix(w.ev.Name, "-relation-broken") {
		return
	}
	a.unit.store().Update(func(u *hooktools.Unit) {
		u.Relations = slices.DeleteFunc(u.Relations, func(r hooktools.Relation) bool { return r.ID == w.relation })
	})
	a.unit.save()
}

func (a *Agent) serveUnit(w http.ResponseWriter, r *http.Request) {
	st := a.unit.store()
	if st == nil {
		http.Error(w, "the unit is not introduced yet", http.StatusConflict)
		return
	}
	a.mu.Lock()
	failed := a.failed
	a.mu.Unlock()
	view := UnitView{UnitState: st.Snapshot()}
	if failed != "" {
		view.Error = fmt.Sprintf("hook failed: %q", failed)
	}
	json.NewEncoder(w).Encode(view)
}

// serveConfig is `juju config`: the values change now (a hook running
// keeps them: it commits only what it owns), and config-changed follows.
func (a *Agent) serveConfig(w http.ResponseWriter, r *http.Request) {
	var req ConfigRequest
	st := a.unit.store()
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || st == nil {
		http.Error(w, "cannot set config: bad request or unit not introduced", http.StatusBadRequest)
		return
	}
	st.Update(func(u *hooktools.Unit) {
		if u.Config == nil {
			u.Config = map[string]any{}
		}
		for k, v := range req.Values {
			u.Config[k] = v
		}
	})
	a.unit.save()
	a.enqueue(spec.EventConfigChanged, "")
	fmt.Fprintln(w, `{}`)
}

// serveTerminate is the pod's SIGTERM: the uniter runs stop before the
// pod goes, if start ran (caasunitterminationworker), and the controller
// waits for it within the pod's grace period.
func (a *Agent) serveTerminate(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	a.goes()
	if !a.unit.hasStarted() {
		fmt.Fprintln(w, `{}`)
		return
	}
	finished := make(chan struct{})
	a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: spec.EventStop}, finished: finished})
	select {
	case <-finished:
		fmt.Fprintln(w, `{}`)
	case <-r.Context().Done():
	case <-ctx.Done():
	}
}

// serveAction is `juju run`: the action waits its turn behind the hooks
// queued before it, and the answer is how it went.
func (a *Agent) serveAction(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req ActionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || a.unit.store() == nil {
		http.Error(w, "cannot run the action: bad request or unit not introduced", http.StatusBadRequest)
		return
	}
	meta, ok := a.cfg.Charm.Meta.Actions[req.Name]
	if !ok {
		http.Error(w, fmt.Sprintf("the charm has no action %q", req.Name), http.StatusNotFound)
		return
	}
	// Juju fills in the defaults actions.yaml gives.
	params := map[string]any{}
	for k, schema := range meta.Params {
		if m, ok := schema.(map[string]any); ok && m["default"] != nil {
			params[k] = m["default"]
		}
	}
	for k, v := range req.Params {
		params[k] = v
	}
	id := make([]byte, 4)
	rand.Read(id)
	done := make(chan ActionResult, 1)
	a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: spec.ActionEvent(req.Name)},
		action: &hooktools.Action{Name: req.Name, ID: hex.EncodeToString(id), Params: params}, done: done})
	if a.cfg.Driven {
		fmt.Fprintln(w, `{}`) // queued: the result comes with its Run's (driven.go)
		return
	}
	select {
	case res := <-done:
		json.NewEncoder(w).Encode(res)
	case <-r.Context().Done():
	case <-ctx.Done():
	}
}

// runCharm runs one operation of a real charm. A hook that fails puts the
// unit in error and is retried, alone, with Juju's back-off until it
// succeeds (resolver.go, retrystrategy.go); an action that fails just
// fails (its event is no hook failure).
func (a *Agent) runCharm(ctx context.Context, w *work) {
	delay := a.cfg.Charm.RetryDelay
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			w.ev.At = time.Since(a.cfg.Epoch)
			a.begin(w.ev)
		}
		ev := a.runOnce(ctx, w)
		if w.action != nil || ev.Exit == 0 || delay <= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, a.cfg.Charm.RetryLimit)
	}
}

// runOnce runs an operation's hook once, marked running, and records and
// applies how it went: what an action's caller, and a hook's retry, go
// on from.
func (a *Agent) runOnce(ctx context.Context, w *work) spec.Event {
	ev := w.ev
	r, err := a.unit.run(ctx, w)
	ev.Took = time.Since(a.cfg.Epoch) - ev.At
	if err == nil && r.code == 0 && r.hook != nil {
		ev.Published = r.hook.Published()
	}
	if w.action != nil {
		a.record(ev)
		a.unit.apply(w, r)
		w.done <- actionResult(w.action, r, err)
		return ev
	}
	switch {
	case err != nil:
		ev.Errors, ev.Exit = []string{err.Error()}, -1
	case r.code != 0:
		ev.Errors, ev.Exit = []string{fmt.Sprintf("exit status %d\n%s", r.code, r.failure())}, r.code
	}
	a.record(ev)
	a.unit.apply(w, r)
	if w.finished != nil {
		close(w.finished)
		w.finished = nil
	}
	a.mu.Lock()
	a.failed = ""
	if ev.Exit != 0 {
		a.failed = ev.Name
	}
	a.mu.Unlock()
	if ev.Exit == 0 {
		a.dropBroken(w)
	}
	return ev
}

func actionResult(act *hooktools.Action, r ran, err error) ActionResult {
	res := ActionResult{ActionRun: *act, Status: "completed", Stderr: lastLines(r.stderr, 30)}
	if r.code != 0 || err != nil {
		res.Failed, res.Message = true, fmt.Sprintf("exit status %d", r.code)
	}
	if res.Failed {
		res.Status = "failed"
	}
	return res
}
