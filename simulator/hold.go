package simulator

import (
	"sync"
	"time"
)

// A charm of your own runs as a real process, in wall time, while the
// model's time is virtual (issue 16). Time stands still while the charm's
// code runs: while any Hold is active the clock runs no timer due later
// than now (those due now still run, as other units' agents run beside a
// unit's hook: clock.go). It moves while a hook waits for something the
// model finishes in virtual time (a change, as ops waits for each one):
// the hook Awaits, the clock runs timers until the wait is over, and
// holds again. So a hook takes no virtual time but the waits a real
// Pebble would make it take.
//
// The holder runs on goroutines of its own (a hook's process, the
// Pebble API it calls), so the model has a lock (UseLock): whoever drives
// or reads the model holds it, and the clock gives it up while it waits
// for holds, which take it for each call they make.

// DefaultHoldBound is how long a hold may stay active in wall time
// before the clock calls its overdue function: a hook that sleeps, or
// waits on something that is not the model's, would hold virtual time
// forever. The reference charm's hooks take 0.7 to 2.5 s each beside a
// CPU hog (docs/model.md).
const DefaultHoldBound = 30 * time.Second

// SetHoldBound sets the clock's bound (DefaultHoldBound until set).
func (c *Clock) SetHoldBound(d time.Duration) { c.bound = d }

// HoldBound is the clock's bound, for what names an overdue hold.
func (c *Clock) HoldBound() time.Duration {
	if c.bound <= 0 {
		return DefaultHoldBound
	}
	return c.bound
}

// wallNow is the wall clock a hold's bound is measured on (a test's seam).
var wallNow = time.Now

// Hold is work that runs in wall time at the clock's current instant.
type Hold struct {
	c    *Clock
	name string
	// waits are its Awaits still waiting; the work runs while it has none,
	// or one whose wait is over.
	waits    []*wait
	released bool
	since    time.Time
	overdue  func()
	// abandoned: the model ended while the work waited.
	abandoned bool
}

// wait is one Await: what it waits for, whether that came, whether its
// caller is gone (a client that hung up its request).
type wait struct {
	ready      func() bool
	over, gone bool
}

// active says whether the hold's work runs now.
func (h *Hold) active() bool {
	if h.released {
		return false
	}
	for _, w := range h.waits {
		if !w.over && !w.gone {
			return false
		}
	}
	return true
}

// UseLock makes the clock able to hold for work in wall time; l is the
// model's lock, held by every caller of the clock from then on.
func (c *Clock) UseLock(l sync.Locker) {
	c.lock = l
	c.cond = sync.NewCond(l)
}

// Hold stops time until the hold is released, or awaits. overdue is
// called (with the lock held) once the hold has been active for
// HoldBound of wall time: it should end the work.
func (c *Clock) Hold(name string, overdue func()) *Hold {
	if c.cond == nil {
		panic("simulator: Clock.Hold without UseLock")
	}
	h := &Hold{c: c, name: name, since: wallNow(), overdue: overdue}
	c.holds = append(c.holds, h)
	return h
}

// Name is what the hold was made for.
func (h *Hold) Name() string { return h.name }

// Release ends the hold: the work is done.
func (h *Hold) Release() {
	if h.released {
		return
	}
	h.released = true
	c := h.c
	for i, o := range c.holds {
		if o == h {
			c.holds = append(c.holds[:i], c.holds[i+1:]...)
			break
		}
	}
	c.cond.Broadcast()
}

// Await lets time move until ready is true, then holds again. The clock
// checks ready after each timer it runs, so the caller sets a timer for
// any deadline it has. A gone that closes gives the wait up (its caller
// hung up). It reports false if the model ended first, the hold was
// released meanwhile (its hook's agent died), or the caller went.
func (h *Hold) Await(ready func() bool, gone <-chan struct{}) bool {
	if h.released || ready() {
		return !h.released
	}
	c := h.c
	w := &wait{ready: ready}
	h.waits = append(h.waits, w)
	if gone != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case <-gone:
				c.lock.Lock()
				w.gone = true
				c.cond.Broadcast()
				c.lock.Unlock()
			case <-stop:
			}
		}()
	}
	c.cond.Broadcast()
	for !w.over && !w.gone && !h.abandoned && !h.released {
		c.cond.Wait()
	}
	for i, o := range h.waits {
		if o == w {
			h.waits = append(h.waits[:i], h.waits[i+1:]...)
			break
		}
	}
	if w.over {
		h.since = wallNow()
	}
	c.cond.Broadcast()
	return w.over && !h.abandoned && !h.released
}

// Settle waits, with the lock held, until no hold is active: every hook
// started so far has ended or waits on virtual time. Holds whose wait is
// over become active again first.
func (c *Clock) Settle() {
	if c.cond == nil {
		return
	}
	var alarm *time.Timer
	defer func() {
		if alarm != nil {
			alarm.Stop()
		}
	}()
	for {
		c.wakeReady()
		oldest := c.oldestActive()
		if oldest == nil {
			return
		}
		if wait := c.HoldBound() - wallNow().Sub(oldest.since); wait <= 0 {
			oldest.since = wallNow() // called once a bound, not in a loop
			if oldest.overdue != nil {
				oldest.overdue()
			}
			continue
		} else if alarm == nil {
			// Under the lock: a broadcast between this check and the
			// Wait below would be lost.
			alarm = time.AfterFunc(wait, func() {
				c.lock.Lock()
				c.cond.Broadcast()
				c.lock.Unlock()
			})
		} else {
			alarm.Reset(wait)
		}
		c.cond.Wait()
	}
}

// wakeReady ends each wait whose wait is over: its hold is active again.
func (c *Clock) wakeReady() {
	woke := false
	for _, h := range c.holds {
		for _, w := range h.waits {
			if !w.over && !w.gone && w.ready() {
				w.over, woke = true, true
				h.since = wallNow()
			}
		}
	}
	if woke {
		c.cond.Broadcast()
	}
}

// oldestActive is the active hold that has been so longest, or nil.
func (c *Clock) oldestActive() *Hold {
	var oldest *Hold
	for _, h := range c.holds {
		if h.active() && (oldest == nil || h.since.Before(oldest.since)) {
			oldest = h
		}
	}
	return oldest
}

// Abandon ends every wait: the model ends, and what waited on it is told
// so (Await reports false).
func (c *Clock) Abandon() {
	if c.cond == nil {
		return
	}
	for _, h := range c.holds {
		h.abandoned = true
	}
	c.cond.Broadcast()
}

// Held lists the holds that are active or wait, by name: what runs in
// wall time now.
func (c *Clock) Held() []string {
	var out []string
	for _, h := range c.holds {
		out = append(out, h.name)
	}
	return out
}
