package simulator

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is a discrete-event virtual clock. Everything in the model that
// waits schedules a timer on it; letting time pass runs the timers due, in
// time order and, for equal times, in the order they were set, so a run
// is fully determined by its inputs and seed.
type Clock struct {
	now     time.Duration
	seq     uint64
	queue   timerQueue
	running bool

	// lock, cond and holds are set once the clock holds for work in wall
	// time (hold.go).
	lock  sync.Locker
	cond  *sync.Cond
	holds []*Hold
	bound time.Duration
}

// Timer is one scheduled callback.
type Timer struct {
	at      time.Duration
	seq     uint64
	fn      func()
	stopped bool
	index   int
}

// Stop cancels the timer; stopping a fired or stopped timer does nothing.
func (t *Timer) Stop() {
	if t != nil {
		t.stopped = true
	}
}

// Now is the virtual time since the model started.
func (c *Clock) Now() time.Duration { return c.now }

// AfterFunc runs fn once d has passed.
func (c *Clock) AfterFunc(d time.Duration, fn func()) *Timer {
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &Timer{at: c.now + d, seq: c.seq, fn: fn}
	heap.Push(&c.queue, t)
	return t
}

// Sleep lets d pass, running every timer due. Called from inside a timer's
// callback (a charm handler waiting on a change, say) it cannot move time
// on without reordering the model, so there it returns at once.
func (c *Clock) Sleep(d time.Duration) {
	c.RunUntil(c.now + d)
}

// RunUntil runs every timer due at or before t and leaves the clock at t.
// Before time moves on, and before it returns, it waits for the work it
// holds for (Settle): time stands still while that runs. Timers due at
// the current instant run beside it, as other units' agents run beside a
// unit's hook.
func (c *Clock) RunUntil(t time.Duration) {
	if c.running {
		return
	}
	c.running = true
	defer func() { c.running = false }()
	for {
		if !c.dueNow(t) {
			c.Settle()
		}
		if len(c.queue) == 0 || c.queue[0].at > t {
			break
		}
		next := heap.Pop(&c.queue).(*Timer)
		if next.stopped {
			continue
		}
		c.now = next.at
		next.fn()
	}
	if t > c.now {
		c.now = t
	}
}

// dueNow says whether a timer is due at the current instant (and by t).
func (c *Clock) dueNow(t time.Duration) bool {
	return len(c.queue) > 0 && c.queue[0].at <= c.now && c.queue[0].at <= t
}

// Dispatching reports whether a timer's callback is running now.
func (c *Clock) Dispatching() bool { return c.running }

type timerQueue []*Timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].index = i; q[j].index = j }
func (q *timerQueue) Push(x any)   { t := x.(*Timer); t.index = len(*q); *q = append(*q, t) }
func (q *timerQueue) Pop() any {
	old := *q
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	*q = old[:n-1]
	return t
}
