package steps

import (
	"fmt"
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
		if hook := s.runningHook(len(events)); hook != "" {
			return fmt.Errorf("the charm of %s is running its %s hook", s.unit, hook)
		}
		// A pebble-ready counts from the agent's own start: a new pod's,
		// or a restarted charm container's, has each again.
		had := map[string]bool{}
		since := s.agentStarted()
		for _, e := range events {
			if e.At >= since {
				had[e.Name] = true
			}
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

// agentStarted is when the unit's charm agent last started: its pod's
// start, or its charm container's last restart.
func (s *scenario) agentStarted() time.Duration {
	var at time.Duration
	for _, r := range s.sub.Trace().Records {
		if r.Unit == s.unit && (r.Type == spec.RecPod && r.State == "Running" || r.Type == spec.RecRestart && r.Container == spec.CharmContainer) {
			at = r.At
		}
	}
	return at
}

// runningHook is the hook the unit's charm runs now, if any: the trace
// has its event from the hook's start, the unit's log (ended, of which
// there are ended) only once it ends.
func (s *scenario) runningHook(ended int) string {
	began := 0
	last := ""
	for _, r := range s.sub.Trace().Records {
		if r.Type == spec.RecEvent && r.Unit == s.unit && r.State != spec.EventDropped && r.State != spec.EventQueued {
			began++
			last = r.Message
		}
	}
	if began > ended {
		return last
	}
	return ""
}

// failEachCheck makes each Pebble check of the unit's workload
// containers fail, then recover, through the workload tool's health
// switch, and reports what the charm did at each turn.
func (s *scenario) failEachCheck(within string) error {
	if err := s.afterDeploy(); err != nil {
		return err
	}
	found := false
	for _, c := range s.charm.ContainerNames() {
		pc, err := s.sub.Pebble(s.unit, c)
		if err != nil {
			return err
		}
		plan, err := pc.PlanBytes(&client.PlanOptions{})
		if err != nil {
			return fmt.Errorf("cannot read the plan of %s: %v", c, err)
		}
		var p struct {
			Checks map[string]checkTiming `yaml:"checks"`
		}
		if err := yaml.Unmarshal(plan, &p); err != nil {
			return fmt.Errorf("cannot read the plan of %s: %v", c, err)
		}
		for _, name := range sortedKeys(p.Checks) {
			found = true
			if err := s.failCheck(c, name, p.Checks[name].bound(), within); err != nil {
				return err
			}
		}
	}
	if !found {
		s.note("the charm's plans have no Pebble check")
	}
	return nil
}

// failCheck takes one check down and up again.
func (s *scenario) failCheck(container, check string, bound time.Duration, within string) error {
	for _, up := range []bool{false, true} {
		state := map[bool]string{false: "down", true: "up"}[up]
		before, err := s.eventNames()
		if err != nil {
			return err
		}
		if err := s.sub.SetHealth(s.unit, container, spec.DefaultHealthFile, up); err != nil {
			return fmt.Errorf("cannot flip the health switch in %s: %w", container, err)
		}
		err = s.eventually(bound.String(), func() error { return s.checkIs(container, check, state) })
		if err != nil && !up {
			s.note("check %s in %s did not go down within %s with the workload's health switch off: it does not probe what the workload serves", check, container, bound)
			if err := s.sub.SetHealth(s.unit, container, spec.DefaultHealthFile, true); err != nil {
				return err
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("check %s in %s did not recover with the health switch on again: %w", check, container, err)
		}
		v, err := s.settled(within)
		if err != nil {
			return fmt.Errorf("after check %s in %s went %s: %w", check, container, state, err)
		}
		after, err := s.eventNames()
		if err != nil {
			return err
		}
		s.note("check %s in %s %s: the charm received %s, and settled in status %s", check, container, state,
			listOrNone(after[min(len(before), len(after)):]), statusText(v.UnitStatus))
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
