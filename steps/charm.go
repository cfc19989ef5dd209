package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// The steps for a charm author's own charm: tandem plays Juju's controller
// (config, actions) and checks what Juju would show (status, version,
// ports, the charm's log).

// withMessage is a status message, in double or single quotes.
const withMessage = `(?: with message (?:"(?P<message>[^"]*)"|'(?P<message>[^']*)'))?`

const (
	groupYourCharm       = "Your charm"
	groupYourCharmChecks = "Your charm's checks"
)

func yourCharmPhrases() []Phrase {
	g := groupYourCharm
	return []Phrase{
		{Group: g, Pattern: `^the charm in "(?P<path>[^"]*)"$`,
			Example: `Given the charm in "../fixtures/charms/snappass"`,
			Help: "The charm under test is your own: a charm directory (metadata.yaml or charmcraft.yaml, src/, requirements.txt, dispatch) or a packed .charm, " +
				"relative to the feature file. Its metadata gives the application, containers and storage; its requirements go into a venv cached by their hash.",
			Needs: spec.CapRealCharm,
			run: func(s *scenario, a []string, _ string) error {
				if err := s.beforeDeploy("declare the charm"); err != nil {
					return err
				}
				// A scenario that names its charm wins over --charm's.
				if s.charm.App != "" && !s.charmFromFlag {
					return fmt.Errorf("the scenario already declared charm %q", s.charm.App)
				}
				path := a[0]
				if !filepath.IsAbs(path) {
					path = filepath.Join(filepath.Dir(s.uri), path)
				}
				return s.useCharm(path)
			}},
		{Group: g, Pattern: `^the charm's config "(?P<option>[^"]*)" is "(?P<value>[^"]*)"$`,
			Example: `And the charm's config "port" is "5001"`,
			Help:    "Config set before the deploy (juju deploy --config): typed by the charm's config.yaml.",
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.charmBeforeDeploy("set config before the deploy")
				if err != nil {
					return err
				}
				v, err := c.Meta.ConfigValue(a[0], a[1])
				if err != nil {
					return err
				}
				if c.Config == nil {
					c.Config = map[string]any{}
				}
				c.Config[a[0]] = v
				return nil
			}},
		{Group: g, Pattern: `^the charm's resource "(?P<resource>[^"]*)" is "(?P<path>[^"]*)"$`,
			Example: `And the charm's resource "model" is "testdata/model.bin"`,
			Help: "A file attached to one of the charm's file resources before the deploy (juju deploy --resource), relative to the feature file: " +
				"resource-get gives where the unit finds it. A file resource nothing was attached to fails resource-get, as in Juju.",
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.charmBeforeDeploy("attach a resource")
				if err != nil {
					return err
				}
				if kind, ok := c.Meta.Resources[a[0]]; !ok || kind != "file" {
					return fmt.Errorf("charm %q has no file resource %q (its metadata's resources: section)", c.Meta.Name, a[0])
				}
				path := a[1]
				if !filepath.IsAbs(path) {
					path = filepath.Join(filepath.Dir(s.uri), path)
				}
				if _, err := os.Stat(path); err != nil {
					return fmt.Errorf("cannot attach resource %q: %w (the path is relative to the feature file)", a[0], err)
				}
				if c.Resources == nil {
					c.Resources = map[string]string{}
				}
				c.Resources[a[0]], _ = filepath.Abs(path)
				return nil
			}},
		{Group: g, Pattern: `^the model's update-status interval is (?P<duration>\S+)$`,
			Example: `And the model's update-status interval is 5s`,
			Help: "juju model-config update-status-hook-interval, before the deploy: each unit's agent runs update-status that often, from its start, " +
				"once for ticks that come while one waits. Off unless a scenario sets it; Juju's default is 5m, and it takes 1m to 60m, where tandem takes any interval of 1s or more, so a scenario need not wait minutes.",
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.charmBeforeDeploy("set the update-status interval")
				if err != nil {
					return err
				}
				d, err := parseWithin(a[0])
				if err != nil {
					return err
				}
				if d < time.Second {
					return fmt.Errorf("an update-status interval of %s is too short: take 1s or more", d)
				}
				c.UpdateStatus = d
				return nil
			}},
		{Group: g, Pattern: `^pebble-ready comes before config-changed at the deploy$`,
			Example: `Given pebble-ready comes before config-changed at the deploy`,
			Help: "Juju runs a workload's pebble-ready once its Pebble answers and the unit is idle, before config-changed where the Pebble answers early " +
				"(the uniter's resolver runs workload hooks first; canonical/pebble#52): the deploy then runs install, relation-created, leader-elected, " +
				"each pebble-ready, config-changed and start. Otherwise each pebble-ready comes after start.",
			run: func(s *scenario, _ []string, _ string) error {
				c, err := s.charmBeforeDeploy("set the deploy's hook order")
				if err != nil {
					return err
				}
				c.PebbleReadyFirst = true
				return nil
			}},
		{Group: g, Pattern: `^the operator sets config "(?P<option>[^"]*)" to "(?P<value>[^"]*)"$`,
			Example: `When the operator sets config "port" to "5002"`,
			Help:    "juju config: every unit gets config-changed.",
			run: func(s *scenario, a []string, _ string) error {
				op, c, err := s.operator()
				if err != nil {
					return err
				}
				v, err := c.Meta.ConfigValue(a[0], a[1])
				if err != nil {
					return err
				}
				return op.SetConfig(map[string]any{a[0]: v})
			}},
		{Group: g, Pattern: `^leadership moves to "(?P<unit>[^"]*)"$`,
			Example: `When leadership moves to "snappass/1"`,
			Help:    "The controller gives leadership to that unit (as when the leader's lease lapses): it gets leader-elected; the old leader no hook, as Juju has none for losing it.",
			run: func(s *scenario, a []string, _ string) error {
				op, _, err := s.operator()
				if err != nil {
					return err
				}
				id, err := s.aliveUnit(a[0])
				if err != nil {
					return err
				}
				return op.MoveLeader(id)
			}},
		{Group: g, Pattern: `^the application is scaled to (?P<n>\d+) units?$`,
			Example: `When the application is scaled to 3 units`,
			Help: "juju scale-application: new units come as at deploy, numbered on from the highest there has been, with the others as peers (each side gets joined and changed for the other); " +
				"the last units go, each running departed and broken for every relation, then stop and remove, the others getting departed for it. A leader that goes hands leadership to the first unit left. " +
				"Waits until every unit left is settled, as a deploy does.",
			run: func(s *scenario, a []string, _ string) error {
				op, _, err := s.operator()
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(a[0])
				if n < len(s.aliveUnits()) {
					s.scaledDown = s.sub.Clock().Now()
					s.beforeScaleDown = map[spec.UnitID]int{}
					for _, id := range s.aliveUnits() {
						events, err := s.sub.Events(id)
						if err != nil {
							return err
						}
						s.beforeScaleDown[id] = len(events)
					}
				}
				if err := op.Scale(n); err != nil {
					return err
				}
				alive := s.aliveUnits()
				for len(alive) < n {
					alive = append(alive, spec.NewUnitID(s.charm.App, s.units))
					s.units++
				}
				if s.removed == nil {
					s.removed = map[spec.UnitID]bool{}
				}
				for _, id := range alive[n:] {
					s.removed[id] = true
				}
				return s.settle(s.aliveUnits())
			}},
		{Group: g, Pattern: `^the operator runs action "(?P<action>[^"]*)"$`,
			Example: `When the operator runs action "get-url"`,
			Help:    "juju run: the action runs on the unit, after the hooks queued before it, and the step waits for it to end (its outcome is checked after).",
			run:     func(s *scenario, a []string, _ string) error { return s.runAction(a[0], "") }},
		{Group: g, Pattern: `^the operator runs action "(?P<action>[^"]*)" with params:$`, docYAML: true,
			Example: "When the operator runs action \"get-url\" with params:\n  \"\"\"\n  scheme: https\n  \"\"\"",
			Help:    "juju run with parameters, as YAML.",
			run:     func(s *scenario, a []string, doc string) error { return s.runAction(a[0], doc) }},
	}
}

func yourCharmCheckPhrases() []Phrase {
	g := groupYourCharmChecks
	return []Phrase{
		{Group: g, Pattern: `^the unit's status is "(?P<status>[^"]*)"` + withMessage + within + `$`,
			Example: `Then the unit's status is "active" with message "serving on 5000" within 10s`,
			Help:    "The unit's workload status as juju status shows it; \"error\" while a hook fails (message 'hook failed: \"install\"').",
			run: func(s *scenario, a []string, _ string) error {
				if a[0] == "error" {
					s.checkedHook("*")
				}
				return s.unitCheck(a[3], func(v spec.UnitView) error {
					st := v.UnitStatus
					if v.Error != "" {
						st = spec.Status{Status: "error", Message: v.Error}
					}
					return statusIs("the unit's", st, a[0], a[1]+a[2])
				})
			}},
		{Group: g, Pattern: `^the application's status is "(?P<status>[^"]*)"` + withMessage + within + `$`,
			Example: `Then the application's status is "active"`,
			Help:    "The application's status, as the leader set it.",
			run: func(s *scenario, a []string, _ string) error {
				return s.unitCheck(a[3], func(v spec.UnitView) error { return statusIs("the application's", v.AppStatus, a[0], a[1]+a[2]) })
			}},
		{Group: g, Pattern: `^the workload version is "(?P<version>[^"]*)"` + within + `$`,
			Example: `Then the workload version is "7.0.15"`,
			Help:    "What the charm set with application-version-set.",
			run: func(s *scenario, a []string, _ string) error {
				return s.unitCheck(a[1], func(v spec.UnitView) error {
					if v.Version != a[0] {
						return fmt.Errorf("the workload version of %s is %q, want %q", s.unit, v.Version, a[0])
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the charm's secret "(?P<label>[^"]*)" has "(?P<key>[^"]*)" set to "(?P<value>[^"]*)"` + within + `$`,
			Example: `Then the charm's secret "admin-password" has "password" set to "hunter2"`,
			Help:    "A secret the charm owns, by its label: the key's value in its newest revision.",
			run: func(s *scenario, a []string, _ string) error {
				return s.unitCheck(a[3], func(v spec.UnitView) error {
					var labels []string
					for _, sec := range v.Secrets {
						if sec.Label != a[0] {
							labels = append(labels, fmt.Sprintf("%q", sec.Label))
							continue
						}
						got, ok := sec.Latest().Content[a[1]]
						if !ok || got != a[2] {
							return fmt.Errorf("secret %q of %s (revision %d) has %q set to %q, want %q", a[0], s.unit, sec.Latest().Revision, a[1], got, a[2])
						}
						return nil
					}
					return fmt.Errorf("%s owns no secret labelled %q (its secrets' labels: %s)", s.unit, a[0], strings.Join(labels, ", "))
				})
			}},
		{Group: g, Pattern: `^the unit's opened ports are "(?P<ports>[^"]*)"` + within + `$`,
			Example: `Then the unit's opened ports are "5000/tcp"`,
			Help:    "The ports the charm opened, comma-separated (\"\" for none).",
			run: func(s *scenario, a []string, _ string) error {
				want := strings.Split(a[0], ",")
				if a[0] == "" {
					want = nil
				}
				return s.unitCheck(a[1], func(v spec.UnitView) error {
					if !slices.Equal(v.Ports, want) {
						return fmt.Errorf("the opened ports of %s are %q, want %q", s.unit, strings.Join(v.Ports, ","), a[0])
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the charm logged "(?P<text>[^"]*)"(?: (?P<n>\d+) times?)?` + within + `$`,
			Example: `Then the charm logged "Redis is up" within 10s`,
			Help: "A line the charm logged (ops' logging goes through juju-log), containing the text. " +
				"\"N times\": that many lines contain it (with \"within\", N or more by then): a line a new pod's charm logs again, say, as its stored state starts afresh.",
			run: func(s *scenario, a []string, _ string) error {
				want, _ := strconv.Atoi(a[1])
				return s.unitCheck(a[2], func(v spec.UnitView) error {
					n := 0
					for _, l := range v.Logs {
						if strings.Contains(l.Message, a[0]) {
							n++
						}
					}
					switch {
					case a[1] == "" && n > 0:
						return nil
					case a[1] == "":
						return fmt.Errorf("the charm of %s logged nothing containing %q", s.unit, a[0])
					case n == want || (n > want && a[2] != ""):
						return nil
					}
					return fmt.Errorf("the charm of %s logged %d lines containing %q, want %d", s.unit, n, a[0], want)
				})
			}},
		{Group: g, Pattern: `^the action (completed|failed)(?: with message "(?P<message>[^"]*)")?$`,
			Example: `Then the action failed with message "no such scheme"`,
			Help:    "How the last action ended; a failure's message is what the charm gave event.fail(), or the exit status.",
			run: func(s *scenario, a []string, _ string) error {
				res, err := s.lastAction()
				if err != nil {
					return err
				}
				if res.Status != a[0] {
					return fmt.Errorf("the action %s %s (message %q), want %s", res.Name, res.Status, res.Message, a[0])
				}
				if a[1] != "" && res.Message != a[1] {
					return fmt.Errorf("the action %s failed with message %q, want %q", res.Name, res.Message, a[1])
				}
				return nil
			}},
		{Group: g, Pattern: `^the action's result "(?P<key>[^"]*)" is "(?P<value>[^"]*)"$`,
			Example: `Then the action's result "url" is "http://127.0.0.1:5000"`,
			Help:    "One result the action set (event.set_results), a dotted key for a nested one.",
			run: func(s *scenario, a []string, _ string) error {
				res, err := s.lastAction()
				if err != nil {
					return err
				}
				var v any = res.Results
				for _, k := range strings.Split(a[0], ".") {
					m, ok := v.(map[string]any)
					if !ok {
						v = nil
						break
					}
					v = m[k]
				}
				if v != a[1] {
					return fmt.Errorf("the action %s's result %q is %v, want %q (results: %v)", res.Name, a[0], v, a[1], res.Results)
				}
				return nil
			}},
	}
}

// useCharm makes the scenario's charm a charm of your own.
func (s *scenario) useCharm(path string) error {
	c, err := charms.Open(path)
	if err != nil {
		return err
	}
	s.charm = spec.CharmSpecOf(c)
	s.unit = spec.NewUnitID(c.Meta.Name, 0)
	if err := c.Meta.CheckImageOverrides(s.cfg.Images); err != nil {
		return err
	}
	// Where the substrate runs images, each workload runs the one Juju
	// would (local has none: there the workload tool stands in).
	if slices.Contains(s.sub.Capabilities(), spec.CapImages) {
		for i := range s.charm.Containers {
			s.charm.Containers[i].Image, _ = c.Meta.WorkloadImage(s.charm.Containers[i].Name, s.cfg.Images)
		}
	}
	return nil
}

// relationsAtDeploy notes, once deployed, the relations made before: ops
// on them after name them by the controller's ids.
func (s *scenario) relationsAtDeploy() {
	if s.charm.Charm == nil {
		return
	}
	for _, op := range spec.InitialRelations(s.charm.Charm, nil) {
		if op.RemoteApp != s.charm.App {
			s.relations = append(s.relations, op)
		}
	}
}

func statusIs(whose string, st spec.Status, status, message string) error {
	if st.Status != status || (message != "" && st.Message != message) {
		return fmt.Errorf("%s status is %q with message %q, want %q%s", whose, st.Status, st.Message, status,
			map[bool]string{true: fmt.Sprintf(" with message %q", message)}[message != ""])
	}
	return nil
}

func (s *scenario) realCharm() (*spec.RealCharm, error) {
	if s.charm.Charm == nil {
		return nil, fmt.Errorf("no charm of your own: start with Given the charm in \"<path>\"")
	}
	return s.charm.Charm, nil
}

// charmBeforeDeploy is the charm of your own, for a step that sets what
// the deploy takes (what: the step's doing, for its error).
func (s *scenario) charmBeforeDeploy(what string) (*spec.RealCharm, error) {
	c, err := s.realCharm()
	if err != nil {
		return nil, err
	}
	return c, s.beforeDeploy(what)
}

// operator is the substrate as Juju's controller for the charm.
func (s *scenario) operator() (substrate.CharmOperator, *spec.RealCharm, error) {
	c, err := s.realCharm()
	if err != nil {
		return nil, nil, err
	}
	if err := s.afterDeploy(); err != nil {
		return nil, nil, err
	}
	op, ok := s.sub.(substrate.CharmOperator)
	if !ok {
		return nil, nil, fmt.Errorf("the %s substrate cannot run a charm of your own (it lacks real-charm)", s.sub.Name())
	}
	return op, c, nil
}

// aliveUnit is a unit a step names, if it is there.
func (s *scenario) aliveUnit(name string) (spec.UnitID, error) {
	for _, id := range s.aliveUnits() {
		if string(id) == name {
			return id, nil
		}
	}
	var names []string
	for _, id := range s.aliveUnits() {
		names = append(names, string(id))
	}
	return "", fmt.Errorf("there is no unit %q (the units are %s)", name, strings.Join(names, ", "))
}

func (s *scenario) unitCheck(withinArg string, cond func(spec.UnitView) error) error {
	op, _, err := s.operator()
	if err != nil {
		return err
	}
	return s.eventually(withinArg, func() error {
		v, err := op.UnitView(s.unit)
		if err != nil {
			return err
		}
		return cond(v)
	})
}

func (s *scenario) runAction(name, params string) error {
	op, c, err := s.operator()
	if err != nil {
		return err
	}
	if _, ok := c.Meta.Actions[name]; !ok {
		return fmt.Errorf("the charm %s has no action %q (its actions.yaml)", c.Meta.Name, name)
	}
	var p map[string]any
	if params != "" {
		if err := yaml.Unmarshal([]byte(params), &p); err != nil {
			return fmt.Errorf("cannot read the action's params: %v", err)
		}
	}
	res, err := op.RunAction(s.unit, name, p)
	if err != nil {
		return err
	}
	s.action = &res
	return nil
}

func (s *scenario) lastAction() (*spec.ActionResult, error) {
	if s.action == nil {
		return nil, fmt.Errorf("no action ran: add When the operator runs action \"<name>\" first")
	}
	return s.action, nil
}
