package simulator

import (
	"regexp"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Pebble performs a check on a ticker, every period from when its plan
// gave it the check (checkstate's doPerformCheck). When those ticks fall
// in a real run is the machine's doing: the charm's layer reaches Pebble
// a little late, and later still on a loaded machine, so the run's ticks
// and the model's can be apart by anything up to a period. A scenario
// that makes a workload unhealthy between the two sees a failure in the
// run and none in the model. So the model takes when a tick came from
// the run wherever the run shows it, in Pebble's log of a failure: the
// tick nearest that failure (within half a period) comes then. Whether
// each tick fails, and what follows, the model still decides.

// RunTick is when a real run's Pebble logged a check's failure, and
// whether the check had timed out (the log line then comes a timeout
// after the tick).
type RunTick struct {
	At       time.Duration
	TimedOut bool
}

var checkFailureLine = regexp.MustCompile(`^Check "([^"]+)" failure \d+/\d+: (.*)$`)

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

// untilTick is how long from now the check's next tick is: a period, or,
// when replaying a run that logged a failure of this check within half a
// period of that, when the run's tick was.
func (c *chk) untilTick() time.Duration {
	period := c.cfg.Period.Value
	u := c.p.ctr.pod.u
	ticks := u.m.runTicks[checkKey(u.id, c.p.ctr.name, c.cfg.Name)]
	now := u.m.Clock.Now()
	nominal := now + period
	best, found := time.Duration(0), false
	for _, t := range ticks {
		at := t.At
		if t.TimedOut {
			at -= c.cfg.Timeout.Value
		}
		if at <= now || absDuration(at-nominal) > period/2 {
			continue
		}
		if !found || absDuration(at-nominal) < absDuration(best-nominal) {
			best, found = at, true
		}
	}
	if !found {
		return period
	}
	return best - now
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
