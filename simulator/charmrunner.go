package simulator

import (
	"fmt"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
)

// CharmRunner runs a charm of your own's code for the model (issue 16).
// The model decides which hook runs when, as Juju's uniter does, and what
// Pebble answers; the runner runs each hook as the unit's agent runs it,
// in wall time, while the model's clock holds (hold.go). Its methods are
// called in the model's turn, with the model's lock held.
type CharmRunner interface {
	// AgentUp starts the agent of the unit's charm container in the
	// unit's pod incarnation pod (whose charm-data is its own), as the
	// container starts.
	AgentUp(unit spec.UnitID, pod int) error
	// Introduce introduces the agent's pod as the controller does: a unit
	// it has not seen (isNew), or one back in a new pod.
	Introduce(unit spec.UnitID, isNew bool) error
	// AgentDown stops the unit's agent: its container or its pod died. A
	// hook it ran dies with it: that Run's done is never called.
	AgentDown(unit spec.UnitID)
	// Run runs ev's hook and calls done, in the model's turn, with how it
	// went: its exit code and errors, what it published to its peers.
	Run(unit spec.UnitID, ev spec.Event, done func(ran spec.Event))
}

// RunCharm has the model run a charm of your own's code through r,
// rather than replay a run's (the sim substrate). The clock must hold:
// UseLock first.
func (m *Model) RunCharm(r CharmRunner) { m.runner = r }

// live says whether the model runs a charm of your own's code.
func (m *Model) live() bool { return m.runner != nil && m.yourCharm() }

// Fail ends the scenario with err: the model cannot go on (a charm's
// agent that would not start, a hook overdue). Err reports it.
func (m *Model) Fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// Err is why the model cannot go on, or nil.
func (m *Model) Err() error { return m.err }

// agentUp starts the runner's agent for the charm container coming up;
// false if it could not.
func (a *charmAgent) agentUp() bool {
	u := a.pod.u
	if !u.m.live() {
		return true
	}
	if err := u.m.runner.AgentUp(u.id, a.pod.gen); err != nil {
		u.m.Fail(err)
		return false
	}
	return true
}

// agentDown stops the runner's agent with the charm container.
func (a *charmAgent) agentDown() {
	if u := a.pod.u; u.m.live() {
		u.m.runner.AgentDown(u.id)
	}
}

// runLive runs the event's hook through the runner: the charm's own code,
// while the clock holds. rec is the hook's record, made as it began; it
// says how the hook went once it ends.
func (a *charmAgent) runLive(ev spec.Event, rec int) {
	u := a.pod.u
	gen, pgen := a.gen, a.pod.gen
	u.m.runner.Run(u.id, ev, func(ran spec.Event) {
		if a.gen != gen || !a.pod.alive(pgen) || !a.up {
			return // its agent died, and the hook with it
		}
		ev.Exit, ev.Errors, ev.Published, ev.Dropped = ran.Exit, ran.Errors, ran.Published, ran.Dropped
		ev.Took = u.m.Clock.Now() - ev.At
		r := &u.m.trace[rec]
		r.Took = ev.Took
		switch {
		case ran.Dropped:
			r.State = spec.EventDropped
		case ran.Exit != 0:
			r.State = spec.HookFailed
		}
		// What the hook changed in its peer relations reaches the other
		// units through the controller (the runner has told their agents).
		for _, op := range ev.Published {
			u.m.relayed(op)
		}
		a.endHook(&ev, spec.Action{}, nil)
	})
}

// CharmCall records one of a charm of your own's Pebble calls, as a real
// run's recorder does: one that changed a workload as an action (the
// charm's doing, which a replay applies), any other as an observation.
func (m *Model) CharmCall(unit spec.UnitID, container, method, path string, status int, act *spec.Action) {
	if act != nil {
		m.record(spec.KindAction, spec.Record{Type: spec.RecPebble, Source: spec.SourceYourCharm, Unit: unit, Container: act.Container, Action: act})
		return
	}
	m.record(spec.KindObservation, spec.Record{Type: spec.RecCharmCall, Unit: unit, Container: container,
		Message: fmt.Sprintf("%s %s -> %d", method, path, status)})
}

// AwaitChange is a wait for a change made from a hook of a charm of your
// own (through the model's Pebble API): the hook's hold awaits, and time
// moves until the change is ready, its Pebble dies, or timeout passes, as
// Pebble's wait ends (api_changes.go). Without a hold (no hook runs) time
// cannot move, and the change is as it stands. A gone that closes gives
// the wait up (the charm hung up its request).
func (c *Client) AwaitChange(h *Hold, id string, timeout time.Duration, gone <-chan struct{}) (*client.Change, error) {
	p, chg, err := c.change(id)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return chg.info(), nil
	}
	clock := c.u.m.Clock
	if timeout <= 0 {
		timeout = time.Hour // Pebble's wait has no limit; ops always gives one
	}
	timedOut := false
	t := clock.AfterFunc(timeout, func() { timedOut = true })
	defer t.Stop()
	if !h.Await(func() bool { return chg.isDone || !p.alive || timedOut }, gone) {
		return nil, &client.Error{Message: "cannot wait for change: its hook ended (the scenario did, or its agent died)", StatusCode: 500}
	}
	switch {
	case chg.isDone:
		return chg.info(), nil
	case !p.alive:
		return nil, &client.Error{Message: "cannot wait for change: pebble exited", StatusCode: 500}
	}
	return nil, &client.Error{Message: fmt.Sprintf("timed out waiting for change after %s", timeout), StatusCode: 504}
}
