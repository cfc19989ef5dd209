package spec

import "time"

// Clock is the time a scenario's waits go through: virtual on the model,
// where a five-minute back-off takes microseconds, and wall time on every
// real substrate.
type Clock interface {
	// Now is the time since the scenario started.
	Now() time.Duration
	// Sleep lets d pass; on the model, every event due in that span runs.
	Sleep(d time.Duration)
}

// WaitFor polls cond through clock every step until it holds or within
// has passed, and reports whether it held. It is how "within <duration>"
// is checked the same way on every substrate.
func WaitFor(clock Clock, within, step time.Duration, cond func() bool) bool {
	deadline := clock.Now() + within
	for {
		if cond() {
			return true
		}
		if clock.Now() >= deadline {
			return false
		}
		wait := step
		if left := deadline - clock.Now(); left < wait {
			wait = left
		}
		clock.Sleep(wait)
	}
}

// WallClock is the Clock of the real substrates.
type WallClock struct{ start time.Time }

// NewWallClock starts a wall clock at zero.
func NewWallClock() *WallClock { return &WallClock{start: time.Now()} }

func (c *WallClock) Now() time.Duration    { return time.Since(c.start) }
func (c *WallClock) Sleep(d time.Duration) { time.Sleep(d) }
