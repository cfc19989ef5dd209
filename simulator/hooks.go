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
		return
	}
	ev := a.hooks.pending[0]
	a.hooks.pending = a.hooks.pending[1:]
	a.hooks.busy = true
	u := a.pod.u
	ev.At = u.m.Clock.Now()
	rec := spec.Record{Type: spec.RecEvent, Message: ev.Name, Key: ev.Key}
	if u.m.yourCharm() && u.hookFails(ev.Name) {
		rec.State = spec.HookFailed
		ev.Exit = 1
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
	a.endHook(ev, spec.Action{}, nil)
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
