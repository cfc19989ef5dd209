package steps_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/steps"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/sim"
)

// replayed is the model posing as a real substrate, so its runs go
// through the comparison; tamper, when set, changes the trace it hands
// over, as a real platform that did something else would.
type replayed struct {
	*sim.Sim
	name   string
	tamper func([]spec.Record) []spec.Record
}

func (r *replayed) Name() string { return r.name }

func (r *replayed) Trace() *spec.Trace {
	t := r.Sim.Trace()
	if r.tamper == nil {
		return t
	}
	return &spec.Trace{Header: t.Header, Records: r.tamper(append([]spec.Record(nil), t.Records...))}
}

func init() {
	register := func(name string, tamper func([]spec.Record) []spec.Record) {
		substrate.Register(name, func(_ context.Context, opts substrate.Options) (substrate.Substrate, error) {
			s, err := sim.New(opts)
			if err != nil {
				return nil, err
			}
			return &replayed{Sim: s, name: name, tamper: tamper}, nil
		})
	}
	register("faithful", nil)
	// The platform started the service once more than the model would.
	register("tampered", func(recs []spec.Record) []spec.Record {
		for i, r := range recs {
			if r.Type == spec.RecStart {
				extra := r
				extra.At++
				return append(recs[:i+1], append([]spec.Record{extra}, recs[i+1:]...)...)
			}
		}
		return recs
	})
}

func runConformance(t *testing.T, substrateName string) steps.Result {
	t.Helper()
	got, _ := runFeatures(steps.Config{Substrate: substrateName, Seed: 1, RunID: "conformance", Reference: true}, "testdata/conformance")
	require.Len(t, got, 1)
	return got[0]
}

// TestARunTheModelAgreesWithPasses: the comparison is not a failure in
// itself.
func TestARunTheModelAgreesWithPasses(t *testing.T) {
	r := runConformance(t, "faithful")
	require.Equal(t, "passed", r.Status, "%v", r.Err)
}

// TestARunTheModelDisagreesWithFails: every check of the scenario passed,
// but the platform did what the model says it cannot, and the scenario
// fails with the disagreement and both timelines, aligned.
func TestARunTheModelDisagreesWithFails(t *testing.T) {
	r := runConformance(t, "tampered")
	require.Equal(t, "failed", r.Status)
	require.ErrorContains(t, r.Err, "the run disagrees with the model:")
	require.ErrorContains(t, r.Err, "service starts: service demo/0/app/srv: run 2, model 1")
	require.ErrorContains(t, r.Err, "\n< 3s                    demo/0/app srv started\n", "both timelines, aligned: the start only the run saw marked")
}
