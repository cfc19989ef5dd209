// Package conformance is where a run meets the reference model: the
// consistency check every scenario passes before it runs, and the
// comparison of a real run's trace with the model's replay of it. It is
// the one package above simulator/ that steps/ and cmd/ call for the
// model's judgement; substrate/ and steps/ import nothing of simulator/.
package conformance

import (
	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// Disagreement is one way a run differs from the model, under a rule.
type Disagreement = simulator.Disagreement

// CheckSpec rejects a charm spec no unit could run (the model's
// consistency check), before anything runs.
func CheckSpec(cs *spec.CharmSpec) error { return simulator.CheckSpec(cs) }

// CheckAction rejects an action no unit of cs could take, given the
// actions a scenario took before it. An error that is a
// *spec.PebbleRefuses is one real Pebble would give too.
func CheckAction(cs *spec.CharmSpec, a spec.Action, earlier ...spec.Action) error {
	return simulator.CheckAction(cs, a, earlier...)
}

// Compare replays a real run's trace into the model and compares the two:
// the disagreements, and both timelines side by side when there are any.
func Compare(run *spec.Trace) ([]Disagreement, string, error) {
	model, err := simulator.Replay(run)
	if err != nil {
		return nil, "", err
	}
	diffs := simulator.Compare(run, model)
	if len(diffs) == 0 {
		return nil, "", nil
	}
	return diffs, simulator.SideBySide(run, model), nil
}

// Predict is the model's prediction for a run's trace: its replay.
func Predict(run *spec.Trace) (*spec.Trace, error) { return simulator.Replay(run) }

// Uncounted says what of a run the comparison cannot count as the
// platform agreeing with the model: what tandem played itself there, and
// what the model takes from the run.
func Uncounted(run *spec.Trace) []string { return simulator.Uncounted(run) }
