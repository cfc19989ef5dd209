package simulator

import (
	"regexp"
	"strings"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
)

// Pebble performs a check on a ticker, every period from when its plan
// gave it the check (checkstate's doPerformCheck). When those ticks fall
// in a real run is the machine's doing: the charm's layer reaches Pebble
// a little late, and later still on a loaded machine, so the run's ticks
// and the model's can be apart by anything up to a period. A scenario
// that makes a workload unhealthy between the two sees a failure in the
// run and none in the model. So the model takes a check's phase from the
// run where the run shows it, in Pebble's log of a failure (tickGrid);
// its period stays Pebble's. Whether each tick fails, and what follows,
// the model still decides.

// RunTick is when a real run's Pebble logged a check's failure, and
// whether the check had timed out (the log line then comes a timeout
// after the tick).
type RunTick struct {
	At       time.Duration
	TimedOut bool
}

var checkFailureLine = regexp.MustCompile(`^Check "([^"]+)" failure \d+/\d+: (.*)$`)

// UnhealthyAnswer is a health query of a real run's that Pebble answered
// "unhealthy": when, and at which level.
type UnhealthyAnswer struct {
	At    time.Duration
	Level client.CheckLevel
}

// ObservedUnhealthy reads, per container ("unit/container"), the run's
// health queries that Pebble answered unhealthy.
func ObservedUnhealthy(t *spec.Trace) map[string][]UnhealthyAnswer {
	out := map[string][]UnhealthyAnswer{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation || r.Type != spec.RecAnswer || r.State != "unhealthy" {
			continue
		}
		if level, ok := spec.HealthLevel(r.Message); ok {
			key := string(r.Unit) + "/" + r.Container
			out[key] = append(out[key], UnhealthyAnswer{At: r.At, Level: level})
		}
	}
	return out
}

// ObservedCheckFailures reads, per check ("unit/container/check"), when
// the run's Pebble logged each of its failures, in order.
func ObservedCheckFailures(t *spec.Trace) map[string][]RunTick {
	out := map[string][]RunTick{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation || r.Type != spec.RecLog {
			continue
		}
		m := checkFailureLine.FindStringSubmatch(r.Message)
		if m == nil {
			continue
		}
		key := checkKey(r.Unit, r.Container, m[1])
		out[key] = append(out[key], RunTick{At: r.At, TimedOut: strings.HasPrefix(m[2], "check timed out after")})
	}
	return out
}

func checkKey(unit spec.UnitID, container, check string) string {
	return string(unit) + "/" + container + "/" + check
}

// tickGrid is where a Pebble ticker's ticks fall: every period from an
// anchor. Where the run's Pebble logged a failure of the check, the first
// anchors the grid from the check's start (the phase: when the layer
// reached that Pebble), so the ticks before it, which passed unlogged in
// the run, fall where the run's did too: a model ticking on its own phase
// could fail a tick between two of the run's (a local soak, loaded, saw
// one 0.38 s of a 0.5 s period late). Where the run logged none, the
// model's ticker runs from its own start, and the first failure within
// half a period of a tick anchors the grid there. Later ticks stay on the
// grid, moved only as far as the run's load jitter (the profile's
// allowance) to a failure the run logged: a Pebble whose ticks drift
// further, a wrong period say, shows.
type tickGrid struct {
	anchored bool
	anchor   time.Duration
	started  bool
}

// untilTick is how long from now the check's next tick is.
func (c *chk) untilTick() time.Duration {
	period := c.cfg.Period.Value
	u := c.p.ctr.pod.u
	now := u.m.Clock.Now()
	nominal, window := now+period, period/2
	first := !c.ticker.started
	c.ticker.started = true
	if first {
		if at, ok := c.firstRunTick(now); ok {
			// The tick was before the line, if a health query saw it first
			// (14 ms before it, in a loaded soak). Pebble's first tick is a
			// period after the check starts, and the run's check started no
			// earlier than the model's: the first of the grid's ticks a
			// period from now or later.
			at = c.beforeItShowed(at, min(u.m.profile.Allowance, period/2), now)
			anchor := at
			if at > now+period {
				anchor = at - (at-now-period)/period*period
			}
			c.ticker = tickGrid{anchored: true, anchor: anchor, started: true}
			nominal, window = anchor, min(u.m.profile.Allowance, period/2)
		}
	} else if c.ticker.anchored {
		k := (now - c.ticker.anchor + period/2) / period // the tick just made, rounded
		nominal, window = c.ticker.anchor+(k+1)*period, min(u.m.profile.Allowance, period/2)
	}
	at, ok := c.runTickNear(nominal, window, now)
	if !ok {
		return nominal - now
	}
	at = c.beforeItShowed(at, window, now)
	if !c.ticker.anchored {
		c.ticker = tickGrid{anchored: true, anchor: at}
	}
	return at - now
}

// firstRunTick is the first failure's tick the run's Pebble logged for
// this check after now, if any.
func (c *chk) firstRunTick(now time.Duration) (time.Duration, bool) {
	first, found := time.Duration(0), false
	for _, at := range c.runTickTimes() {
		if at > now && (!found || at < first) {
			first, found = at, true
		}
	}
	return first, found
}

// runTickTimes are the ticks of the failures the run's Pebble logged for
// this check: a timed-out one's line came its timeout after its tick.
func (c *chk) runTickTimes() []time.Duration {
	u := c.p.ctr.pod.u
	var out []time.Duration
	for _, t := range u.m.runTicks[checkKey(u.id, c.p.ctr.name, c.cfg.Name)] {
		at := t.At
		if t.TimedOut {
			at -= c.cfg.Timeout.Value
		}
		out = append(out, at)
	}
	return out
}

// runTickNear is the tick of a failure the run's Pebble logged for this
// check nearest nominal, within window and after now.
func (c *chk) runTickNear(nominal, window, now time.Duration) (time.Duration, bool) {
	best, found := time.Duration(0), false
	for _, at := range c.runTickTimes() {
		if at <= now || absDuration(at-nominal) > window {
			continue
		}
		if !found || absDuration(at-nominal) < absDuration(best-nominal) {
			best, found = at, true
		}
	}
	return best, found
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// beforeItShowed moves a tick taken from a failure's log line to before
// the run's first health answer that its failure made unhealthy, within
// window before the line: Pebble marks a check down before it logs the
// failure, and a query can see it in between (74 µs apart, in a soak).
func (c *chk) beforeItShowed(at, window, now time.Duration) time.Duration {
	u := c.p.ctr.pod.u
	for _, a := range u.m.runUnhealthy[string(u.id)+"/"+c.p.ctr.name] {
		affects := a.Level != client.AliveLevel || c.cfg.Level == string(client.AliveLevel)
		if affects && a.At < at && at-a.At <= window && a.At > now {
			at = a.At - 1
		}
	}
	return at
}
