package charmagent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// The agent runs one hook at a time, as Juju's uniter does under its
// execution lock, from a queue of work in the order the events came.

// enqueue queues an event; dispatch runs them one at a time.
func (a *Agent) enqueue(name, key string) {
	a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: name, Key: key}})
}

// enqueueWorkload queues a workload's event (pebble-ready, a notice, a
// check), which Juju tells the charm with JUJU_WORKLOAD_NAME.
func (a *Agent) enqueueWorkload(name, key, workload, noticeID string) {
	a.push(work{ev: spec.Event{Unit: a.cfg.Unit, Name: name, Key: key}, workload: workload, noticeID: noticeID})
}

// push queues work and wakes dispatch; it never blocks.
func (a *Agent) push(w work) {
	a.mu.Lock()
	a.waiting = append(a.waiting, w)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// next takes the first queued work and marks its event as the running
// hook's, in one step, so the harness never sees it in neither list.
func (a *Agent) next() (work, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.waiting) > 0 && a.waiting[0].dropped && !a.frozen {
		ev := a.waiting[0].ev
		a.waiting = a.waiting[1:]
		ev.At, ev.Dropped = time.Since(a.cfg.Epoch), true
		a.events = append(a.events, ev)
		appendJSONLine(a.log, ev)
	}
	if a.frozen || len(a.waiting) == 0 {
		return work{}, false
	}
	w := a.waiting[0]
	a.waiting = a.waiting[1:]
	w.ev.At = time.Since(a.cfg.Epoch)
	a.markRunning(w.ev)
	return w, true
}

// freeze stops new hooks from starting and returns what was queued.
func (a *Agent) freeze() []spec.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.frozen = true
	out := []spec.Event{}
	for _, w := range a.waiting {
		out = append(out, w.ev)
	}
	return out
}

func (a *Agent) dispatch(ctx context.Context) {
	for {
		w, ok := a.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-a.wake:
			}
			continue
		}
		if a.unit != nil {
			a.runCharm(ctx, &w)
			continue
		}
		ev := w.ev
		a.runHook(&ev)
		a.record(ev)
	}
}

// begin marks the event of a hook run again (a retry) as running.
func (a *Agent) begin(ev spec.Event) {
	a.mu.Lock()
	a.markRunning(ev)
	a.mu.Unlock()
}

// markRunning makes ev the running hook's event, with a.mu held. It is
// on disk before the hook starts: a charm container killed mid-hook
// takes the agent with it, and the next agent lists the hook (see
// interrupted), as the harness may not have asked in between.
func (a *Agent) markRunning(ev spec.Event) {
	ev.Running = true
	a.current = &ev
	// Written whole or not at all: a kill between a truncate and a write
	// would lose the hook.
	if data, err := json.Marshal(ev); err == nil {
		tmp := a.runningPath() + ".new"
		if os.WriteFile(tmp, data, 0o644) == nil {
			os.Rename(tmp, a.runningPath())
		}
	}
}

// record logs an event whose hook ended.
func (a *Agent) record(ev spec.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.current = nil
	a.events = append(a.events, ev)
	appendJSONLine(a.log, ev)
	os.Remove(a.runningPath())
}

// runHook runs the declared handlers for one event as an ops charm runs
// its code: each change is waited for, and the first error ends the hook
// (ops raises it), so no later action runs.
func (a *Agent) runHook(ev *spec.Event) {
	for _, h := range a.cfg.Spec.HandlersFor(ev.Name) {
		for _, act := range h.Actions {
			c := a.clients[act.Container]
			if err := spec.PerformAndWait(c, spec.RealExec{Client: c}, act); err != nil {
				ev.Errors = append(ev.Errors, fmt.Sprintf("%s: %v", act, err))
				return
			}
		}
	}
}

// tickUpdateStatus is the uniter's update-status timer: every interval
// from the agent's start it asks for update-status. Juju bumps a version
// the resolver catches up with, so ticks while one waits in the queue
// make no second one (simulator/yourcharm.go does the same).
func (a *Agent) tickUpdateStatus(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		dying := a.dying
		a.mu.Unlock()
		if !dying && !a.queued(spec.EventUpdateStatus) {
			a.enqueue(spec.EventUpdateStatus, "")
		}
	}
}

// queued says whether an event is waiting in the queue.
func (a *Agent) queued(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.waiting {
		if w.ev.Name == name && w.action == nil {
			return true
		}
	}
	return false
}
