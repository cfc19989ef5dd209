package steps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// The steps that check a charm's duties in the sidecar pattern, for any
// charm: they name no container, service or check, and find them in the
// charm's metadata and its Pebbles' plans. `tandem check` is written in
// them.

// quiet is how long a unit must run no hook, with its status unchanged,
// to count as settled: longer than a hook's own gap to the next one it
// queues, short beside a scenario's waits.
const quiet = time.Second

// dutyPhrases are the duty steps that act: on the unit, or on what a
// later check compares with.
func dutyPhrases() []Phrase {
	g := groupYourCharm
	return []Phrase{
		{Group: g, Pattern: `^the unit's state is noted$`,
			Example: `And the unit's state is noted`,
			Help: "Notes the unit's state for later steps to compare with: each workload container's plan (from its Pebble), which of its " +
				"services are active, how many times Pebble started each, the events the charm had, and the unit's status.",
			run: func(s *scenario, _ []string, _ string) error {
				st, err := s.unitState()
				if err != nil {
					return err
				}
				s.noted = &st
				return nil
			}},
		{Group: g, Pattern: `^each workload container is killed in turn, the unit settling after each within (?P<duration>\S+)$`,
			Example: `When each workload container is killed in turn, the unit settling after each within 60s`,
			Help: "Kills each workload container's Pebble in turn, in name order (R3.2): each comes back empty, with a new boot id, and the " +
				"charm gets its pebble-ready again. After each, waits for that pebble-ready and for the unit to settle, and notes the unit's state.",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				// Not nil: the kills ran, over no container if the charm has none.
				s.afterKills = []killed{}
				for _, c := range s.charm.ContainerNames() {
					before, err := s.eventCount(spec.PebbleReady(c))
					if err != nil {
						return err
					}
					if err := s.sub.KillContainer(s.unit, c); err != nil {
						return fmt.Errorf("cannot kill container %s: %w", c, err)
					}
					err = s.eventually(a[0], func() error {
						n, err := s.eventCount(spec.PebbleReady(c))
						if err == nil && n <= before {
							err = fmt.Errorf("the charm has not had %s since container %s was killed", spec.PebbleReady(c), c)
						}
						return err
					})
					if err != nil {
						return err
					}
					if _, err := s.settled(a[0]); err != nil {
						return fmt.Errorf("after container %s was killed: %w", c, err)
					}
					st, err := s.unitState()
					if err != nil {
						return err
					}
					s.afterKills = append(s.afterKills, killed{container: c, state: st})
				}
				return nil
			}},
		{Group: g, Pattern: `^config-changed runs with nothing changed$`,
			Example: `When config-changed runs with nothing changed`,
			Help: "The controller runs config-changed with the config as it was, as Juju does when the trust or the unit's address changed, " +
				"or after upgrade-charm: a charm must not restart its workloads for it.",
			run: func(s *scenario, _ []string, _ string) error {
				op, _, err := s.operator()
				if err != nil {
					return err
				}
				return op.SetConfig(map[string]any{})
			}},
		{Group: g, Pattern: `^each Pebble check is made to fail, then to recover, the unit settling after each within (?P<duration>\S+)$`,
			Example: `When each Pebble check is made to fail, then to recover, the unit settling after each within 60s`,
			Help: "For each check in the workload containers' plans: flips the workload tool's health switch in its container off until " +
				"Pebble says the check is down, lets the unit settle, then on until it is up and the unit settles again. What the charm " +
				"received and its status at each turn are reported; a check the switch does not bring down is reported as such.",
			run: func(s *scenario, a []string, _ string) error { return s.failEachCheck(a[0]) }},
	}
}

// dutyCheckPhrases are the duty steps that check.
func dutyCheckPhrases() []Phrase {
	g := groupYourCharmChecks
	return []Phrase{
		{Group: g, Pattern: `^the unit settles(?: with status "(?P<status>[^"]*)")? within (?P<duration>\S+)$`,
			Example: `Then the unit settles within 60s`,
			Help: "Waits until the unit is idle, as juju wait-for does: every workload's Pebble answers, the charm has had each pebble-ready, " +
				"no hook runs or is in error, and none ran and the status did not change for 1s. The status it settled in is reported; " +
				"\"with status\" also checks it (active, waiting, blocked ...). A hook that failed fails the scenario, as always.",
			run: func(s *scenario, a []string, _ string) error {
				v, err := s.settled(a[1])
				if err != nil {
					return err
				}
				s.note("settled in status %s", statusText(v.UnitStatus))
				if a[0] != "" && v.UnitStatus.Status != a[0] {
					return fmt.Errorf("the unit settled in status %s, want %q", statusText(v.UnitStatus), a[0])
				}
				return nil
			}},
		{Group: g, Pattern: `^the unit's state is as noted$`,
			Example: `Then the unit's state is as noted`,
			Help:    "Each workload container's plan, its active services and the unit's status are as they were when noted.",
			run: func(s *scenario, _ []string, _ string) error {
				noted, err := s.notedState()
				if err != nil {
					return err
				}
				st, err := s.unitState()
				if err != nil {
					return err
				}
				if diffs := noted.diff(st); len(diffs) > 0 {
					return fmt.Errorf("the unit's state is not as noted:\n  %s", strings.Join(diffs, "\n  "))
				}
				return nil
			}},
		{Group: g, Pattern: `^after each kill, the unit's state was as noted$`,
			Example: `Then after each kill, the unit's state was as noted`,
			Help:    "After each container killed in turn, the unit settled with each workload container's plan, its active services and the unit's status as noted before.",
			run: func(s *scenario, _ []string, _ string) error {
				noted, err := s.notedState()
				if err != nil {
					return err
				}
				if s.afterKills == nil {
					return fmt.Errorf("no container was killed: add When each workload container is killed in turn, ... first")
				}
				if len(s.afterKills) == 0 {
					s.note("the charm has no workload container")
				}
				var out []string
				for _, k := range s.afterKills {
					for _, d := range noted.diff(k.state) {
						out = append(out, fmt.Sprintf("after container %s was killed: %s", k.container, d))
					}
				}
				if len(out) > 0 {
					return fmt.Errorf("the charm did not restore the unit's state:\n  %s", strings.Join(out, "\n  "))
				}
				return nil
			}},
		{Group: g, Pattern: `^since the state was noted, the charm received "(?P<event>[^"]*)"` + within + `$`,
			Example: `Then since the state was noted, the charm received "upgrade-charm" within 60s`,
			Help:    "The charm received the event after the state was noted.",
			run: func(s *scenario, a []string, _ string) error {
				return s.receivedSinceNoted(a[1], func(since []string) error {
					if !slices.Contains(since, a[0]) {
						return fmt.Errorf("the charm did not receive %s since the state was noted (it received %s)", a[0], listOrNone(since))
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^since the state was noted, the charm received start, then each workload container's pebble-ready` + within + `$`,
			Example: `Then since the state was noted, the charm received start, then each workload container's pebble-ready within 60s`,
			Help: "What Juju runs when the charm container restarts (its agent starts again): start, then a pebble-ready for every workload " +
				"container, each after start.",
			run: func(s *scenario, a []string, _ string) error {
				return s.receivedSinceNoted(a[0], func(since []string) error {
					start := slices.Index(since, spec.EventStart)
					if start < 0 {
						return fmt.Errorf("the charm did not receive start since the state was noted (it received %s)", listOrNone(since))
					}
					for _, c := range s.charm.ContainerNames() {
						if !slices.Contains(since[start:], spec.PebbleReady(c)) {
							return fmt.Errorf("the charm did not receive %s after start since the state was noted (it received %s)", spec.PebbleReady(c), listOrNone(since))
						}
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^each unit that went ran departed and broken for its relations, then stop, then remove$`,
			Example: `Then each unit that went ran departed and broken for its relations, then stop, then remove`,
			Help: "The dying hooks of each unit scaling took away, in Juju's order: relation-departed for each remote unit and relation-broken, " +
				"for every relation it was in (its peers' among them), then stop, then remove, and nothing else.",
			run: func(s *scenario, _ []string, _ string) error {
				if len(s.removed) == 0 {
					return fmt.Errorf("no unit went: add When the application is scaled to N units, with fewer than there are, first")
				}
				s.catchUp()
				var out []string
				for _, id := range sortedKeys(unitNames(s.removed)) {
					if err := s.diedInOrder(spec.UnitID(id)); err != nil {
						out = append(out, err.Error())
					}
				}
				if len(out) > 0 {
					return fmt.Errorf("a unit that went did not run its dying hooks in Juju's order:\n  %s", strings.Join(out, "\n  "))
				}
				return nil
			}},
		{Group: g, Pattern: `^no workload service was started again since the state was noted$`,
			Example: `Then no workload service was started again since the state was noted`,
			Help: "Pebble started no service's process again since the state was noted (from its own \"Service ... starting\" records): " +
				"a replan restarts only a service whose plan changed, so a charm that gives the same layer restarts nothing.",
			run: func(s *scenario, _ []string, _ string) error {
				noted, err := s.notedState()
				if err != nil {
					return err
				}
				s.catchUp()
				st, err := s.unitState()
				if err != nil {
					return err
				}
				var out []string
				for _, key := range sortedKeys(st.starts) {
					if more := st.starts[key] - noted.starts[key]; more > 0 {
						container, service, _ := strings.Cut(key, "/")
						out = append(out, fmt.Sprintf("Pebble started service %s in %s %d more %s%s", service, container, more,
							map[bool]string{true: "time", false: "times"}[more == 1], noted.planChange(st, container)))
					}
				}
				if len(out) > 0 {
					return fmt.Errorf("a workload service was started again since the state was noted:\n  %s", strings.Join(out, "\n  "))
				}
				return nil
			}},
	}
}

// diedInOrder checks a going unit's hooks since the scale-down.
func (s *scenario) diedInOrder(id spec.UnitID) error {
	events, err := s.sub.Events(id)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range events[min(s.beforeScaleDown[id], len(events)):] {
		if e.At >= s.scaledDown {
			names = append(names, e.Name)
		}
	}
	return dyingOrder(id, names, s.relationEndpoints())
}

// dyingOrder says how a going unit's hooks, names, break Juju's order for
// a unit related on endpoints.
func dyingOrder(id spec.UnitID, names, endpoints []string) error {
	n := len(names)
	if n < 2 || names[n-2] != spec.EventStop || names[n-1] != spec.EventRemove {
		return fmt.Errorf("%s ran %s after the scale-down: it must end with stop, then remove", id, listOrNone(names))
	}
	for i, e := range names[:n-2] {
		ep, departed := strings.CutSuffix(e, "-relation-departed")
		if !departed {
			var broken bool
			if ep, broken = strings.CutSuffix(e, "-relation-broken"); !broken {
				return fmt.Errorf("%s ran %s among its dying hooks (%s): only relation-departed and -broken come before stop", id, e, listOrNone(names))
			}
		}
		if departed && slices.Contains(names[:i], ep+"-relation-broken") {
			return fmt.Errorf("%s ran %s after %s-relation-broken (%s)", id, e, ep, listOrNone(names))
		}
	}
	for _, ep := range endpoints {
		if !slices.Contains(names, ep+"-relation-broken") {
			return fmt.Errorf("%s had no %s-relation-broken before stop (%s)", id, ep, listOrNone(names))
		}
	}
	return nil
}

// relationEndpoints are the endpoints the charm is related on: its
// peers', and each related application's.
func (s *scenario) relationEndpoints() []string {
	var out []string
	if s.charm.Charm != nil {
		out = sortedKeys(s.charm.Charm.Meta.Peers)
	}
	for _, r := range s.relations {
		if !slices.Contains(out, r.Endpoint) {
			out = append(out, r.Endpoint)
		}
	}
	return out
}

func unitNames(units map[spec.UnitID]bool) map[string]bool {
	out := map[string]bool{}
	for id := range units {
		out[string(id)] = true
	}
	return out
}

// eventCount is how many times the charm received event.
func (s *scenario) eventCount(event string) (int, error) {
	names, err := s.eventNames()
	n := 0
	for _, e := range names {
		if e == event {
			n++
		}
	}
	return n, err
}

// receivedSinceNoted checks, within, the events the charm received
// since the state was noted.
func (s *scenario) receivedSinceNoted(within string, cond func(since []string) error) error {
	noted, err := s.notedState()
	if err != nil {
		return err
	}
	return s.eventually(within, func() error {
		names, err := s.eventNames()
		if err != nil {
			return err
		}
		return cond(names[min(noted.events, len(names)):])
	})
}

// note keeps a line of what a passing step saw, for the report.
func (s *scenario) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}
