package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// How a step waits, and what it sees when it looks: the substrate's
// streams caught up to the instant it checks.

// parseWithin reads a step's "within D" (""; at once).
func parseWithin(arg string) (time.Duration, error) {
	if arg == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(arg)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("cannot read duration %q: write it as 500ms, 5s or 2m", arg)
	}
	return d, nil
}

// eventually checks cond now, or until within has passed on the
// substrate's clock; failing, it returns what cond last said. Checked at
// once, or for the last time, cond sees every observation made before:
// the substrate's streams are caught up first.
func (s *scenario) eventually(within string, cond func() error) error {
	d, err := parseWithin(within)
	if err != nil {
		return err
	}
	if d == 0 {
		s.catchUp()
		return cond()
	}
	// A wait moves the scenario on from the instant "D pass" ended at.
	s.at = now
	deadline := s.sub.Clock().Now() + d
	var last error
	ok := spec.WaitFor(s.sub.Clock(), d, s.pollStep(), func() bool {
		last = cond()
		return last == nil
	})
	if ok {
		return nil
	}
	// A last look with the streams caught up, at the deadline: what was
	// observed after it does not count.
	s.catchUp()
	s.at = deadline
	last = cond()
	s.at = now
	if last == nil {
		return nil
	}
	// The wait goes with the first line: later ones say why.
	first, rest, _ := strings.Cut(last.Error(), "\n")
	if rest != "" {
		rest = "\n" + rest
	}
	return fmt.Errorf("%s (waited %s)%s", first, d, rest)
}

// catchUp brings the substrate's observation streams up to now.
func (s *scenario) catchUp() {
	if c, ok := s.sub.(substrate.CatchUpper); ok {
		c.CatchUp()
	}
}

// records is the trace as a check sees it: after "D pass", only what
// was observed by the end of D (a real sleep overshoots; the scenario
// means that instant).
func (s *scenario) records() []spec.Record {
	all := s.sub.Trace().Records
	if s.at == now {
		return all
	}
	var out []spec.Record
	for _, r := range all {
		if r.At <= s.at {
			out = append(out, r)
		}
	}
	return out
}

// pollStep is how often a wait looks again: finely, so a real run's step
// sees what happened within milliseconds (the README's latency figure).
func (s *scenario) pollStep() time.Duration {
	return 10 * time.Millisecond
}
