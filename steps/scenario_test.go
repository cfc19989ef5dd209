package steps_test

import (
	"sync"
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
	got, code := runFeatures(steps.Config{Substrate: "sim", Seed: 1, RunID: "cannotstart"}, "testdata/cannotstart")
	require.NotZero(t, code)
	require.Len(t, got, 1, "one result for the one scenario")
	require.Equal(t, "failed", got[0].Status)
	require.ErrorContains(t, got[0].Err, "unknown capability tag @needs-nonsense")
}

// runFeatures runs dir's scenarios with tandem's steps under cfg: each
// scenario's result as it reported it, and godog's exit code.
func runFeatures(cfg steps.Config, dir string) ([]steps.Result, int) {
	var mu sync.Mutex
	var got []steps.Result
	cfg.OnResult = func(r steps.Result) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
	}
	suite := godog.TestSuite{
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Register(sc, cfg) },
		Options:             &godog.Options{Format: "progress", Paths: []string{dir}, Strict: true, Output: discard{}},
	}
	code := suite.Run()
	return got, code
}
