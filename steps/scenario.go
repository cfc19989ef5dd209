package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/tandem-harness/tandem/conformance"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// Config is what Register needs to run scenarios.
type Config struct {
	// Substrate names the substrate every scenario runs on.
	Substrate string
	// Seed drives the model's random choices.
	Seed int64
	// RunID labels what the run creates.
	RunID string
	// Reference diffs each real run against the model (default on for
	// real substrates in the CLI).
	Reference bool
	// Artifacts, when set, is where each scenario's trace is kept; a
	// failed scenario's trace is kept there whatever KeepAll says.
	Artifacts string
	KeepAll   bool
	// OnResult, when set, hears each scenario's outcome (the CLI's
	// summaries and skip reasons).
	OnResult func(Result)
	// Charm, when set, is a charm of your own every scenario runs, as if
	// each began with Given the charm in "Charm".
	Charm string
	// Images names the image a charm of your own's workload container
	// runs, by container or by its oci-image resource (--image NAME=REF),
	// over the resource's upstream-source, where the substrate runs
	// images.
	Images map[string]string
	// Recorded puts each scenario's trace in its Result, for a report
	// that draws it (the HTML report).
	Recorded bool
}

// Result is one scenario's outcome.
type Result struct {
	Name string
	URI  string
	// ID is the scenario's place in its file (the ids of its Gherkin
	// nodes): the same from run to run, and apart for each row of a
	// Scenario Outline, whose rows share a name.
	ID       string
	Status   string // passed, failed, skipped
	Reason   string // why skipped
	Err      error
	Trace    string // where its trace was kept, if it was
	Logs     string // where its containers' logs or hooks' output were kept, if they were
	Duration time.Duration
	// Recorded is the run's trace, for a report that draws it (nil for
	// a scenario that was skipped).
	Recorded *spec.Trace
	// Notes are what its steps saw and report whether it passed or not
	// (the status a unit settled in, what the charm did when a check
	// failed).
	Notes []string
}

// scenario is the state of one running scenario.
type scenario struct {
	cfg      Config
	ctx      context.Context
	sub      substrate.Substrate
	name     string
	charm    spec.CharmSpec
	deployed bool
	podspec  bool // the charm was deployed the podspec way too
	unit     spec.UnitID
	actions  []spec.Action
	// lastErr is the last scenario action's error; an error no step
	// checked fails the scenario at its end.
	lastErr     error
	lastErrStep string
	checked     bool
	exec        *spec.ExecResult
	action      *spec.ActionResult   // the last action the operator ran
	uri         string               // the feature file, for paths relative to it
	units       int                  // how many units there have been (deployed, then scaled)
	removed     map[spec.UnitID]bool // the units scaling took away
	// scaledDown is when scaling last took units away, and beforeScaleDown
	// how many events each unit had had then: its hooks that began after
	// both are the dying ones. (The time leaves out a hook a real agent
	// was running then and lists once it ends; the count, on sim, where
	// hooks take no time, those that ran at the scale-down's instant.)
	scaledDown      time.Duration
	beforeScaleDown map[spec.UnitID]int
	relations       []spec.RelationOp // the relations made after the deploy
	logs            string            // where this scenario's logs were kept, if they were
	// charmFromFlag: the charm is --charm's, which the scenario may name
	// another in place of.
	charmFromFlag bool
	// hooksChecked are the hooks a step looked at ("unit|event", or
	// "unit|*" for the unit's error status): a failure of one of them is
	// not a surprise.
	hooksChecked map[string]bool
	failedNode   string
	nodeBefore   string
	// at is the instant on the substrate's clock a check without
	// "within" is made at, when it is not now: the end of "D pass".
	at time.Duration
	// noted is the unit's state a duty step noted, afterKills the states
	// after each container killed in turn, notes what steps report.
	noted      *unitState
	afterKills []killed
	notes      []string
}

// now is scenario.at's value for "the instant the step runs".
const now = time.Duration(-1)

// Register adds tandem's steps and hooks to sc: call it from a godog
// ScenarioInitializer. Each scenario gets its own substrate.
func Register(sc *godog.ScenarioContext, cfg Config) {
	s := &scenario{cfg: cfg}
	for _, p := range Vocabulary() {
		bind(sc, s, p)
	}
	var started time.Time
	sc.Before(func(ctx context.Context, pickle *godog.Scenario) (context.Context, error) {
		started = time.Now()
		s.ctx, s.name, s.at, s.uri, s.action = ctx, pickle.Name, now, pickle.Uri, nil
		s.noted, s.afterKills, s.notes, s.scaledDown, s.beforeScaleDown = nil, nil, nil, 0, nil
		// A scenario that cannot start is reported failed here: After
		// reports only what had a substrate, and a caller counts and
		// prints what it hears of.
		cannotStart := func(err error) (context.Context, error) {
			s.report(pickle, "failed", "", err, "", nil, started)
			return ctx, err
		}
		need, err := needs(pickle.Tags)
		if err != nil {
			return cannotStart(fmt.Errorf("%s: %w", pickle.Uri, err))
		}
		// A scenario of your own charm needs a substrate that runs one.
		if cfg.Charm != "" {
			need = append(need, spec.CapRealCharm)
		}
		// And what its steps need, with no tag to say so.
		for _, st := range pickle.Steps {
			for _, c := range StepNeeds(st.Text) {
				if !slices.Contains(need, c) {
					need = append(need, c)
				}
			}
		}
		if reason := substrate.SkipReason(cfg.Substrate, need); reason != "" {
			s.report(pickle, "skipped", reason, nil, "", nil, started)
			return ctx, godog.ErrSkip
		}
		sub, err := substrate.New(ctx, cfg.Substrate, substrate.Options{Seed: cfg.Seed, Scenario: pickle.Name, RunID: cfg.RunID})
		if err != nil {
			return cannotStart(err)
		}
		s.sub = sub
		if cfg.Charm != "" {
			if err := s.useCharm(cfg.Charm); err != nil {
				return ctx, fmt.Errorf("--charm: %w", err)
			}
			s.charmFromFlag = true
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, pickle *godog.Scenario, stepErr error) (context.Context, error) {
		if s.sub == nil {
			return ctx, nil
		}
		// err is what this hook finds wrong beyond the failed step, if any;
		// the step's own error godog reports already.
		var err error
		if stepErr == nil && s.charm.Charm != nil && s.deployed {
			err = s.uncheckedHookFailure()
		}
		if stepErr != nil && s.charm.Charm != nil && s.deployed && !strings.Contains(stepErr.Error(), "is in error (hook failed") {
			// A failed step may be the effect of a hook that failed: show
			// the cause beside it (unless the step's message shows it).
			s.catchUp()
			if failures := s.hookFailures(); failures != "" {
				err = fmt.Errorf("meanwhile, %s", failures)
			}
		}
		// The logs go before the pod does; whether the scenario failed is
		// known for sure only after the comparison, so a charm of your
		// own's are kept, and dropped below if it passed.
		logs := ""
		if k, ok := s.sub.(substrate.LogKeeper); ok && s.cfg.Artifacts != "" && (stepErr != nil || err != nil || s.cfg.KeepAll || s.charm.Charm != nil) {
			logs = filepath.Join(s.cfg.Artifacts, artifactName(pickle)+".logs")
			k.KeepLogs(logs)
		}
		if cerr := s.sub.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("cannot tear down: %w", cerr)
		}
		substrate.Forget(s.sub)
		if stepErr == nil && err == nil && s.lastErr != nil && !s.checked {
			err = fmt.Errorf("the charm's action %q failed and no step checked it: %v (check it with: Then the charm's last action failed with \"...\")", s.lastErrStep, s.lastErr)
		}
		trace := s.sub.Trace()
		if stepErr == nil && err == nil && s.cfg.Reference && s.sub.Name() != "sim" && s.deployed {
			diffs, sideBySide, cerr := conformance.Compare(trace)
			switch {
			case cerr != nil:
				err = fmt.Errorf("cannot compare with the model: %w", cerr)
			case len(diffs) > 0:
				var lines []string
				for _, d := range diffs {
					lines = append(lines, "  "+d.String())
				}
				err = fmt.Errorf("the run disagrees with the model:\n%s\n(not compared: %s)\n%s", strings.Join(lines, "\n"),
					strings.Join(conformance.Uncounted(trace), "; "), sideBySide)
			}
		}
		failed := err != nil || stepErr != nil
		if logs != "" && !failed && !s.cfg.KeepAll {
			os.RemoveAll(logs)
		}
		if _, err := os.Stat(logs); logs != "" && err != nil {
			logs = "" // nothing was kept
		}
		s.logs = logs
		kept := ""
		if s.cfg.Artifacts != "" && (s.cfg.KeepAll || failed) {
			kept = keepTrace(s.cfg.Artifacts, pickle, trace)
		}
		status := "passed"
		if failed {
			status = "failed"
		}
		if err == nil {
			s.report(pickle, status, "", stepErr, kept, trace, started)
			return ctx, nil
		}
		// The step's error first, then what this hook adds to it.
		s.report(pickle, status, "", errors.Join(stepErr, err), kept, trace, started)
		return ctx, err
	})
}

func (s *scenario) report(p *godog.Scenario, status, reason string, err error, kept string, recorded *spec.Trace, started time.Time) {
	if s.cfg.OnResult == nil {
		return
	}
	if !s.cfg.Recorded {
		recorded = nil
	}
	s.cfg.OnResult(Result{Name: p.Name, URI: p.Uri, ID: strings.Join(p.AstNodeIds, ","), Status: status, Reason: reason, Err: err,
		Trace: kept, Logs: s.logs, Duration: time.Since(started), Recorded: recorded, Notes: s.notes})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactName names a scenario's files in the artifacts directory; the
// pickle id keeps the rows of a Scenario Outline apart.
func artifactName(p *godog.Scenario) string {
	return strings.Trim(unsafeName.ReplaceAllString(filepath.Base(p.Uri)+"-"+p.Name+"-"+p.Id, "-"), "-")
}

func keepTrace(dir string, p *godog.Scenario, t *spec.Trace) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	path := filepath.Join(dir, artifactName(p)+".trace.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if spec.WriteTrace(f, t) != nil {
		return ""
	}
	return path
}

// needs reads @needs-<capability> tags.
func needs(tags []*messages.PickleTag) ([]spec.Capability, error) {
	var out []spec.Capability
	for _, t := range tags {
		name, ok := strings.CutPrefix(t.Name, "@needs-")
		if !ok {
			continue
		}
		c, ok := spec.ParseCapability(name)
		if !ok {
			var all []string
			for _, c := range spec.AllCapabilities {
				all = append(all, "@needs-"+string(c))
			}
			return nil, fmt.Errorf("unknown capability tag %s: want one of %s", t.Name, strings.Join(all, ", "))
		}
		out = append(out, c)
	}
	return out, nil
}

// --- helpers the phrases share -----------------------------------------

func (s *scenario) beforeDeploy(what string) error {
	if s.deployed {
		return fmt.Errorf("cannot %s: the charm is already deployed; declare the charm before \"When the charm is deployed\"", what)
	}
	return nil
}

func (s *scenario) afterDeploy() error {
	if !s.deployed {
		return fmt.Errorf("the charm is not deployed yet: add \"When the charm is deployed\" before this step")
	}
	return nil
}

// container returns the spec's container, creating nothing.
func (s *scenario) container(name string) (*spec.Container, error) {
	c, ok := s.charm.Container(name)
	if !ok {
		return nil, fmt.Errorf("unknown container %q: the charm has %s", name, strings.Join(s.charm.ContainerNames(), ", "))
	}
	return c, nil
}

// checkedHook notes that a step looked at how a hook went ("*": any hook
// of the unit).
func (s *scenario) checkedHook(event string) {
	if s.hooksChecked == nil {
		s.hooksChecked = map[string]bool{}
	}
	s.hooksChecked[string(s.unit)+"|"+event] = true
}

// hookError is, for a charm of your own whose unit is in error, the hook
// it failed on with its traceback; nil otherwise (a declared charm's
// handler errors are no hook failures: it has no error state).
func (s *scenario) hookError(unit spec.UnitID, events []spec.Event) error {
	op, ok := s.sub.(substrate.CharmOperator)
	if s.charm.Charm == nil || !ok {
		return nil
	}
	v, err := op.UnitView(unit)
	if err != nil || v.Error == "" {
		return nil
	}
	// The unit went into error after the hook was logged: catch the event
	// log up to see it.
	s.catchUp()
	if all, err := s.sub.Events(unit); err == nil {
		events = all
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Exit != 0 {
			return fmt.Errorf("%s is in error (%s):\n%s", unit, v.Error, strings.Join(e.Errors, "\n"))
		}
	}
	return fmt.Errorf("%s is in error (%s)", unit, v.Error)
}

// hookFailures are the failed hooks of a charm of your own, each with its
// traceback: what a failed step's message needs beside it to show the
// cause.
func (s *scenario) hookFailures() string {
	var out []string
	for i := 0; i < s.units; i++ {
		unit := spec.NewUnitID(s.charm.App, i)
		events, err := s.sub.Events(unit)
		if err != nil {
			continue
		}
		for _, e := range events {
			if e.Exit != 0 {
				out = append(out, fmt.Sprintf("the charm's %s hook failed on %s at %s:\n%s", e.Name, unit, e.At.Round(time.Millisecond), strings.Join(e.Errors, "\n")))
				break // its retries fail alike
			}
		}
	}
	return strings.Join(out, "\n")
}

// uncheckedHookFailure is the first hook of a charm of your own that
// failed when no step expected one: the scenario fails with its traceback.
func (s *scenario) uncheckedHookFailure() error {
	s.catchUp()
	for i := 0; i < s.units; i++ {
		unit := spec.NewUnitID(s.charm.App, i)
		events, err := s.sub.Events(unit)
		if err != nil {
			continue
		}
		for _, e := range events {
			if len(e.Errors) > 0 && !s.hooksChecked[string(unit)+"|"+e.Name] && !s.hooksChecked[string(unit)+"|*"] {
				return fmt.Errorf("the charm's %s hook failed on %s, and no step checked it (say so with: Then the charm's %q handler failed with \"...\"):\n%s",
					e.Name, unit, e.Name, strings.Join(e.Errors, "\n"))
			}
		}
	}
	return nil
}

// aliveUnits are the units deployed or added by scaling, and not taken
// away by it.
func (s *scenario) aliveUnits() []spec.UnitID {
	var out []spec.UnitID
	for i := 0; i < s.units; i++ {
		if id := spec.NewUnitID(s.charm.App, i); !s.removed[id] {
			out = append(out, id)
		}
	}
	return out
}

// do performs an action as the scenario, after the consistency check.
func (s *scenario) do(a spec.Action) error {
	if err := s.afterDeploy(); err != nil {
		return err
	}
	if err := conformance.CheckAction(&s.charm, a, s.actions...); err != nil {
		var refused *spec.PebbleRefuses
		if !errors.As(err, &refused) {
			return err
		}
		// Pebble itself refuses this: the scenario is checking that.
	}
	s.actions = append(s.actions, a)
	var err error
	if a.Kind == spec.ActExec {
		var res spec.ExecResult
		res, err = s.sub.Exec(s.unit, a.Container, a.Command)
		s.exec = &res
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("exit status %d", res.ExitCode)
		}
	} else {
		err = s.sub.Do(s.unit, a)
	}
	s.lastErr, s.lastErrStep, s.checked = err, a.String(), false
	return nil
}

func (s *scenario) pod() (substrate.Pod, error) {
	pods, err := s.sub.Pods()
	if err != nil {
		return substrate.Pod{}, err
	}
	for _, p := range pods {
		if p.Unit == s.unit {
			return p, nil
		}
	}
	return substrate.Pod{}, fmt.Errorf("unit %s has no pod", s.unit)
}

// quoted returns every "..." in text.
func quoted(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

func errorKind(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return ""
}
