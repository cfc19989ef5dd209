package sim

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// TestWithoutBubblewrapYourCharmsScenariosAreSkippedSayingWhy: sim runs
// a charm of your own in a bubblewrap sandbox; where there is none, its
// scenarios are skipped with the fix, and everything else still runs.
func TestWithoutBubblewrapYourCharmsScenariosAreSkippedSayingWhy(t *testing.T) {
	defer substrate.Narrow("sim", nil, "")
	narrowWithoutSandbox(func(string) (string, error) { return "", errors.New("not found") })
	require.Contains(t, substrate.SkipReason("sim", []spec.Capability{spec.CapRealCharm}), "bwrap is missing (apt-get install -y bubblewrap")
	require.Empty(t, substrate.SkipReason("sim", []spec.Capability{spec.CapNodes}))
	substrate.Narrow("sim", nil, "")
	narrowWithoutSandbox(func(string) (string, error) { return "/usr/bin/bwrap", nil })
	require.Empty(t, substrate.SkipReason("sim", []spec.Capability{spec.CapRealCharm}))
}
