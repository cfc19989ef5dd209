package substrate_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func TestSkipReason(t *testing.T) {
	require.Equal(t, "", substrate.SkipReason("sim", []spec.Capability{spec.CapNodes, spec.CapLongWaits}))
	require.Equal(t, "needs nodes, which local lacks; runs on sim, kind", substrate.SkipReason("local", []spec.Capability{spec.CapNodes}))
	require.Equal(t, "needs long-waits, which kind lacks; runs on sim", substrate.SkipReason("kind", []spec.Capability{spec.CapLongWaits}))
}

func TestNarrow(t *testing.T) {
	need := []spec.Capability{spec.CapContainerRestart}
	require.Empty(t, substrate.SkipReason("kind", need))
	substrate.Narrow("kind", []spec.Capability{spec.CapContainerRestart, spec.CapNodes}, "its nodes are not on this machine")
	defer substrate.Narrow("kind", nil, "")
	require.NotContains(t, substrate.Has("kind"), spec.CapNodes)
	require.Contains(t, substrate.Has("kind"), spec.CapProber)
	require.Equal(t, "needs container-restart, which kind lacks here: its nodes are not on this machine", substrate.SkipReason("kind", need))
	require.Equal(t, "needs long-waits, which kind lacks; runs on sim", substrate.SkipReason("kind", []spec.Capability{spec.CapLongWaits}))
	require.Empty(t, substrate.SkipReason("local", need), "only kind is narrowed")
}
