package simulator

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// Runs from soaks beside a CPU hog, kept in testdata/, where the model
// once disagreed with a real run that did nothing wrong: each is a test
// that the model now agrees, and, changed, that it still says no.

// Two runs on a loaded machine, where the scenario turned a workload
// unhealthy between the model's tick of a check and the run's, later one:
// the model takes the tick from Pebble's log of the failure, and agrees.
func TestACheckTicksWhenTheRunsPebbleLoggedItsFailure(t *testing.T) {
	for _, name := range []string{"loaded-check-phase", "loaded-yourcharm-check-phase"} {
		run, err := spec.ReadTraceFile("testdata/" + name + ".trace.jsonl")
		require.NoError(t, err)
		model, err := Replay(run)
		require.NoError(t, err)
		require.Empty(t, Compare(run, model), name)
		require.Contains(t, strings.Join(Uncounted(run), "; "), "when a check's ticks fall", name)
	}
}

// Taking the tick's time from the run does not take its outcome: a run
// whose Pebble logged the failure but never took the check down (as if it
// ignored the threshold of 1) disagrees with the model.
func TestACheckTakesOnlyItsTickFromTheRun(t *testing.T) {
	run, err := spec.ReadTraceFile("testdata/loaded-check-phase.trace.jsonl")
	require.NoError(t, err)
	run = mutate(run, func(recs []spec.Record) []spec.Record {
		var out []spec.Record
		for _, r := range recs {
			down := r.Type == spec.RecCheck || strings.Contains(r.Message, "threshold 1 hit") || strings.Contains(r.Message, "pebble-check-")
			if !down {
				out = append(out, r)
			}
		}
		return out
	})
	require.Contains(t, disagreements(t, run), "check states: check demo/0/app/api-up: run (none), model [down up]")
}

// A run on a loaded machine where your charm's hooks took most of a
// second each: update-status ticks that came while the install hooks
// were still queued made one hook, as Juju's uniter makes them. The model
// agrees once its hooks last as long as the run's; with hooks that take
// no time it predicts one update-status more.
func TestYourCharmsHooksLastAsLongAsTheRunsDid(t *testing.T) {
	run, err := spec.ReadTraceFile("testdata/loaded-update-status.trace.jsonl")
	require.NoError(t, err)
	model, err := Replay(run)
	require.NoError(t, err)
	require.Empty(t, Compare(run, model))
	require.Contains(t, strings.Join(Uncounted(run), "; "), "how long each hook of your charm ran")

	untimed := mutate(run, func(recs []spec.Record) []spec.Record {
		for i := range recs {
			recs[i].Took = 0
		}
		return recs
	})
	require.Contains(t, disagreements(t, untimed), "update-status update-status start")
}

// A scale-down where each hook took its real time: a going unit's pod
// goes only after its dying hooks (departed, broken, stop, remove) ran,
// so the model's going units run them all, as the run's did; a run whose
// going unit skipped its remove hook disagrees.
func TestAGoingUnitsPodGoesAfterItsDyingHooks(t *testing.T) {
	run, err := spec.ReadTraceFile("testdata/timed-scale-down.trace.jsonl")
	require.NoError(t, err)
	model, err := Replay(run)
	require.NoError(t, err)
	require.Empty(t, Compare(run, model))

	skipped := mutate(run, func(recs []spec.Record) []spec.Record {
		i := find(recs, func(r spec.Record) bool {
			return r.Type == spec.RecEvent && r.Unit == "snappass/2" && r.Message == spec.EventRemove
		})
		require.GreaterOrEqual(t, i, 0)
		return append(recs[:i], recs[i+1:]...)
	})
	require.Contains(t, disagreements(t, skipped), "events: unit snappass/2")
}

// The report's timeline pairs what both saw on one row, marks what only
// one saw, and cuts no line.
func TestTheTimelineIsAlignedAndWhole(t *testing.T) {
	run, err := spec.ReadTraceFile("testdata/loaded-check-phase.trace.jsonl")
	require.NoError(t, err)
	model, err := Replay(run)
	require.NoError(t, err)
	out := SideBySide(run, model)
	require.Contains(t, out, "  1.665s     1.129s     demo/0/app: Service \"api\" starting: /usr/bin/workload --http=9090 --health-file=/run/api-down\n")
	require.Contains(t, out, "< 44ms                  demo/0 on local\n")
	require.Contains(t, out, ">            6ms        demo/0 on worker-1\n")
	require.Contains(t, out, "  2.775s     2.775s     demo/0/app: Check \"api-up\" failure 1/1: non-2xx status code 500\n")
}

// disagreements replays run into the model and compares the two, one
// disagreement a line.
func disagreements(t *testing.T, run *spec.Trace) string {
	t.Helper()
	model, err := Replay(run)
	require.NoError(t, err)
	var out []string
	for _, d := range Compare(run, model) {
		out = append(out, d.String())
	}
	return strings.Join(out, "\n")
}

// A loaded run whose health query saw a check down 74 µs before Pebble's
// log line of the failure (Pebble marks it down first): the model's tick
// comes before the query, and agrees. A query at the alive level, which
// a ready check cannot make unhealthy, is no evidence: a run that says
// it was unhealthy disagrees.
func TestACheckTickComesBeforeTheQueryThatSawIt(t *testing.T) {
	run, err := spec.ReadTraceFile("testdata/loaded-check-answer.trace.jsonl")
	require.NoError(t, err)
	require.Empty(t, disagreements(t, run))

	wrong := mutate(run, func(recs []spec.Record) []spec.Record {
		i := find(recs, func(r spec.Record) bool { return r.Type == spec.RecAnswer && r.Message == "health alive" })
		require.GreaterOrEqual(t, i, 0)
		recs[i].State = "unhealthy"
		return recs
	})
	require.Contains(t, disagreements(t, wrong), "health alive -> unhealthy")
}
