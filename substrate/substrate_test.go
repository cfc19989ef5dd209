package substrate_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/sim"
)

func TestSimDeclaresWhatItHas(t *testing.T) {
	s, err := sim.New(substrate.Options{Seed: 1})
	require.NoError(t, err)
	require.ElementsMatch(t, substrate.Declared["sim"], s.Capabilities())
}

func TestSkipReason(t *testing.T) {
	require.Equal(t, "", substrate.SkipReason("sim", []spec.Capability{spec.CapNodes, spec.CapLongWaits}))
	require.Equal(t, "needs nodes, which local lacks; runs on sim, kind", substrate.SkipReason("local", []spec.Capability{spec.CapNodes}))
	require.Equal(t, "needs long-waits, which kind lacks; runs on sim", substrate.SkipReason("kind", []spec.Capability{spec.CapLongWaits}))
}
