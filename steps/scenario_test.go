package steps_test

import (
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/steps"
)

// TestAScenarioThatCannotStartIsReportedFailed: a scenario whose Before
// fails (here an unknown @needs tag) has no substrate and never reaches
// After's report; it is still heard of, failed with the reason, or a
// caller that counts results (tandem check's table) would miss it.
func TestAScenarioThatCannotStartIsReportedFailed(t *testing.T) {
	var got []steps.Result
	cfg := steps.Config{Substrate: "sim", Seed: 1, RunID: "cannotstart", OnResult: func(r steps.Result) { got = append(got, r) }}
	suite := godog.TestSuite{
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Register(sc, cfg) },
		Options:             &godog.Options{Format: "progress", Paths: []string{"testdata/cannotstart"}, Strict: true, Output: discard{}},
	}
	require.NotZero(t, suite.Run())
	require.Len(t, got, 1, "one result for the one scenario")
	require.Equal(t, "failed", got[0].Status)
	require.ErrorContains(t, got[0].Err, "unknown capability tag @needs-nonsense")
}
