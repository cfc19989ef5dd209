package simulator

import (
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

const webLayer = `
services:
  web:
    override: replace
    startup: enabled
    command: /usr/bin/workload --http=8080
    on-check-failure: {up: restart}
checks:
  up:
    override: replace
    level: alive
    period: 1s
    threshold: 3
    http: {url: "http://localhost:8080/health"}
`

func (h *harness) check(name string) *client.CheckInfo {
	h.t.Helper()
	infos, err := h.c.Checks(&client.ChecksOptions{Names: []string{name}})
	require.NoError(h.t, err)
	require.Len(h.t, infos, 1)
	return infos[0]
}

func TestCheckFailuresAndThreshold(t *testing.T) {
	rules(t, "R6.1", "R6.2", "R2.3")
	cs := oneContainer()
	cs.Handlers = []spec.Handler{{Event: "app-pebble-ready", Actions: []spec.Action{
		{Kind: spec.ActAddLayer, Container: "app", Label: "web", Layer: webLayer},
		{Kind: spec.ActReplan, Container: "app"},
	}}}
	h := newHarness(t, testProfile(), cs)
	h.sleep(3 * time.Second)
	require.Equal(t, client.CheckStatusUp, h.check("up").Status)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, false))
	h.sleep(2 * time.Second)
	c := h.check("up")
	require.Equal(t, 2, c.Failures, "below the threshold")
	require.Equal(t, client.CheckStatusUp, c.Status)
	h.sleep(time.Second)
	c = h.check("up")
	require.Equal(t, client.CheckStatusDown, c.Status, "threshold reached")
	require.Len(t, h.logs(`Check "up" threshold 3 hit, triggering action and recovering`), 1)
	require.Len(t, h.logs(`Service "web" on-check-failure action is "restart", terminating process before restarting`), 1)
	require.Len(t, h.logs(`Service "web" exited after check failure, restarting`), 1)
	p, _ := h.c.pebble()
	require.Equal(t, "recover-check", p.changes[c.ChangeID].kind)
	h.sleep(10 * time.Millisecond)
	require.Contains(t, h.events(), "app-pebble-check-failed")
	// The action fires once: more failures while recovering do nothing more.
	h.sleep(5 * time.Second)
	require.Len(t, h.logs(`on-check-failure action is "restart", terminating`), 1)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, true))
	h.sleep(1100 * time.Millisecond)
	c = h.check("up")
	require.Equal(t, client.CheckStatusUp, c.Status)
	require.Equal(t, 0, c.Failures)
	require.Equal(t, "perform-check", p.changes[c.ChangeID].kind)
	h.sleep(10 * time.Millisecond)
	require.Equal(t, "app-pebble-check-recovered", h.events()[len(h.events())-1])
}

func TestFailuresBelowThreshold(t *testing.T) {
	rules(t, "R6.1")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("web", webLayer)
	h.replan()
	h.sleep(2 * time.Second)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, false))
	h.sleep(2 * time.Second)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, true))
	h.sleep(time.Second)
	c := h.check("up")
	require.Equal(t, 0, c.Failures, "a success resets the count")
	require.Equal(t, client.CheckStatusUp, c.Status)
	require.Empty(t, h.logs(`threshold`))
}

func TestHealthLevels(t *testing.T) {
	rules(t, "R6.3")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", `
services:
  web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080}
  db: {override: replace, startup: enabled, command: /usr/bin/workload --tcp=5432}
checks:
  alive: {override: replace, level: alive, period: 1s, threshold: 1, http: {url: "http://localhost:8080/health"}}
  ready: {override: replace, level: ready, period: 1s, threshold: 1, tcp: {port: 5432}}
`)
	h.replan()
	h.sleep(1500 * time.Millisecond)
	health := func(level client.CheckLevel) bool {
		ok, err := h.c.Health(&client.HealthOptions{Level: level})
		require.NoError(t, err)
		return ok
	}
	require.True(t, health(client.AliveLevel))
	require.True(t, health(client.ReadyLevel))
	_, err := h.c.Stop(&client.ServiceOptions{Names: []string{"db"}})
	require.NoError(t, err)
	h.sleep(time.Second)
	require.True(t, health(client.AliveLevel), "a down ready check leaves alive healthy")
	require.False(t, health(client.ReadyLevel))
	_, err = h.c.Start(&client.ServiceOptions{Names: []string{"db"}})
	require.NoError(t, err)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, false))
	h.sleep(1100 * time.Millisecond)
	require.False(t, health(client.AliveLevel))
	require.False(t, health(client.ReadyLevel), "ready counts alive checks too")
}

func TestExecCheckAndTCP(t *testing.T) {
	rules(t, "R6.1")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", `
checks:
  probe: {override: replace, period: 1s, threshold: 1, exec: {command: "/usr/bin/workload --fail-if-exists=/tmp/broken"}}
  port: {override: replace, period: 1s, threshold: 1, tcp: {port: 9999}}
`)
	h.sleep(1100 * time.Millisecond)
	require.Equal(t, client.CheckStatusUp, h.check("probe").Status)
	require.Equal(t, client.CheckStatusDown, h.check("port").Status, "nothing listens on 9999")
	require.NoError(t, h.c.Push(&client.PushOptions{Path: "/tmp/broken", Source: stringsReader(""), MakeDirs: true}))
	h.sleep(time.Second)
	require.Equal(t, client.CheckStatusDown, h.check("probe").Status)
}

// TestExecCheckTimesOut: checkstate's runCheck fails a check whose
// command outlives its timeout, which is the period when that is
// shorter, with "check timed out after".
func TestExecCheckTimesOut(t *testing.T) {
	rules(t, "R6.1")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", `
checks:
  forever: {override: replace, period: 1s, threshold: 1, exec: {command: "/usr/bin/workload"}}
  slow: {override: replace, period: 2s, timeout: 500ms, threshold: 1, exec: {command: "/usr/bin/workload --exit-after=700ms"}}
  quick: {override: replace, period: 2s, timeout: 500ms, threshold: 1, exec: {command: "/usr/bin/workload --exit-after=100ms"}}
`)
	h.sleep(2400 * time.Millisecond) // slow's first run: at its period (2 s), failing 500 ms later
	require.Equal(t, client.CheckStatusUp, h.check("slow").Status, "a check that times out ends at its timeout")
	h.sleep(200 * time.Millisecond)
	require.Equal(t, client.CheckStatusDown, h.check("forever").Status)
	require.Equal(t, client.CheckStatusDown, h.check("slow").Status)
	require.Equal(t, client.CheckStatusUp, h.check("quick").Status)
	require.NotEmpty(t, h.logs(`^Check "forever" failure 1/1: check timed out after 1s$`))
	require.NotEmpty(t, h.logs(`^Check "slow" failure 1/1: check timed out after 500ms$`))
}
