//go:build integration

package steps_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/tandem-harness/tandem/substrate/local"
)

// TestEveryCheckOfYourCharmCanFail runs testdata/mustfail-charm on local,
// where a charm of your own runs: each scenario must fail, its message
// containing its row's.
func TestEveryCheckOfYourCharmCanFail(t *testing.T) {
	runMustFail(t, "local", "testdata/mustfail-charm", mustFailCharm, func(t require.TestingT, want, got any, args ...any) {
		require.Contains(t, got, want, args...)
	})
}
