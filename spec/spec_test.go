package spec

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseUnitID(t *testing.T) {
	u, err := ParseUnitID("snappass/12")
	require.NoError(t, err)
	require.Equal(t, "snappass", u.App())
	require.Equal(t, 12, u.Index())
	require.Equal(t, "snappass-12", u.PodName())
	for _, bad := range []string{"snappass", "Snap/0", "snappass/-1", "snappass/01", "snappass/x", "/0"} {
		_, err := ParseUnitID(bad)
		require.Error(t, err, bad)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := map[string][]string{
		`/usr/bin/workload --http=8080`:         {"/usr/bin/workload", "--http=8080"},
		`x 'a b' "c d"`:                         {"x", "a b", "c d"},
		`/usr/bin/workload [ --exit-after=1s ]`: {"/usr/bin/workload", "--exit-after=1s"},
		`  spaced   out  `:                      {"spaced", "out"},
	}
	for in, want := range tests {
		got, err := SplitCommand(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := SplitCommand(`x 'open`)
	require.Error(t, err)
}

func TestResolveBehaviour(t *testing.T) {
	b, err := ResolveBehaviour("/usr/bin/workload --exit-after=2s --exit-code=3 --http=80", nil)
	require.NoError(t, err)
	require.Equal(t, Behaviour{Exits: true, ExitAfter: 2 * time.Second, ExitCode: 3, HTTPPort: 80, HealthFile: DefaultHealthFile}, b)
	b, err = ResolveBehaviour("/usr/bin/workload", nil)
	require.NoError(t, err)
	require.False(t, b.Exits, "without --exit-after it runs until stopped")
	_, err = ResolveBehaviour("/usr/bin/workload --fly", nil)
	require.ErrorContains(t, err, "cannot parse workload tool arguments")
	_, err = ResolveBehaviour("redis-server --port 6379", nil)
	require.ErrorContains(t, err, `neither the workload tool nor a program the spec declares`)
	b, err = ResolveBehaviour("redis-server --port 6379", map[string]Behaviour{"redis-server": {TCPPort: 6379}})
	require.NoError(t, err)
	require.Equal(t, 6379, b.TCPPort)
}

func TestNextRestartDelay(t *testing.T) {
	p := Profiles["sim"]
	want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		require.Equal(t, w, p.NextRestartDelay(i+1), "restart %d", i+1)
	}
	for name, p := range Profiles {
		require.NoError(t, p.Validate(), name)
		require.Equal(t, name, p.Name)
	}
	_, err := Profile("mars")
	require.Error(t, err)
}

func TestTraceRoundTrip(t *testing.T) {
	in := &Trace{
		Header: TraceHeader{Substrate: "local", Profile: Profiles["local"], Seed: 7, Scenario: "s"},
		Records: []Record{
			{At: time.Second, Kind: KindAction, Type: RecPebble, Source: SourceScenario, Unit: "demo/0", Action: &Action{Kind: ActReplan, Container: "app"}},
			{At: 2 * time.Second, Kind: KindObservation, Type: RecFile, Unit: "demo/0", File: &FileState{Path: "/x", Mode: "600"}},
		},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteTrace(&buf, in))
	out, err := ReadTrace(&buf, "t")
	require.NoError(t, err)
	require.Equal(t, TraceFormat, out.Header.Format)
	require.Equal(t, TraceVersion, out.Header.Version)
	in.Header.Format, in.Header.Version = TraceFormat, TraceVersion
	require.Equal(t, in, out)
}

func TestParsePermissions(t *testing.T) {
	m, err := ParsePermissions("640")
	require.NoError(t, err)
	require.Equal(t, 0o640, int(m))
	for _, bad := range []string{"64", "6400", "999", "rwx"} {
		_, err := ParsePermissions(bad)
		require.Error(t, err, bad)
	}
}

func TestRestartsResetAfterRunningLongEnough(t *testing.T) {
	p := Profiles["sim"]
	var r Restarts
	require.Equal(t, time.Duration(0), r.Next(p, time.Second))
	require.Equal(t, 10*time.Second, r.Next(p, time.Second))
	require.Equal(t, 20*time.Second, r.Next(p, time.Second))
	require.Equal(t, time.Duration(0), r.Next(p, p.RestartReset), "ran for restart-reset: the back-off starts over")
}

func TestUnitOfPodInvertsPodName(t *testing.T) {
	for _, u := range []UnitID{"demo/0", "my-app/12"} {
		got, err := UnitOfPod(u.App(), u.PodName())
		require.NoError(t, err)
		require.Equal(t, u, got)
	}
	_, err := UnitOfPod("demo", "other-0")
	require.ErrorContains(t, err, `not a pod of "demo"`)
	_, err = UnitOfPod("demo", "demo-x")
	require.Error(t, err)
}
