//go:build integration

package local

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func needLocal(tb testing.TB) {
	tb.Helper()
	if missing := Requirements(); len(missing) > 0 {
		if os.Getenv("CI") != "" {
			tb.Fatalf("the local substrate cannot run: %s", strings.Join(missing, "; "))
		}
		tb.Skipf("the local substrate cannot run here: %s", strings.Join(missing, "; "))
	}
}

func oneUnit(layer string) *spec.CharmSpec {
	cs := &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
	if layer != "" {
		cs.Handlers = []spec.Handler{{Event: "app-pebble-ready", Actions: []spec.Action{
			{Kind: spec.ActAddLayer, Container: "app", Label: "svc", Layer: layer},
			{Kind: spec.ActReplan, Container: "app"},
		}}}
	}
	return cs
}

// settled waits until the unit's charm has had pebble-ready and its
// Pebble answers, as the deploy step does.
func settled(tb testing.TB, l *Local) {
	tb.Helper()
	ok := spec.WaitFor(l.Clock(), 20*time.Second, time.Millisecond, func() bool {
		ev, _ := l.Events("demo/0")
		for _, e := range ev {
			if e.Name == "app-pebble-ready" {
				pc, err := l.Pebble("demo/0", "app")
				return err == nil && spec.CanConnect(pc)
			}
		}
		return false
	})
	require.True(tb, ok, "the unit did not settle")
}

func TestPushedFileLandsInTheContainerNotTheHost(t *testing.T) {
	needLocal(t)
	l, err := New(context.Background(), substrate.Options{RunID: "test"})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Deploy(context.Background(), oneUnit(""), 1, 1))
	settled(t, l)
	path := "/etc/tandem-pushed-" + strings.ReplaceAll(t.Name(), "/", "-")
	require.NoError(t, l.Do("demo/0", spec.Action{Kind: spec.ActPush, Container: "app", Path: path, Content: "x", Permissions: "600"}))
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "the push must not touch the host's %s", path)
	st, err := l.ReadFile("demo/0", "app", path)
	require.NoError(t, err)
	require.Equal(t, spec.FileState{Path: path, Content: "x", Mode: "600", User: "root", Group: "root"}, st)
}

func TestPebbleIsPID1WithAFreshBootID(t *testing.T) {
	needLocal(t)
	l, err := New(context.Background(), substrate.Options{RunID: "test"})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Deploy(context.Background(), oneUnit(""), 1, 1))
	settled(t, l)
	pc, _ := l.Pebble("demo/0", "app")
	first, err := pc.SysInfo()
	require.NoError(t, err)
	res, err := l.Exec("demo/0", "app", []string{"/usr/bin/workload", "--exit-after=0s", "--print=hi"})
	require.NoError(t, err)
	require.Equal(t, "hi\n", res.Stdout)
	require.NoError(t, l.KillContainer("demo/0", "app"))
	ok := spec.WaitFor(l.Clock(), 10*time.Second, 5*time.Millisecond, func() bool {
		info, err := spec.SysInfoOnce(pc.(*client.Client), 100*time.Millisecond)
		return err == nil && info.BootID != first.BootID
	})
	require.True(t, ok, "a restarted Pebble has a new boot id (it is PID 1)")
}

// BenchmarkDeployTeardown is a scenario that deploys a one-container unit
// and tears it down, with a service that ignores SIGTERM: tandem's own
// overhead, as the unit has nothing else to wait for.
func BenchmarkDeployTeardown(b *testing.B) {
	needLocal(b)
	cs := oneUnit("services:\n  srv: {override: replace, startup: enabled, command: /usr/bin/workload --ignore-sigterm}\n")
	for i := 0; i < b.N; i++ {
		l, err := New(context.Background(), substrate.Options{RunID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Deploy(context.Background(), cs, 1, 1); err != nil {
			b.Fatal(err)
		}
		settled(b, l)
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestartSeen measures, for each back-off restart of a crashing
// service, the time from Pebble's own log timestamp of the restart to the
// moment a "within" wait (polling every 10 ms, as the steps do) sees it.
func BenchmarkRestartSeen(b *testing.B) {
	needLocal(b)
	l, err := New(context.Background(), substrate.Options{RunID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	cs := oneUnit("services:\n  srv: {override: replace, startup: enabled, command: /usr/bin/workload --exit-after=1100ms --exit-code=1, backoff-delay: 100ms, backoff-limit: 100ms}\n")
	if err := l.Deploy(context.Background(), cs, 1, 1); err != nil {
		b.Fatal(err)
	}
	settled(b, l)
	starts := func() []time.Duration {
		var out []time.Duration
		for _, r := range l.Trace().Records {
			if r.Type == spec.RecStart {
				out = append(out, r.At)
			}
		}
		return out
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := len(starts())
		var seen time.Duration
		ok := spec.WaitFor(l.Clock(), 10*time.Second, 10*time.Millisecond, func() bool {
			s := starts()
			if len(s) > n {
				seen = l.Clock().Now() - s[len(s)-1]
				return true
			}
			return false
		})
		if !ok {
			b.Fatal("no restart seen")
		}
		total += seen
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-seen-after-log")
}
