package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/canonical/pebble/client"
	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

// settled waits, within, until the unit is idle as juju wait-for sees
// it, and returns it as the controller shows it then.
func (s *scenario) settled(within string) (spec.UnitView, error) {
	op, _, err := s.operator()
	if err != nil {
		return spec.UnitView{}, err
	}
	clock := s.sub.Clock()
	var seen spec.UnitView
	seenEvents, changed := -1, clock.Now()
	err = s.eventually(within, func() error {
		events, err := s.sub.Events(s.unit)
		if err != nil {
			return err
		}
		if stuck := s.hookError(s.unit, events); stuck != nil {
			return stuck // Juju retries the hook: it may yet settle
		}
		// What counts is from the agent's own start: a new pod's, or a
		// restarted charm container's, has each pebble-ready again, and a
		// hook an agent died in never ends.
		since, began := s.agentStarted()
		had, ended := map[string]bool{}, 0
		for _, e := range events {
			if e.At >= since {
				had[e.Name] = true
				ended++
			}
		}
		if len(began) > ended {
			return fmt.Errorf("the charm of %s is running its %s hook", s.unit, began[len(began)-1])
		}
		for _, c := range s.charm.ContainerNames() {
			if !had[spec.PebbleReady(c)] {
				return fmt.Errorf("the charm of %s has not had %s since its start", s.unit, spec.PebbleReady(c))
			}
			pc, err := s.sub.Pebble(s.unit, c)
			if err == nil && !spec.CanConnect(pc) {
				err = fmt.Errorf("its Pebble does not answer")
			}
			if err != nil {
				return fmt.Errorf("the charm of %s cannot connect to %s: %v", s.unit, c, err)
			}
		}
		v, err := op.UnitView(s.unit)
		if err != nil {
			return err
		}
		if len(events) != seenEvents || v.UnitStatus != seen.UnitStatus {
			seen, seenEvents, changed = v, len(events), clock.Now()
		}
		if idle := clock.Now() - changed; idle < quiet {
			return fmt.Errorf("the charm of %s ran a hook or changed its status %s ago (settled: idle for %s)", s.unit, idle.Round(time.Millisecond), quiet)
		}
		return nil
	})
	return seen, err
}

// agentStarted is when the unit's charm agent last started (its pod's
// start, or its charm container's last restart), and the hooks it began
// since, from the trace, which has a hook from its start (the unit's log
// has it once it ends).
func (s *scenario) agentStarted() (time.Duration, []string) {
	var at time.Duration
	var began []string
	for _, r := range s.sub.Trace().Records {
		if r.Unit != s.unit {
			continue
		}
		switch {
		case r.Type == spec.RecPod && r.State == "Running" || r.Type == spec.RecRestart && r.Container == spec.CharmContainer:
			at, began = r.At, nil
		case r.Type == spec.RecEvent && r.At >= at && r.State != spec.EventDropped && r.State != spec.EventQueued:
			began = append(began, r.Message)
		}
	}
	return at, began
}

// failEachCheck makes the Pebble checks of each workload container fail,
// then recover, through the workload tool's health switch (one to a
// container), and reports what the charm did at each turn.
func (s *scenario) failEachCheck(within string) error {
	if err := s.afterDeploy(); err != nil {
		return err
	}
	found := false
	for _, c := range s.charm.ContainerNames() {
		checks, err := s.checksOf(c)
		if err != nil {
			return err
		}
		var up []string
		for _, name := range sortedKeys(checks) {
			found = true
			if err := s.checkIs(c, name, "up"); err != nil {
				s.note("check %s in %s was not up to begin with (%v): left out", name, c, err)
				continue
			}
			up = append(up, name)
		}
		if len(up) > 0 {
			if err := s.failChecks(c, up, checks, within); err != nil {
				return err
			}
		}
	}
	if !found {
		s.note("the charm's plans have no Pebble check")
	}
	return nil
}

// checksOf reads the checks of a container's plan, with their timing.
func (s *scenario) checksOf(container string) (map[string]checkTiming, error) {
	_, plan, err := s.planOf(container)
	if err != nil {
		return nil, err
	}
	var p struct {
		Checks map[string]checkTiming `yaml:"checks"`
	}
	if err := yaml.Unmarshal(plan, &p); err != nil {
		return nil, fmt.Errorf("cannot read the plan of %s: %v", container, err)
	}
	return p.Checks, nil
}

// failChecks turns a container's health switch off, then on, and notes
// at each turn which of its checks changed and what the charm did. A
// check the switch does not reach (a TCP or exec check, an HTTP one on
// another path) is noted as such, not failed.
func (s *scenario) failChecks(container string, checks []string, timing map[string]checkTiming, within string) error {
	var bound time.Duration
	for _, name := range checks {
		bound = max(bound, timing[name].bound())
	}
	reached := checks
	for _, up := range []bool{false, true} {
		state := map[bool]string{false: "down", true: "up"}[up]
		before, err := s.eventNames()
		if err != nil {
			return err
		}
		if err := s.sub.SetHealth(s.unit, container, spec.DefaultHealthFile, up); err != nil {
			return fmt.Errorf("cannot flip the health switch in %s: %w", container, err)
		}
		var changed, stayed []string
		s.eventually(bound.String(), func() error {
			changed, stayed = nil, nil
			for _, name := range reached {
				if s.checkIs(container, name, state) == nil {
					changed = append(changed, name)
				} else {
					stayed = append(stayed, name)
				}
			}
			if len(changed) == 0 || (up && len(stayed) > 0) {
				return fmt.Errorf("not yet")
			}
			return nil
		})
		for _, name := range stayed {
			if up {
				s.note("check %s in %s did not recover within %s with the health switch on again", name, container, bound)
			} else {
				s.note("check %s in %s did not go down within %s with the health switch off: the workload tool's switch does not reach it (a TCP or exec check, or HTTP on another path than /health)", name, container, bound)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		reached = changed
		v, err := s.settled(within)
		if err != nil {
			return fmt.Errorf("after checks %s in %s went %s: %w", strings.Join(changed, ", "), container, state, err)
		}
		after, err := s.eventNames()
		if err != nil {
			return err
		}
		s.note("%s %s in %s %s: the charm received %s, and settled in status %s", map[bool]string{true: "check", false: "checks"}[len(changed) == 1],
			strings.Join(changed, ", "), container, state, listOrNone(after[min(len(before), len(after)):]), statusText(v.UnitStatus))
	}
	return nil
}

func (s *scenario) checkIs(container, check, state string) error {
	pc, err := s.sub.Pebble(s.unit, container)
	if err != nil {
		return err
	}
	infos, err := pc.Checks(&client.ChecksOptions{Names: []string{check}})
	if err != nil {
		return fmt.Errorf("cannot read check %s of %s: %v", check, container, err)
	}
	if len(infos) == 0 || string(infos[0].Status) != state {
		return fmt.Errorf("check %s in %s is not %s", check, container, state)
	}
	return nil
}

// checkTiming is what of a check's plan says how soon it can go down.
type checkTiming struct {
	Period    string `yaml:"period"`
	Timeout   string `yaml:"timeout"`
	Threshold int    `yaml:"threshold"`
}

// bound is how long the check takes at most to change state, with Pebble's
// defaults (period 10s, timeout 3s, threshold 3) where the plan sets none,
// and a margin for a loaded machine.
func (c checkTiming) bound() time.Duration {
	period, timeout, threshold := 10*time.Second, 3*time.Second, 3
	if d, err := time.ParseDuration(c.Period); err == nil {
		period = d
	}
	if d, err := time.ParseDuration(c.Timeout); err == nil {
		timeout = d
	}
	if c.Threshold > 0 {
		threshold = c.Threshold
	}
	return time.Duration(threshold)*(period+timeout) + 5*time.Second
}
