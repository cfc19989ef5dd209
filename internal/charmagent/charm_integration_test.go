//go:build integration

package charmagent_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
)

// startCharm runs the agent for a fixture charm on this machine (no
// sandbox: what is tested is the agent, the tools and ops), introduced as
// a new unit with the given controller state.
func startCharm(t *testing.T, name string, st spec.UnitState, retry time.Duration) *charmagent.Client {
	t.Helper()
	c, err := charms.Open(filepath.Join("..", "..", "fixtures", "charms", name))
	require.NoError(t, err)
	venv, err := charms.Venv(context.Background(), c, os.Stderr)
	require.NoError(t, err)
	tmp := t.TempDir()
	jujuc := filepath.Join(tmp, "jujuc")
	build := exec.Command("go", "build", "-o", jujuc, "../../fixtures/jujuc")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	// The charm dir is the unit's copy, writable, with the venv in it.
	dir := filepath.Join(tmp, "agents", "unit-"+name+"-0", "charm")
	require.NoError(t, os.CopyFS(dir, os.DirFS(c.Dir)))
	require.NoError(t, os.Symlink(venv, filepath.Join(dir, "venv")))
	for _, f := range []string{"dispatch"} {
		require.NoError(t, os.Chmod(filepath.Join(dir, f), 0o755))
	}
	unit := spec.NewUnitID(c.Meta.Name, 0)
	cfg := charmagent.Config{Unit: unit, Spec: spec.CharmSpec{App: c.Meta.Name}, Epoch: time.Now(),
		SocketDir: filepath.Join(tmp, "containers"), StateDir: filepath.Join(tmp, "state"),
		Charm: &charmagent.CharmConfig{Dir: dir, ToolsDir: filepath.Join(tmp, "tools"), Jujuc: jujuc,
			Path: "/usr/bin:/bin", Meta: c.Meta, RetryDelay: retry, RetryLimit: 4 * retry,
			OutputDir: filepath.Join(tmp, "output")}}
	t.Cleanup(func() {
		if t.Failed() {
			files, _ := filepath.Glob(filepath.Join(tmp, "output", "*"))
			for _, f := range files {
				data, _ := os.ReadFile(f)
				t.Logf("%s:\n%s", filepath.Base(f), data)
			}
		}
	})
	agent, err := charmagent.New(cfg)
	require.NoError(t, err)
	socket := filepath.Join(tmp, "agent.sock")
	l, err := net.Listen("unix", socket)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { agent.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	client := charmagent.NewUnixClient(socket)
	t.Cleanup(func() {
		if u, err := client.Unit(); err == nil && t.Failed() {
			t.Logf("the unit's log:\n%s", logged(u))
		}
	})
	st.Name = string(unit)
	require.NoError(t, client.IntroduceCharm(true, st))
	return client
}

func eventNames(t *testing.T, c *charmagent.Client) []string {
	events, err := c.Events(context.Background())
	require.NoError(t, err)
	var names []string
	for _, e := range events {
		if !e.Running {
			names = append(names, e.Name)
		}
	}
	return names
}

func waitEvents(t *testing.T, c *charmagent.Client, n int) []spec.Event {
	t.Helper()
	var events []spec.Event
	require.Eventually(t, func() bool {
		all, err := c.Events(context.Background())
		require.NoError(t, err)
		events = nil
		for _, e := range all {
			if !e.Running {
				events = append(events, e)
			}
		}
		return len(events) >= n
	}, 60*time.Second, 20*time.Millisecond, "events so far: %v", eventNames(t, c))
	return events
}

func logged(u spec.UnitView) string {
	var lines []string
	for _, l := range u.Logs {
		lines = append(lines, l.Level+" "+l.Message)
	}
	return strings.Join(lines, "\n")
}

// TestEveryModelledToolThroughOps deploys a real ops charm that calls
// each modelled hook tool through ops' own API, and checks what each did:
// as the controller sees it, and as the charm read it back.
func TestEveryModelledToolThroughOps(t *testing.T) {
	c := startCharm(t, "toolcheck", spec.UnitState{Leader: true,
		Config:    map[string]any{"greeting": "hello", "workers": 2, "verbose": nil},
		Relations: []spec.Relation{{ID: 0, Endpoint: "replicas", RemoteApp: "toolcheck"}}}, time.Second)
	events := waitEvents(t, c, 5)
	var names []string
	for _, e := range events {
		require.Empty(t, e.Errors, "hook %s", e.Name)
		names = append(names, e.Name)
	}
	require.Equal(t, []string{"install", "replicas-relation-created", "leader-elected", "config-changed", "start"}, names)

	u, err := c.Unit()
	require.NoError(t, err)
	require.Equal(t, spec.Status{Status: "active", Message: "hello, 2 workers"}, u.UnitStatus)
	require.Equal(t, spec.Status{Status: "active", Message: "leading"}, u.AppStatus)
	require.Equal(t, "1.2.3", u.Version)
	require.Equal(t, []string{"8080/tcp"}, u.Ports)
	require.Equal(t, "10.0.0.1", u.Relations[0].Data["toolcheck/0"]["address"])
	require.Equal(t, "hi", u.Relations[0].Data["toolcheck"]["leader-says"])
	require.Len(t, u.Secrets, 2, "the scratch secret was removed")
	require.Empty(t, u.Secrets[0].Grants, "granted, then revoked")
	require.Contains(t, logged(u), "INFO remote model: ")
	require.NotEmpty(t, u.State, "ops kept its stored state in the controller, with state-set")
	require.Equal(t, "db-pass", u.Secrets[0].Label)
	require.Equal(t, []spec.SecretRevision{{Revision: 1, Content: map[string]string{"password": "third"}}},
		u.Secrets[0].Revisions, "an add and two sets in one hook make one revision, as in Juju 3.6")
	require.Equal(t, "unit", u.Secrets[1].Owner)
	log := logged(u)
	for _, want := range []string{
		"INFO ports: ['8080/tcp']",
		"INFO leader: True",
		"INFO planned units: 1",
		"INFO bind address: 127.0.0.1",
		"INFO storages: []",
		"INFO secret content: {'password': 'first'}",
		"INFO unit secret: {'token': 'abc'}",
		"INFO secret info: revision 1, label db-pass, the database",
		"INFO secret by label: {'password': 'third'}",
		"INFO peer relation: 0, units: 0",
		"INFO backend relations: 0",
		"INFO cloud spec refused: ERROR permission denied",
		"INFO hooks so far: 5",
		"INFO config: greeting=hello workers=2 verbose=None",
		"INFO peer data read back: {'address': '10.0.0.1'}",
		"INFO status read back: ActiveStatus('hello, 2 workers')",
		"INFO app status read back: ActiveStatus('leading')",
	} {
		require.Contains(t, log, want)
	}

	require.NoError(t, c.SetConfig(map[string]any{"greeting": "bonjour"}))
	waitEvents(t, c, 6)
	u, err = c.Unit()
	require.NoError(t, err)
	require.Equal(t, "bonjour, 2 workers", u.UnitStatus.Message)

	res, err := c.RunAction(context.Background(), "echo", map[string]any{"text": "ping"})
	require.NoError(t, err)
	require.Equal(t, "completed", res.Status)
	require.Equal(t, map[string]any{"echo": "ping", "nested": map[string]any{"key": "value"}}, res.Results)
	require.Equal(t, []string{"echoing"}, res.Logs)

	res, err = c.RunAction(context.Background(), "refuse", nil)
	require.NoError(t, err)
	require.Equal(t, "failed", res.Status)
	require.Equal(t, "refused, as asked", res.Message)
}

// TestAFailedHookIsRetriedAndItsEffectsDiscarded: install raises twice;
// each attempt's traceback is kept, its status discarded, and the hook is
// retried with Juju's doubling back-off until it succeeds.
func TestAFailedHookIsRetriedAndItsEffectsDiscarded(t *testing.T) {
	c := startCharm(t, "flaky", spec.UnitState{}, 200*time.Millisecond)
	events := waitEvents(t, c, 3)
	require.Equal(t, "install", events[0].Name)
	require.Equal(t, "install", events[1].Name)
	require.Equal(t, "install", events[2].Name)
	require.Contains(t, strings.Join(events[0].Errors, "\n"), "RuntimeError: the database is not there yet (attempt 1)")
	require.Contains(t, strings.Join(events[0].Errors, "\n"), "Traceback (most recent call last)")
	require.Contains(t, strings.Join(events[1].Errors, "\n"), "attempt 2")
	require.Empty(t, events[2].Errors)
	gap1, gap2 := events[1].At-events[0].At, events[2].At-events[1].At
	require.GreaterOrEqual(t, gap1, 200*time.Millisecond)
	require.GreaterOrEqual(t, gap2, 400*time.Millisecond, "the back-off doubles")
	events = waitEvents(t, c, 5)
	u, err := c.Unit()
	require.NoError(t, err)
	require.Equal(t, spec.Status{Status: "active", Message: "installed"}, u.UnitStatus)
	require.Empty(t, u.Error)
}

// BenchmarkHookOverhead: what the agent adds to a hook beyond the charm's
// own code: a config change queued, the environment built, dispatch run
// (a shell script that exits at once) and its event logged. The README
// reports the figure.
func BenchmarkHookOverhead(b *testing.B) {
	c := startBare(b, "#!/bin/sh\nexit 0\n")
	waitEventsB(b, c, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		require.NoError(b, c.SetConfig(map[string]any{"n": i}))
		waitEventsB(b, c, 5+i)
	}
}

// BenchmarkToolCall: one hook tool call, as ops makes it (a process of the
// multi-call binary, which asks the agent over its socket): a hook of
// 20 calls to is-leader, timed per call.
func BenchmarkToolCall(b *testing.B) {
	c := startBare(b, "#!/bin/sh\nn=0\nwhile [ $n -lt 20 ]; do is-leader --format=json >/dev/null || exit 1; n=$((n+1)); done\n")
	waitEventsB(b, c, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		require.NoError(b, c.SetConfig(map[string]any{"n": i}))
		waitEventsB(b, c, 5+i)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*20), "µs/call")
}

// startBare runs the agent for a charm whose dispatch is the script.
func startBare(b *testing.B, dispatch string) *charmagent.Client {
	tmp := b.TempDir()
	jujuc := filepath.Join(tmp, "jujuc")
	out, err := exec.Command("go", "build", "-o", jujuc, "../../fixtures/jujuc").CombinedOutput()
	require.NoError(b, err, "%s", out)
	dir := filepath.Join(tmp, "agents", "unit-bare-0", "charm")
	require.NoError(b, os.MkdirAll(dir, 0o755))
	require.NoError(b, os.WriteFile(filepath.Join(dir, "dispatch"), []byte(dispatch), 0o755))
	cfg := charmagent.Config{Unit: "bare/0", Spec: spec.CharmSpec{App: "bare"}, Epoch: time.Now(),
		SocketDir: filepath.Join(tmp, "containers"), StateDir: filepath.Join(tmp, "state"),
		Charm: &charmagent.CharmConfig{Dir: dir, ToolsDir: filepath.Join(tmp, "tools"), Jujuc: jujuc,
			Path: "/usr/bin:/bin", Meta: spec.CharmMeta{Name: "bare"}, RetryDelay: time.Second, RetryLimit: time.Second}}
	agent, err := charmagent.New(cfg)
	require.NoError(b, err)
	l, err := net.Listen("unix", filepath.Join(tmp, "agent.sock"))
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { agent.Serve(ctx, l); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	c := charmagent.NewUnixClient(filepath.Join(tmp, "agent.sock"))
	require.NoError(b, c.IntroduceCharm(true, spec.UnitState{Name: "bare/0", Leader: true}))
	return c
}

func waitEventsB(b *testing.B, c *charmagent.Client, n int) {
	for {
		events, err := c.Events(context.Background())
		require.NoError(b, err)
		count := 0
		for _, e := range events {
			if !e.Running {
				require.Empty(b, e.Errors)
				count++
			}
		}
		if count >= n {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}
