//go:build integration

package local

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// referenceCharm is the reference ops charm as a scenario deploys it.
func referenceCharm(tb testing.TB) *spec.CharmSpec {
	c, err := charms.Open(filepath.Join("..", "..", "fixtures", "charms", "snappass"))
	require.NoError(tb, err)
	cs := &spec.CharmSpec{App: c.Meta.Name, Charm: c}
	for _, name := range c.Meta.ContainerNames() {
		cs.Containers = append(cs.Containers, spec.Container{Name: name})
	}
	return cs
}

// BenchmarkReferenceCharmToActive: from the deploy to the reference ops
// charm's unit showing active, Python and ops' import in every hook
// included (7 hooks: install to the second pebble-ready). Its venv is
// built before the timer starts. The README reports the figure.
func BenchmarkReferenceCharmToActive(b *testing.B) {
	needLocal(b)
	cs := referenceCharm(b)
	_, err := charms.Venv(context.Background(), cs.Charm, io.Discard)
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := New(context.Background(), substrate.Options{RunID: "bench"})
		require.NoError(b, err)
		start := time.Now()
		require.NoError(b, l.Deploy(context.Background(), cs, 1, 1))
		ok := spec.WaitFor(l.Clock(), 60*time.Second, 5*time.Millisecond, func() bool {
			v, err := l.UnitView("snappass/0")
			return err == nil && v.UnitStatus.Status == "active"
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-active")
		b.StopTimer()
		require.True(b, ok, "the unit did not reach active")
		require.NoError(b, l.Close())
		b.StartTimer()
	}
}
