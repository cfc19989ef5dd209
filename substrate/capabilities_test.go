package substrate_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/docker"
	"github.com/tandem-harness/tandem/substrate/kind"
	"github.com/tandem-harness/tandem/substrate/local"
	"github.com/tandem-harness/tandem/substrate/sim"
)

// TestEachOptionalInterfaceComesWithItsCapability: a substrate that can
// delete pods, fail nodes, deploy the podspec way or read a Service's
// endpoints declares the capability a scenario tags for it, and one that
// cannot does not, so a scenario is skipped exactly where its steps
// would have nothing to call.
func TestEachOptionalInterfaceComesWithItsCapability(t *testing.T) {
	impls := map[string]reflect.Type{
		"sim":    reflect.TypeOf((*sim.Sim)(nil)),
		"local":  reflect.TypeOf((*local.Local)(nil)),
		"docker": reflect.TypeOf((*docker.Docker)(nil)),
		"kind":   reflect.TypeOf((*kind.Kind)(nil)),
	}
	optional := []struct {
		iface reflect.Type
		cap   spec.Capability
	}{
		{reflect.TypeOf((*substrate.PodDeleter)(nil)).Elem(), spec.CapPodDelete},
		{reflect.TypeOf((*substrate.NodeFailer)(nil)).Elem(), spec.CapNodes},
		{reflect.TypeOf((*substrate.PodspecDeployer)(nil)).Elem(), spec.CapNodes},
		{reflect.TypeOf((*substrate.EndpointReader)(nil)).Elem(), spec.CapProber},
		{reflect.TypeOf((*substrate.CharmOperator)(nil)).Elem(), spec.CapRealCharm},
	}
	require.ElementsMatch(t, substrate.Names(), []string{"sim", "local", "docker", "kind"})
	for name, typ := range impls {
		for _, o := range optional {
			has := typ.Implements(o.iface)
			declared := slices.Contains(substrate.Declared[name], o.cap)
			require.Equal(t, declared, has, "%s: implements %s %v, declares %s %v", name, o.iface.Name(), has, o.cap, declared)
		}
	}
}

// TestOnlyRealSubstratesDeclareRealPebble: the model is not Pebble.
func TestOnlyRealSubstratesDeclareRealPebble(t *testing.T) {
	require.NotContains(t, substrate.Declared["sim"], spec.CapRealPebble)
	s, err := sim.New(substrate.Options{Seed: 1})
	require.NoError(t, err)
	require.NotContains(t, s.Capabilities(), spec.CapRealPebble)
	for _, name := range []string{"local", "docker", "kind"} {
		require.Contains(t, substrate.Declared[name], spec.CapRealPebble, name)
	}
}
