package simulator

import (
	"fmt"

	"github.com/tandem-harness/tandem/spec"
)

// The charm agent runs one hook at a time (Juju's uniter), and an ops
// charm waits for each change it starts (ops' start, stop, restart and
// replan wait up to 30 s and raise when the change fails). The model
// cannot block in virtual time, so a hook that waits is suspended and
// goes on when its change is ready; the events that come meanwhile wait
// in the agent's queue.

// hookQueue is the agent's pending events, and whether a hook runs now.
type hookQueue struct {
	pending []spec.Event
	busy    bool
	// retries counts a failing hook's retries, for Juju's back-off.
	retries int
	// drained are called when the queue is next empty (afterQueue).
	drained []func()
}

// fire queues an event for the charm; it runs now if no hook is running.
func (a *charmAgent) fire(name, key string) {
	a.hooks.pending = append(a.hooks.pending, spec.Event{Unit: a.pod.u.id, Name: name, Key: key})
	if !a.hooks.busy {
		a.nextHook()
	}
}

// nextHook runs the first queued event's handlers.
func (a *charmAgent) nextHook() {
	if len(a.hooks.pending) == 0 {
		a.hooks.busy = false
		drained := a.hooks.drained
		a.hooks.drained = nil
		for _, fn := range drained {
			fn()
		}
		return
	}
	ev := a.hooks.pending[0]
	a.hooks.pending = a.hooks.pending[1:]
	a.hooks.busy = true
	u := a.pod.u
	ev.At = u.m.Clock.Now()
	rec := spec.Record{Type: spec.RecEvent, Message: ev.Name, Key: ev.Key}
	if u.m.live() {
		u.observe(rec)
		a.runLive(ev, len(u.m.trace)-1)
		return
	}
	if u.m.yourCharm() {
		ran := u.runHook(ev.Name)
		if !ran.OK {
			rec.State = spec.HookFailed
			ev.Exit = 1
		}
		rec.Took, ev.Took = ran.Took, ran.Took
	}
	u.observe(rec)
	var acts []spec.Action
	for _, h := range u.m.spec.HandlersFor(ev.Name) {
		acts = append(acts, h.Actions...)
	}
	a.runActions(&ev, acts)
}

// runActions performs a hook's actions in order, suspending at a change
// that is not ready; the first error ends the hook, as ops raises it.
func (a *charmAgent) runActions(ev *spec.Event, acts []spec.Action) {
	u := a.pod.u
	for i, act := range acts {
		id, err := u.do(spec.SourceCharm, act)
		if err == nil && id != "" {
			chg := a.change(act.Container, id)
			if chg == nil {
				err = fmt.Errorf("cannot find change %s", id)
			} else if !chg.isDone {
				rest := acts[i+1:]
				a.waitChange(chg, func(err error) {
					if err != nil {
						a.endHook(ev, act, err)
						return
					}
					a.runActions(ev, rest)
				})
				return
			} else {
				err = spec.ChangeFailed(chg.info())
			}
		}
		if err != nil {
			a.endHook(ev, act, err)
			return
		}
	}
	a.endAfter(ev)
}

// endAfter ends a hook once it has run as long as the run's (ev.Took: a
// charm of your own's Python, which the model does not run), or at once.
// An agent that dies meanwhile takes the hook with it.
func (a *charmAgent) endAfter(ev *spec.Event) {
	if ev.Took <= 0 {
		a.endHook(ev, spec.Action{}, nil)
		return
	}
	gen, pgen := a.gen, a.pod.gen
	a.pod.u.after(ev.Took, func() {
		if a.gen != gen || !a.pod.alive(pgen) || !a.up {
			return
		}
		a.endHook(ev, spec.Action{}, nil)
	})
}

// endHook records how the hook went and runs the next one.
func (a *charmAgent) endHook(ev *spec.Event, act spec.Action, err error) {
	if err != nil {
		ev.Errors = append(ev.Errors, fmt.Sprintf("%s: %v", act, err))
	}
	a.pod.u.events = append(a.pod.u.events, *ev)
	if ev.Name == spec.EventStart && ev.Exit == 0 {
		a.pod.started = true
	}
	if ev.Exit != 0 {
		a.retry(*ev)
		return
	}
	a.hooks.retries = 0
	a.nextHook()
}

// retry runs a failed hook again after Juju's back-off; the unit is in
// error meanwhile, and later events wait.
func (a *charmAgent) retry(ev spec.Event) {
	delay := hookRetryLimit
	if a.hooks.retries < 7 { // 5 s << 6 is past the limit
		delay = min(hookRetryDelay<<a.hooks.retries, hookRetryLimit)
	}
	a.hooks.retries++
	gen, pgen := a.gen, a.pod.gen
	a.pod.u.after(delay, func() {
		if a.gen != gen || !a.pod.alive(pgen) || !a.up {
			return
		}
		ev.Exit, ev.Errors = 0, nil
		a.hooks.pending = append([]spec.Event{ev}, a.hooks.pending...)
		a.nextHook()
	})
}

func (a *charmAgent) change(container, id string) *change {
	p, err := a.pod.u.Client(container).pebble()
	if err != nil {
		return nil
	}
	return p.changes[id]
}

// waitChange calls then once the change is ready (with the change's own
// error, if it failed), when ops' wait would end without it (after
// spec.ChangeWait, or as the container's Pebble dies), or never, if the
// agent dies first: its hook dies with it.
func (a *charmAgent) waitChange(chg *change, then func(error)) {
	gen, pgen := a.gen, a.pod.gen
	done := false
	resume := func(err error) {
		if done {
			return
		}
		done = true
		if a.gen != gen || !a.pod.alive(pgen) || !a.up {
			return
		}
		then(err)
	}
	chg.waiters = append(chg.waiters, func(exited bool) {
		// Ops learns of the change by polling Pebble: it goes on in a
		// callback of its own, never inside the call that made it ready.
		a.pod.u.after(0, func() {
			if exited {
				resume(fmt.Errorf("cannot wait for change %s: pebble exited", chg.id))
				return
			}
			resume(spec.ChangeFailed(chg.info()))
		})
	})
	a.pod.u.after(spec.ChangeWait, func() {
		resume(fmt.Errorf("timeout waiting for change %s", chg.id))
	})
}

// endQueues records the events each agent has queued and not yet run, as
// a real run's recorder does at a scenario's end (they count in the event
// sequence: the agent had decided on them). A charm of your own's hooks
// last as long as the run's, so the model too can end with a queue.
func (m *Model) endQueues() {
	for _, u := range m.units {
		if u.pod == nil || u.pod.charm == nil {
			continue
		}
		for _, e := range u.pod.charm.hooks.pending {
			u.observe(spec.Record{Type: spec.RecEvent, Message: e.Name, Key: e.Key, State: spec.EventQueued})
		}
	}
}

// afterQueue calls fn once the agent has run every hook queued so far (at
// once if it has none, or is down): a unit that goes, or a pod deleted,
// goes after its last hooks, as a real agent's do.
func (a *charmAgent) afterQueue(fn func()) {
	if !a.up || (!a.hooks.busy && len(a.hooks.pending) == 0) {
		fn()
		return
	}
	a.hooks.drained = append(a.hooks.drained, fn)
}
