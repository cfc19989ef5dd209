//go:build integration

package steps_test

import (
	"sync"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/steps"
	_ "github.com/tandem-harness/tandem/substrate/local"
)

// TestEveryCheckOfYourCharmCanFail runs testdata/mustfail-charm on local,
// where a charm of your own runs: each scenario must fail, saying what
// its row says.
func TestEveryCheckOfYourCharmCanFail(t *testing.T) {
	var mu sync.Mutex
	got := map[string]steps.Result{}
	cfg := steps.Config{Substrate: "local", Seed: 1, RunID: "mustfail-charm", OnResult: func(r steps.Result) {
		mu.Lock()
		defer mu.Unlock()
		got[r.URI+"|"+r.Name] = r
	}}
	suite := godog.TestSuite{
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Register(sc, cfg) },
		Options:             &godog.Options{Format: "progress", Paths: []string{"testdata/mustfail-charm"}, Strict: true, Output: discard{}},
	}
	suite.Run()
	require.Len(t, got, len(mustFailCharm), "every scenario of testdata/mustfail-charm has a row in mustFailCharm, and no more")
	for _, c := range mustFailCharm {
		r, ok := got["testdata/mustfail-charm/"+c.file+".feature|"+c.scenario]
		if !assertTrue(t, ok, "%s: %q did not run", c.file, c.scenario) {
			continue
		}
		if !assertTrue(t, r.Status == "failed", "%s: %q passed: its check %q cannot say no", c.file, c.scenario, c.step) {
			continue
		}
		require.NotNil(t, r.Err)
		require.Contains(t, r.Err.Error(), c.message, "%s: %q", c.file, c.scenario)
	}
}
