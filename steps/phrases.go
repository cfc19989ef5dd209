package steps

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/conformance"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func charmPhrases() []Phrase {
	g := "The charm"
	return []Phrase{
		{Group: g, Pattern: `^a charm "(?P<app>[^"]*)" with (?:a )?workload containers? (?P<containers>.+)$`,
			Example: `Given a charm "snappass" with workload containers "redis" and "snappass"`,
			Help:    "Starts the charm spec: its application name and its workload containers (each a quoted name).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.beforeDeploy("declare the charm"); err != nil {
					return err
				}
				if s.charm.App != "" {
					return fmt.Errorf("the scenario already declared charm %q", s.charm.App)
				}
				names := quoted(a[1])
				if len(names) == 0 {
					return fmt.Errorf("no container names: quote each, as in: with workload containers \"redis\" and \"web\"")
				}
				s.charm.App = a[0]
				for _, n := range names {
					s.charm.Containers = append(s.charm.Containers, spec.Container{Name: n})
				}
				s.unit = spec.NewUnitID(a[0], 0)
				return nil
			}},
		{Group: g, Pattern: `^container "(?P<container>[^"]*)" runs image "(?P<image>[^"]*)"$`,
			Example: `And container "redis" runs image "tandem/redis:3f2a9c"`,
			Help:    "Names the image of a workload container (real substrates; the model ignores it). Without it, tandem's workload image is used.",
			Needs:   spec.CapImages,
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.specContainer(a[0])
				if err != nil {
					return err
				}
				c.Image = a[1]
				return nil
			}},
		{Group: g, Pattern: `^container "(?P<container>[^"]*)" ships layer file "(?P<file>[^"]*)":$`, docYAML: true,
			Example: "And container \"redis\" ships layer file \"001-redis.yaml\":\n  \"\"\"\n  services:\n    redis:\n      override: replace\n      command: /usr/bin/workload --tcp=6379\n  \"\"\"",
			Help:    "A layer the image ships in /var/lib/pebble/default/layers; PEBBLE_COPY_ONCE copies it into $PEBBLE at the first start (R4.7).",
			run: func(s *scenario, a []string, doc string) error {
				c, err := s.specContainer(a[0])
				if err != nil {
					return err
				}
				if c.Layers == nil {
					c.Layers = map[string]string{}
				}
				c.Layers[a[1]] = doc
				return nil
			}},
		{Group: g, Pattern: `^container "(?P<container>[^"]*)" has file "(?P<path>[^"]*)":$`,
			Example: "And container \"web\" has file \"/etc/passwd\":\n  \"\"\"\n  root:x:0:0:root:/root:/bin/sh\n  alice:x:1000:1000::/home/alice:/bin/sh\n  \"\"\"",
			Help:    "A file the image holds (an /etc/passwd with the users a scenario names, say).",
			run: func(s *scenario, a []string, doc string) error {
				c, err := s.specContainer(a[0])
				if err != nil {
					return err
				}
				if c.Files == nil {
					c.Files = map[string]string{}
				}
				c.Files[a[1]] = doc
				return nil
			}},
		{Group: g, Pattern: `^program "(?P<program>[^"]*)" in container "(?P<container>[^"]*)" behaves like the workload tool with "(?P<flags>[^"]*)"$`,
			Example: `And program "/usr/bin/redis-server" in container "redis" behaves like the workload tool with "--tcp=6379"`,
			Help:    "Tells the model what a program other than the workload tool does, in the workload tool's flags. Real substrates run the program itself.",
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.specContainer(a[1])
				if err != nil {
					return err
				}
				words, err := spec.SplitCommand(a[2])
				if err != nil {
					return err
				}
				b, err := spec.ParseWorkloadArgs(words)
				if err != nil {
					return err
				}
				if c.Programs == nil {
					c.Programs = map[string]spec.Behaviour{}
				}
				c.Programs[a[0]] = b
				return nil
			}},
		{Group: g, Pattern: `^the charm has storage "(?P<storage>[^"]*)" mounted in "(?P<container>[^"]*)" at "(?P<path>[^"]*)"$`,
			Example: `And the charm has storage "data" mounted in "redis" at "/var/lib/redis"`,
			Help:    "Filesystem storage: a volume claim per unit that outlives its pods (and, on kind's local-path, pins the unit to a node).",
			Needs:   spec.CapStorage,
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.specContainer(a[1])
				if err != nil {
					return err
				}
				found := false
				for _, st := range s.charm.Storage {
					found = found || st.Name == a[0]
				}
				if !found {
					s.charm.Storage = append(s.charm.Storage, spec.Storage{Name: a[0], Size: "1Gi"})
				}
				c.Mounts = append(c.Mounts, spec.Mount{Storage: a[0], Location: a[2]})
				return nil
			}},
		{Group: g, Pattern: `^the steps act on unit "(?P<unit>[^"]*)"$`,
			Example: `Given the steps act on unit "snappass/1"`,
			Help:    "Makes later steps act on and check this unit instead of <app>/0.",
			run: func(s *scenario, a []string, _ string) error {
				u, err := spec.ParseUnitID(a[0])
				if err != nil {
					return err
				}
				if s.charm.App != "" && u.App() != s.charm.App {
					return fmt.Errorf("unit %q is not of charm %q", a[0], s.charm.App)
				}
				s.unit = u
				return nil
			}},
	}
}

func (s *scenario) specContainer(name string) (*spec.Container, error) {
	if err := s.beforeDeploy("change the charm"); err != nil {
		return nil, err
	}
	if s.charm.App == "" {
		return nil, fmt.Errorf("declare the charm first: Given a charm \"<app>\" with workload containers \"<name>\"")
	}
	return s.container(name)
}

// action is a charm action phrase, usable as a handler ("on <event>, the
// charm ...") and as a step of its own ("the charm ...").
type action struct {
	pattern, example, help string
	build                  func(a []string, doc string) (spec.Action, error)
}

// handlerOnlyActions are what only the charm's code can do, in its
// container: they have handler phrases, and no "the charm ..." phrase.
func handlerOnlyActions() []action {
	return []action{
		{`connects to port (?P<port>\d+) of "(?P<container>[^"]*)" on localhost`, `connects to port 6379 of "redis" on localhost`,
			"Opens a TCP connection, from the charm container, to a workload's port on localhost: the pod's containers share one network namespace (R1.6). Refused where nothing listens. Only in a handler: the charm runs in its container, the scenario does not.",
			func(a []string, _ string) (spec.Action, error) {
				port, err := strconv.Atoi(a[0])
				if err != nil {
					return spec.Action{}, err
				}
				return spec.Action{Kind: spec.ActConnect, Port: port, Container: a[1]}, nil
			}},
	}
}

func handlerOnly(act action) bool {
	for _, h := range handlerOnlyActions() {
		if h.pattern == act.pattern {
			return true
		}
	}
	return false
}

func actions() []action {
	return []action{
		{`adds layer "(?P<layer>[^"]*)" to "(?P<container>[^"]*)":`, "adds layer \"redis\" to \"redis\":\n  \"\"\"\n  services:\n    redis:\n      override: replace\n      startup: enabled\n      command: /usr/bin/workload --tcp=6379\n  \"\"\"",
			"Adds a layer through Pebble's API (R4.5): appended after the last; an existing label is an error.",
			func(a []string, doc string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActAddLayer, Label: a[0], Container: a[1], Layer: doc}, nil
			}},
		{`combines layer "(?P<layer>[^"]*)" into "(?P<container>[^"]*)":`, "combines layer \"redis\" into \"redis\":\n  \"\"\"\n  services:\n    redis:\n      override: merge\n      environment: {MODE: fast}\n  \"\"\"",
			"Adds a layer with combine set: an existing label is merged into.",
			func(a []string, doc string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActAddLayer, Label: a[0], Container: a[1], Layer: doc, Combine: true}, nil
			}},
		{`replans "(?P<container>[^"]*)"`, `replans "redis"`, "Replans the container's Pebble (R5.6).",
			func(a []string, _ string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActReplan, Container: a[0]}, nil
			}},
		{`(starts|stops|restarts) (?P<services>.+) in "(?P<container>[^"]*)"`, `starts "redis" in "redis"`, "Starts, stops or restarts the quoted services.",
			func(a []string, _ string) (spec.Action, error) {
				kind := map[string]spec.ActionKind{"starts": spec.ActStart, "stops": spec.ActStop, "restarts": spec.ActRestart}[a[0]]
				names := quoted(a[1])
				if len(names) == 0 {
					return spec.Action{}, fmt.Errorf("no service names: quote each, as in: starts \"redis\" in \"redis\"")
				}
				return spec.Action{Kind: kind, Services: names, Container: a[2]}, nil
			}},
		{`pushes "(?P<path>[^"]*)" to "(?P<container>[^"]*)"(?: with permissions (?P<mode>\d+))?(?: owned by "(?P<user>[^"]*)"(?: and group "(?P<group>[^"]*)")?)?( making parent directories)?:`,
			"pushes \"/etc/redis.conf\" to \"redis\" with permissions 600 owned by \"alice\" making parent directories:\n  \"\"\"\n  port 6379\n  \"\"\"",
			"Pushes a file (R7.1): default mode 644; parents made 755 and owned by the user when asked.",
			func(a []string, doc string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActPush, Path: a[0], Container: a[1], Permissions: a[2], User: a[3], Group: a[4], MakeDirs: a[5] != "", Content: doc}, nil
			}},
		{`makes directory "(?P<path>[^"]*)" in "(?P<container>[^"]*)"(?: with permissions (?P<mode>\d+))?(?: owned by "(?P<user>[^"]*)")?( making parent directories)?`,
			`makes directory "/srv/data/cache" in "redis" with permissions 700 making parent directories`,
			"Makes a directory (R7.2).",
			func(a []string, _ string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActMakeDir, Path: a[0], Container: a[1], Permissions: a[2], User: a[3], MakeDirs: a[4] != ""}, nil
			}},
		{`removes "(?P<path>[^"]*)" from "(?P<container>[^"]*)"( recursively)?`, `removes "/srv/data" from "redis" recursively`, "Removes a path (R7.2).",
			func(a []string, _ string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActRemove, Path: a[0], Container: a[1], Recursive: a[2] != ""}, nil
			}},
		{`runs "(?P<command>[^"]*)" in "(?P<container>[^"]*)"`, `runs "/usr/bin/workload --exit-after=0s --print=pong" in "redis"`,
			"Runs a command with Pebble's exec and waits for it; a non-zero exit is the action's error.",
			func(a []string, _ string) (spec.Action, error) {
				words, err := spec.SplitCommand(a[0])
				if err != nil {
					return spec.Action{}, err
				}
				return spec.Action{Kind: spec.ActExec, Command: words, Container: a[1]}, nil
			}},
		{`records custom notice "(?P<key>[^"]*)" in "(?P<container>[^"]*)"`, `records custom notice "example.com/backup-done" in "redis"`,
			"Records a custom Pebble notice; the charm gets <container>-pebble-custom-notice (R2.2).",
			func(a []string, _ string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActNotify, Key: a[0], Container: a[1]}, nil
			}},
		{`sends (?P<signal>SIG[A-Z0-9]+) to "(?P<service>[^"]*)" in "(?P<container>[^"]*)"`, `sends SIGHUP to "redis" in "redis"`,
			"Sends a signal to a running service through Pebble.",
			func(a []string, _ string) (spec.Action, error) {
				return spec.Action{Kind: spec.ActSignal, Signal: a[0], Services: []string{a[1]}, Container: a[2]}, nil
			}},
	}
}

func actionPhrases() []Phrase {
	g := "The charm's handlers and actions"
	var out []Phrase
	for _, act := range append(actions(), handlerOnlyActions()...) {
		act := act
		first, rest, _ := strings.Cut(act.example, "\n")
		if rest != "" {
			rest = "\n" + rest
		}
		layer := strings.Contains(act.pattern, ` layer "`)
		out = append(out, Phrase{Group: g, Pattern: `^on "(?P<event>[^"]*)",? the charm ` + act.pattern + `$`, docYAML: layer,
			Example: `And on "redis-pebble-ready", the charm ` + first + rest,
			Help:    "Handler: when the event fires, the charm " + strings.TrimSuffix(strings.ToLower(act.help[:1])+act.help[1:], ".") + ". Handlers of one event run in the order written, one hook at a time, as ops runs them: a replan, start, stop or restart waits for its change (up to 30 s), and the first error ends the hook.",
			run: func(s *scenario, a []string, doc string) error {
				if err := s.beforeDeploy("add a handler"); err != nil {
					return err
				}
				if s.charm.App == "" {
					return fmt.Errorf("declare the charm first: Given a charm \"<app>\" with workload containers \"<name>\"")
				}
				built, err := act.build(a[1:], doc)
				if err != nil {
					return err
				}
				for i := range s.charm.Handlers {
					if s.charm.Handlers[i].Event == a[0] {
						s.charm.Handlers[i].Actions = append(s.charm.Handlers[i].Actions, built)
						return nil
					}
				}
				s.charm.Handlers = append(s.charm.Handlers, spec.Handler{Event: a[0], Actions: []spec.Action{built}})
				return nil
			}})
		if handlerOnly(act) {
			continue
		}
		out = append(out, Phrase{Group: g, Pattern: `^the charm ` + act.pattern + `$`, docYAML: layer,
			Example: `When the charm ` + first + rest,
			Help:    "Now, on the unit: the charm " + strings.TrimSuffix(strings.ToLower(act.help[:1])+act.help[1:], ".") + ". It does not wait for a change it starts (a check says what to wait for). If it fails, a later step must say so (the charm's last action failed with ...).",
			run: func(s *scenario, a []string, doc string) error {
				built, err := act.build(a, doc)
				if err != nil {
					return err
				}
				return s.do(built)
			}})
	}
	return out
}

func deployPhrases() []Phrase {
	return []Phrase{
		{Group: "Deploying", Pattern: `^the charm is deployed(?: as (?P<units>\d+) units?)?(?: on (?P<nodes>\d+) nodes?)?( without waiting)?$`,
			Example: `When the charm is deployed as 3 units on 2 nodes`,
			Needs:   spec.CapNodes, needsWhen: "on more than one node",
			needsIf: func(a []string) bool { n, _ := strconv.Atoi(a[1]); return n > 1 },
			Help:    "Checks the spec (the model's consistency check) and deploys it, one unit on one node unless said, then waits until every unit is settled: each workload's Pebble answers and the charm has had each pebble-ready (as juju wait-for would). \"without waiting\" returns at once, for what happens before (R2.6).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.beforeDeploy("deploy"); err != nil {
					return err
				}
				units, nodes := 1, 1
				if a[0] != "" {
					units, _ = strconv.Atoi(a[0])
				}
				if a[1] != "" {
					nodes, _ = strconv.Atoi(a[1])
				}
				if err := conformance.CheckSpec(&s.charm); err != nil {
					return err
				}
				if err := s.sub.Deploy(s.ctx, &s.charm, units, nodes); err != nil {
					return err
				}
				s.deployed, s.units = true, units
				s.relationsAtDeploy()
				if a[2] != "" {
					return nil
				}
				return s.settle(s.aliveUnits())
			}},
		{Group: "Deploying", Pattern: `^the charm is deployed the podspec way on (?P<nodes>\d+) nodes?$`,
			Example: `When the charm is deployed the podspec way on 2 nodes`,
			Needs:   spec.CapNodes,
			Help:    "The contrast to a sidecar unit (R1.6): the older pattern, the charm in an operator pod and its workload in a pod of its own, which required anti-affinity keeps off the operator's node. Waits until both pods are scheduled or one cannot be.",
			run: func(s *scenario, a []string, _ string) error {
				pd, ok := s.sub.(substrate.PodspecDeployer)
				if !ok {
					return fmt.Errorf("the %s substrate cannot deploy podspec pods (tag the scenario @needs-nodes)", s.sub.Name())
				}
				nodes, _ := strconv.Atoi(a[0])
				if err := pd.DeployPodspec(s.ctx, &s.charm, nodes); err != nil {
					return err
				}
				s.podspec = true
				return nil
			}},
		{Group: "Deploying", Pattern: `^(?P<duration>(?:\d+(?:\.\d+)?(?:ms|s|m|h))+) pass(?:es)?$`,
			Example: `When 1m30s pass`,
			Help: "Lets time pass on the substrate's clock (virtual on sim). The checks that follow at once are made at the end of " +
				"that time: on a real substrate, where a sleep can overshoot, they see what was observed by then and not after.",
			run: func(s *scenario, a []string, _ string) error {
				d, err := parseWithin(a[0])
				if err != nil {
					return err
				}
				if s.sub == nil {
					return fmt.Errorf("no substrate")
				}
				end := s.sub.Clock().Now() + d
				s.sub.Clock().Sleep(d)
				s.at = end
				return nil
			}},
	}
}

// settleTimeout bounds how long deploying waits for the units to settle.
const settleTimeout = 3 * time.Minute

// settle waits until every unit's workloads answer and its charm has had
// each pebble-ready, so a scenario's next step does not race the unit's
// start (the flakiness charm authors meet on real clusters).
func (s *scenario) settle(units []spec.UnitID) error {
	var last, stuck error
	ok := spec.WaitFor(s.sub.Clock(), settleTimeout, s.pollStep(), func() bool {
		last = nil
		if st, ok := s.sub.(substrate.Stuck); ok {
			if stuck = st.Err(); stuck != nil {
				return true
			}
		}
		for _, u := range units {
			if last != nil {
				break
			}
			events, err := s.sub.Events(u)
			if err != nil {
				last = err
				break
			}
			// A unit in error will not settle by itself: say why now, as
			// juju wait-for does, rather than at the timeout.
			if stuck = s.hookError(u, events); stuck != nil {
				return true
			}
			seen := map[string]bool{}
			for _, e := range events {
				seen[e.Name] = true
			}
			for _, c := range s.charm.ContainerNames() {
				if !seen[spec.PebbleReady(c)] {
					last = fmt.Errorf("unit %s has not had %s", u, spec.PebbleReady(c))
					break
				}
				pc, err := s.sub.Pebble(u, c)
				if err == nil && !spec.CanConnect(pc) {
					err = fmt.Errorf("its Pebble does not answer")
				}
				if err != nil {
					last = fmt.Errorf("the charm of %s cannot connect to %s: %v", u, c, err)
					break
				}
			}
		}
		return last == nil
	})
	if stuck != nil {
		return fmt.Errorf("the units cannot settle: %w", stuck)
	}
	if !ok {
		return fmt.Errorf("the units did not settle within %s: %v", settleTimeout, last)
	}
	return nil
}
