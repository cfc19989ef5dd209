//go:build integration

package docker

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	moby "github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func needDocker(tb testing.TB) {
	tb.Helper()
	if missing := Requirements(context.Background()); len(missing) > 0 {
		if os.Getenv("CI") != "" {
			tb.Fatalf("the docker substrate cannot run: %s", strings.Join(missing, "; "))
		}
		tb.Skipf("the docker substrate cannot run here: %s", strings.Join(missing, "; "))
	}
}

func twoWorkloads() *spec.CharmSpec {
	return &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "a"}, {Name: "b"}}}
}

// pebbleReady waits until the charm has had both workloads' pebble-ready.
func pebbleReady(tb testing.TB, d *Docker) {
	tb.Helper()
	ok := spec.WaitFor(d.Clock(), 60*time.Second, time.Millisecond, func() bool {
		ev, _ := d.Events("demo/0")
		n := 0
		for _, e := range ev {
			if e.Name == "a-pebble-ready" || e.Name == "b-pebble-ready" {
				n++
			}
		}
		return n == 2
	})
	require.True(tb, ok, "the workloads never became pebble-ready")
}

func TestSidecarPodOnDocker(t *testing.T) {
	needDocker(t)
	d, err := New(context.Background(), substrate.Options{RunID: "test"})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Deploy(context.Background(), twoWorkloads(), 1, 1))
	pebbleReady(t, d)
	p, err := d.running("demo/0")
	require.NoError(t, err)
	for _, name := range []string{"a", "b", spec.CharmContainer} {
		info, err := p.inspect(name)
		require.NoError(t, err)
		require.Equal(t, "container:"+p.pauseID, string(info.HostConfig.NetworkMode), "every container in the pod's network namespace")
		if name != spec.CharmContainer {
			require.Equal(t, d.imgs.Workload, info.Config.Image, "R1.1: the image is the workload's own")
			require.Equal(t, "/charm/bin/pebble", info.Path, "R1.1: only the command is Pebble")
		}
	}
	pause, err := d.cli.ContainerInspect(context.Background(), p.pauseID, moby.ContainerInspectOptions{})
	require.NoError(t, err)
	for _, bindings := range pause.Container.NetworkSettings.Ports {
		for _, b := range bindings {
			require.Equal(t, "127.0.0.1", b.HostIP.String(), "the agent is published on loopback only")
		}
	}
	// A pushed file lands in the workload, read with nothing in the image.
	require.NoError(t, d.Do("demo/0", spec.Action{Kind: spec.ActPush, Container: "a", Path: "/etc/x.conf", Content: "x", Permissions: "600"}))
	st, err := d.ReadFile("demo/0", "a", "/etc/x.conf")
	require.NoError(t, err)
	require.Equal(t, spec.FileState{Path: "/etc/x.conf", Content: "x", Mode: "600", User: "root", Group: "root"}, st)
	st, err = d.ReadFile("demo/0", "b", "/etc/x.conf")
	require.NoError(t, err)
	require.Equal(t, "not-found", st.Error)
}

// BenchmarkPodToPebbleReady: a unit (init + charm + 2 workloads) from
// deploy until the charm has had both workloads' pebble-ready, with cached
// images and the agent polling every 200 ms.
func BenchmarkPodToPebbleReady(b *testing.B) {
	needDocker(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d, err := New(context.Background(), substrate.Options{RunID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := d.Deploy(context.Background(), twoWorkloads(), 1, 1); err != nil {
			b.Fatal(err)
		}
		pebbleReady(b, d)
		b.StopTimer()
		d.Close()
	}
}
