package charmagent_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/hooktools"
	"github.com/tandem-harness/tandem/spec"
)

// shellCharm is a charm whose dispatch logs each hook with its relation
// and workload, and fails while a "fail" file is beside it.
const shellCharm = `#!/bin/sh
echo "$JUJU_DISPATCH_PATH relation=$JUJU_RELATION_ID workload=$JUJU_WORKLOAD_NAME" >> ../hooks.log
[ ! -e ../fail ] || exit 3
`

// drivenAgent serves a driven agent of a shell charm, introduced as a
// new leader unit with a peer relation.
func drivenAgent(t *testing.T) (*charmagent.Client, string) {
	dir := t.TempDir()
	charmDir := filepath.Join(dir, "charm")
	require.NoError(t, os.MkdirAll(charmDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(charmDir, "dispatch"), []byte(shellCharm), 0o755))
	cs := spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
	a, err := charmagent.New(charmagent.Config{Unit: spec.NewUnitID("demo", 0), Spec: cs, Epoch: time.Now(), Driven: true,
		SocketDir: filepath.Join(dir, "containers"), StateDir: filepath.Join(dir, "state"),
		Charm: &charmagent.CharmConfig{Dir: charmDir, ToolsDir: filepath.Join(dir, "tools"), Jujuc: "/bin/false", Path: os.Getenv("PATH"),
			Meta: spec.CharmMeta{Actions: map[string]spec.ActionMeta{"get-url": {}}}}})
	require.NoError(t, err)
	socket := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", socket)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { a.Serve(ctx, l); close(served) }()
	t.Cleanup(func() { cancel(); l.Close(); <-served })
	c := charmagent.NewUnixClient(socket)
	require.NoError(t, c.IntroduceCharm(true, hooktools.Unit{Name: "demo/0", Leader: true,
		Relations: []hooktools.Relation{{ID: 1, Endpoint: "peers", RemoteApp: "demo"}}}))
	return c, dir
}

func hooksRun(t *testing.T, dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "hooks.log"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestADrivenAgentRunsOnlyTheHooksItIsAskedFor(t *testing.T) {
	c, dir := drivenAgent(t)
	time.Sleep(200 * time.Millisecond)
	assert.Empty(t, hooksRun(t, dir), "a driven agent starts no hook by itself")

	ctx := context.Background()
	for _, req := range []charmagent.RunRequest{{Name: "install"}, {Name: "peers-relation-created"}, {Name: "app-pebble-ready", Workload: "app"}} {
		res, err := c.Run(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, req.Name, res.Event.Name)
		assert.Zero(t, res.Event.Exit)
	}
	assert.Equal(t, []string{
		"hooks/install relation= workload=",
		"hooks/peers-relation-created relation=peers:1 workload=", // the context it queued at the introduction
		"hooks/app-pebble-ready relation= workload=app",
	}, hooksRun(t, dir))

	_, err := c.Run(ctx, charmagent.RunRequest{Name: "ingress-relation-joined"})
	require.ErrorContains(t, err, "its agent has queued no such event",
		"an event the agent has no context for is refused, not run without it")
}

func TestADrivenAgentKeepsAFailedHookForItsRetry(t *testing.T) {
	c, dir := drivenAgent(t)
	ctx := context.Background()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fail"), nil, 0o644))
	res, err := c.Run(ctx, charmagent.RunRequest{Name: "peers-relation-created"})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Event.Exit)
	v, err := c.Unit()
	require.NoError(t, err)
	assert.Contains(t, v.Error, "peers-relation-created", "the unit is in error on it")

	require.NoError(t, os.Remove(filepath.Join(dir, "fail")))
	res, err = c.Run(ctx, charmagent.RunRequest{Name: "peers-relation-created"})
	require.NoError(t, err)
	assert.Zero(t, res.Event.Exit)
	assert.Equal(t, []string{"hooks/peers-relation-created relation=peers:1 workload=", "hooks/peers-relation-created relation=peers:1 workload="},
		hooksRun(t, dir), "the retry keeps its relation")
	_, err = c.Run(ctx, charmagent.RunRequest{Name: "peers-relation-created"})
	require.Error(t, err, "once it succeeded, it is no longer queued")
}

func TestADrivenAgentRunsAQueuedActionAtItsTurnAndAnswersItsResult(t *testing.T) {
	c, dir := drivenAgent(t)
	require.NoError(t, c.QueueAction("get-url", nil), "queueing answers at once")
	assert.Empty(t, hooksRun(t, dir))
	res, err := c.Run(context.Background(), charmagent.RunRequest{Name: spec.ActionEvent("get-url")})
	require.NoError(t, err)
	require.NotNil(t, res.Action)
	assert.Equal(t, "completed", res.Action.Status)
	assert.Equal(t, []string{"actions/get-url relation= workload="}, hooksRun(t, dir))
}
