package simulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"
)

// TestCalculateNextBackoff mirrors servstate's test of the same name.
func TestCalculateNextBackoff(t *testing.T) {
	rules(t, "R5.4")
	tests := []struct {
		delay   time.Duration
		factor  float64
		limit   time.Duration
		current time.Duration
		next    time.Duration
	}{
		{500 * time.Millisecond, 2, 30 * time.Second, 0, 500 * time.Millisecond},
		{500 * time.Millisecond, 2, 30 * time.Second, 500 * time.Millisecond, time.Second},
		{500 * time.Millisecond, 2, 30 * time.Second, 16 * time.Second, 30 * time.Second},
		{500 * time.Millisecond, 2, 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{time.Second, 1.5, 60 * time.Second, time.Second, 1500 * time.Millisecond},
		{time.Second, 1, 10 * time.Second, 3 * time.Second, 3 * time.Second},
		{10 * time.Second, 2, 5 * time.Second, 0, 10 * time.Second},
		{10 * time.Second, 2, 5 * time.Second, 10 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		cfg := &service{BackoffDelay: optDuration{tt.delay, true}, BackoffFactor: optFloat{tt.factor, true}, BackoffLimit: optDuration{tt.limit, true}}
		require.Equal(t, tt.next, nextBackoff(cfg, tt.current), "%+v", tt)
	}
}

func TestStatusOf(t *testing.T) {
	rules(t, "R5.1")
	for state, status := range map[string]string{
		stateInitial: "inactive", stateStarting: "active", stateRunning: "active", stateTerminating: "inactive",
		stateKilling: "inactive", stateStopped: "inactive", stateBackoff: "backoff", stateExited: "error",
	} {
		require.Equal(t, status, statusOf(state), state)
	}
}

func TestOkayDelay(t *testing.T) {
	rules(t, "R5.2")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool))
	id := h.replan()
	h.sleep(500 * time.Millisecond)
	require.Equal(t, "active", h.status("srv"))
	p, _ := h.c.pebble()
	require.Equal(t, stateStarting, p.services["srv"].state)
	chg := p.changes[id]
	require.False(t, chg.isDone, "the start change waits for the okay delay")
	h.sleep(600 * time.Millisecond)
	require.Equal(t, stateRunning, p.services["srv"].state)
	require.Equal(t, "Done", chg.status)
}

func TestStartFastExitCommand(t *testing.T) {
	rules(t, "R5.2", "R5.4")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=200ms --exit-code=3"))
	id := h.replan()
	got, err := h.c.WaitChange(id, nil)
	require.NoError(t, err)
	require.Equal(t, "Error", got.Status)
	require.Contains(t, got.Err, "exited quickly with code 3, will restart")
	require.Equal(t, "backoff", h.status("srv"), "on-failure still runs: restart through backoff")
}

func TestActionRestartBackoffAndReset(t *testing.T) {
	rules(t, "R5.4", "R3.1")
	// Runs 1.1 s (past the okay delay) then fails; the 2 s backoff-limit
	// is never reached while running, so the delay grows to the limit.
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1", "backoff-delay: 100ms", "backoff-limit: 2s"))
	h.replan()
	h.sleep(20 * time.Second)
	lines := h.logs(`waiting`)
	want := []string{"~100ms", "~200ms", "~400ms", "~800ms", "~1.6s", "~2s", "~2s"}
	require.GreaterOrEqual(t, len(lines), len(want))
	for i, w := range want {
		require.Contains(t, lines[i].Message, w+fmt.Sprintf(" before restart (backoff %d)", i+1))
	}

	// Running 2.5 s outlasts the 2 s limit: the reset timer fires while
	// running, so every backoff starts over at 1.
	h = newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=2500ms --exit-code=1", "backoff-delay: 100ms", "backoff-limit: 2s"))
	h.replan()
	h.sleep(20 * time.Second)
	lines = h.logs(`waiting`)
	require.GreaterOrEqual(t, len(lines), 5)
	for _, l := range lines {
		require.Contains(t, l.Message, "~100ms before restart (backoff 1)")
	}
}

func TestBackoffGrowsWithoutReset(t *testing.T) {
	rules(t, "R5.4")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1", "backoff-delay: 2s", "backoff-factor: 2", "backoff-limit: 10s"))
	h.replan()
	h.sleep(60 * time.Second)
	lines := h.logs(`waiting`)
	require.GreaterOrEqual(t, len(lines), 5)
	for i, w := range []string{"~2s", "~4s", "~8s", "~10s", "~10s"} {
		require.Contains(t, lines[i].Message, w, "line %d", i)
	}
	// The actual wait is the delay plus jitter in [0, 10%).
	starts := h.starts("srv")
	for i := 0; i < 4; i++ {
		wait := starts[i+1] - lines[i].At
		nominal := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second}[i]
		require.GreaterOrEqual(t, wait, nominal)
		require.Less(t, wait, nominal+nominal/10)
	}
}

func TestExplicitStartResetsBackoff(t *testing.T) {
	rules(t, "R5.4")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1", "backoff-delay: 1s"))
	h.replan()
	h.sleep(4 * time.Second)
	for h.status("srv") != "backoff" {
		h.sleep(50 * time.Millisecond)
	}
	p, _ := h.c.pebble()
	require.GreaterOrEqual(t, p.services["srv"].backoffNum, 2)
	_, err := h.c.Start(&client.ServiceOptions{Names: []string{"srv"}})
	require.NoError(t, err)
	require.Equal(t, 0, p.services["srv"].backoffNum)
}

func TestExitActions(t *testing.T) {
	rules(t, "R5.3")
	tests := []struct {
		name, extra string
		code        int
		status      string
		restarts    int
		log         string
	}{
		{"ignore success", "on-success: ignore", 0, "inactive", 0, `on-success action is "ignore", not doing anything further`},
		{"ignore failure", "on-failure: ignore", 2, "error", 0, `on-failure action is "ignore", not doing anything further`},
		{"restart", "on-failure: restart", 2, "backoff", 0, `on-failure action is "restart", waiting ~500ms before restart (backoff 1)`},
		{"shutdown failure", "on-failure: shutdown", 2, "", 1, `on-failure action is "shutdown", triggering failure shutdown`},
		{"shutdown success", "on-success: shutdown", 0, "", 1, `on-success action is "shutdown", triggering success shutdown`},
		{"success-shutdown", "on-failure: success-shutdown", 2, "", 1, `on-failure action is "success-shutdown", triggering success shutdown`},
		{"failure-shutdown", "on-success: failure-shutdown", 0, "", 1, `on-success action is "failure-shutdown", triggering failure shutdown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testProfile(), oneContainer())
			cmd := tool + " --exit-after=1500ms"
			if tt.code != 0 {
				cmd += " --exit-code=2"
			}
			h.layer("l", svcLayer("srv", cmd, tt.extra))
			h.replan()
			h.sleep(1600 * time.Millisecond)
			require.Len(t, h.logs(regexpQuote(tt.log)), 1)
			if tt.status != "" {
				require.Equal(t, tt.status, h.status("srv"))
			}
			h.sleep(100 * time.Millisecond)
			require.Equal(t, tt.restarts, h.m.Pods()[0].Restarts["app"], "Pebble exiting kills the container")
		})
	}
}

func TestKillDelayIsUsed(t *testing.T) {
	rules(t, "R5.5")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("stubborn", tool+" --ignore-sigterm", "kill-delay: 3s"))
	h.replan()
	h.sleep(2 * time.Second)
	p, _ := h.c.pebble()
	id, err := h.c.Stop(&client.ServiceOptions{Names: []string{"stubborn"}})
	require.NoError(t, err)
	h.sleep(2900 * time.Millisecond)
	require.Equal(t, stateTerminating, p.services["stubborn"].state, "SIGTERM ignored: still terminating within kill-delay")
	h.sleep(200 * time.Millisecond)
	require.Equal(t, stateStopped, p.services["stubborn"].state, "SIGKILL after kill-delay")
	require.Equal(t, "Done", p.changes[id].status)
}

func TestStopDuringBackoff(t *testing.T) {
	rules(t, "R5.5")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1", "backoff-delay: 10s"))
	h.replan()
	h.sleep(1200 * time.Millisecond)
	require.Equal(t, "backoff", h.status("srv"))
	_, err := h.c.Stop(&client.ServiceOptions{Names: []string{"srv"}})
	require.NoError(t, err)
	require.Equal(t, "inactive", h.status("srv"))
	require.Len(t, h.logs(`stopped while waiting for backoff`), 1)
	h.sleep(20 * time.Second)
	require.Len(t, h.starts("srv"), 1, "the pending restart was cancelled")
}

func TestReplanServices(t *testing.T) {
	rules(t, "R5.6")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("a", tool)+"  b:\n    override: replace\n    startup: enabled\n    command: "+tool+"\n  c:\n    override: replace\n    command: "+tool+"\n")
	h.replan()
	h.sleep(2 * time.Second)
	require.Equal(t, "active", h.status("a"))
	require.Equal(t, "inactive", h.status("c"), "startup is not enabled")
	h.layer("m", "services:\n  a:\n    override: merge\n    environment: {X: '1'}\n")
	h.replan()
	h.sleep(2 * time.Second)
	require.Len(t, h.starts("a"), 2, "a's configuration changed: restarted")
	require.Len(t, h.starts("b"), 1, "b unchanged: left running")
}

func TestSendSignal(t *testing.T) {
	rules(t, "R3.1")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", svcLayer("srv", tool))
	h.replan()
	h.sleep(2 * time.Second)
	require.NoError(t, h.c.SendSignal(&client.SendSignalOptions{Signal: "SIGTERM", Services: []string{"srv"}}))
	h.sleep(10 * time.Millisecond)
	require.Len(t, h.logs(`Service "srv" stopped unexpectedly with code 143`), 1)
	require.Equal(t, "backoff", h.status("srv"))
}

func TestStartLanesWaitForTheOkayDelay(t *testing.T) {
	rules(t, "R5.6", "R5.2")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", `
services:
  web: {override: replace, startup: enabled, command: /usr/bin/workload, requires: [db], after: [db]}
  db: {override: replace, command: /usr/bin/workload --tcp=5432}
  side: {override: replace, startup: enabled, command: /usr/bin/workload, after: [db]}
  dead: {override: replace, command: /usr/bin/workload --exit-after=100ms --exit-code=1}
  hostage: {override: replace, command: /usr/bin/workload, requires: [dead], after: [dead]}
`)
	start := h.m.Clock.Now()
	h.replan()
	h.sleep(500 * time.Millisecond)
	require.Len(t, h.starts("db"), 1)
	require.Len(t, h.starts("side"), 1, "after without requires: another lane, started at once")
	require.Empty(t, h.starts("web"), "web waits in db's lane for db's okay delay")
	h.sleep(600 * time.Millisecond)
	require.Len(t, h.starts("web"), 1)
	require.GreaterOrEqual(t, h.starts("web")[0]-start, okayDelay)

	id, err := h.c.Start(&client.ServiceOptions{Names: []string{"hostage"}})
	require.NoError(t, err)
	chg, err := h.c.WaitChange(id, nil)
	require.NoError(t, err)
	require.Equal(t, "Error", chg.Status)
	require.Empty(t, h.starts("hostage"), "a failed start holds the rest of its lane")
}

func TestLanes(t *testing.T) {
	rules(t, "R5.6")
	l := mustLayer(t, 1, "l", `
services:
  a: {override: replace, command: x}
  b: {override: replace, command: x, requires: [a]}
  c: {override: replace, command: x}
`)
	p, err := buildPlan([]*layer{l})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"a", "b"}, {"c"}}, p.lanes([]string{"a", "b", "c"}))
}

// TestReplanFollowsPebble pins servstate's Replan and the daemon's
// restart (v1.26.0): a changed service Pebble knows restarts even when it
// is disabled and stopped; a changed requirement stops what requires it,
// which starts again only if enabled; restart touches only the named
// services.
func TestReplanFollowsPebble(t *testing.T) {
	rules(t, "R5.6")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("l", "services:\n"+
		"  db: {override: replace, command: "+tool+"}\n"+
		"  web: {override: replace, startup: enabled, command: "+tool+", requires: [db]}\n"+
		"  needy: {override: replace, command: "+tool+", requires: [db]}\n"+
		"  spare: {override: replace, command: "+tool+"}\n")
	h.replan()
	h.sleep(2 * time.Second)
	_, err := h.c.Start(&client.ServiceOptions{Names: []string{"needy", "spare"}})
	require.NoError(t, err)
	h.sleep(2 * time.Second)
	_, err = h.c.Stop(&client.ServiceOptions{Names: []string{"spare"}})
	require.NoError(t, err)
	h.sleep(2 * time.Second)
	require.Equal(t, "inactive", h.status("spare"))
	p, _ := h.c.pebble()
	starts := func(name string) int { return p.services[name].starts }

	_, err = h.c.Restart(&client.ServiceOptions{Names: []string{"db"}})
	require.NoError(t, err)
	h.sleep(3 * time.Second)
	require.Equal(t, 2, starts("db"))
	require.Equal(t, 1, starts("web"), "restart touches only the named services")
	require.Equal(t, "active", h.status("web"))

	require.NoError(t, h.c.AddLayer(&client.AddLayerOptions{Label: "l", Combine: true, LayerData: []byte(
		"services:\n  db: {override: merge, environment: {MODE: fast}}\n  spare: {override: merge, environment: {MODE: fast}}\n")}))
	h.replan()
	h.sleep(5 * time.Second)
	require.Equal(t, 3, starts("db"))
	require.Equal(t, 2, starts("web"), "what requires a changed service restarts if enabled")
	require.Equal(t, "inactive", h.status("needy"), "and stays stopped if not")
	require.Equal(t, 2, starts("spare"), "a changed service starts though disabled and stopped")
	require.Equal(t, "active", h.status("spare"))
}
