package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

func yourCharmSpec() *spec.CharmSpec {
	return &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}},
		Charm: &spec.RealCharm{Meta: spec.CharmMeta{Name: "demo", Peers: map[string]string{"replicas": "demo_replicas"}}}}
}

func eventsOf(u *Unit) []string {
	var out []string
	for _, e := range u.Events() {
		out = append(out, e.Name)
	}
	return out
}

// A charm of your own gets relation-created for its peers after install
// (JUJU-CONTRACT.md §3), as a declared charm, which has no peers, does not.
func TestYourCharmsPeersAreCreatedAfterInstall(t *testing.T) {
	h := newHarness(t, testProfile(), yourCharmSpec())
	h.m.Clock.Sleep(time.Second)
	require.Equal(t, []string{"install", "replicas-relation-created", "leader-elected", "config-changed", "start", "app-pebble-ready"}, eventsOf(h.u))
}

// A hook the run saw fail is retried alone after 5 s, then 10 s, and the
// events after it wait (Juju's retry strategy).
func TestAFailedHookIsRetriedWithJujusBackoff(t *testing.T) {
	m, err := New(testProfile(), 1)
	require.NoError(t, err)
	m.runHooks = map[spec.UnitID]map[string][]RunHook{"demo/0": {"install": {{}, {}, {OK: true}}}}
	require.NoError(t, m.Deploy(yourCharmSpec(), 1, 1))
	m.Clock.Sleep(time.Minute)
	u := m.Units()[0]
	require.Equal(t, []string{"install", "install", "install", "replicas-relation-created", "leader-elected", "config-changed", "start", "app-pebble-ready"}, eventsOf(u))
	ev := u.Events()
	require.Equal(t, 5*time.Second, ev[1].At-ev[0].At)
	require.Equal(t, 10*time.Second, ev[2].At-ev[1].At)
	var failed []string
	for _, r := range m.Trace().Records {
		if r.Type == spec.RecEvent && r.State == spec.HookFailed {
			failed = append(failed, r.Message)
		}
	}
	require.Equal(t, []string{"install", "install"}, failed)
}

// juju config and juju run are events; a deleted pod's charm gets stop.
func TestConfigActionsAndStopOfYourCharm(t *testing.T) {
	h := newHarness(t, testProfile(), yourCharmSpec())
	h.m.Clock.Sleep(time.Second)
	require.NoError(t, h.m.SetConfig("port=1"))
	require.NoError(t, h.m.RunAction("demo/0", "backup"))
	require.NoError(t, h.m.DeletePod("demo/0"))
	require.Equal(t, []string{"install", "replicas-relation-created", "leader-elected", "config-changed", "start", "app-pebble-ready",
		"config-changed", "backup-action", "stop"}, eventsOf(h.u))
}

// update-status runs every interval from the agent's start; a tick while
// one waits in the queue (a failing hook holds it) makes no second one,
// and a charm container restart starts the timer over.
func TestUpdateStatusTicksFromTheAgentsStart(t *testing.T) {
	rules(t, "R2.7")
	cs := yourCharmSpec()
	cs.Charm.UpdateStatus = 2 * time.Second
	h := newHarness(t, testProfile(), cs)
	start := h.u.Events()[0].At
	h.m.Clock.Sleep(7 * time.Second)
	var ticks []time.Duration
	for _, e := range h.u.Events() {
		if e.Name == spec.EventUpdateStatus {
			ticks = append(ticks, e.At-start)
		}
	}
	require.Len(t, ticks, 3)
	require.InDelta(t, float64(2*time.Second), float64(ticks[0]), float64(300*time.Millisecond))
	require.InDelta(t, float64(2*time.Second), float64(ticks[1]-ticks[0]), float64(time.Millisecond))

	m, err := New(testProfile(), 1)
	require.NoError(t, err)
	m.runHooks = map[spec.UnitID]map[string][]RunHook{"demo/0": {"install": {{}, {}, {OK: true}}}}
	require.NoError(t, m.Deploy(cs, 1, 1))
	m.Clock.Sleep(30 * time.Second)
	n := 0
	for _, e := range eventsOf(m.Units()[0]) {
		if e == spec.EventUpdateStatus {
			n++
		}
	}
	// The agent is up at 3 s and ticks at 5, 7, ... 29 s: the 7 ticks
	// while install is retried (until 18 s) make one update-status, the 6
	// after one each.
	require.Equal(t, 7, n, "%v", eventsOf(m.Units()[0]))
}

// Leadership moved: the new leader gets leader-elected, the old none.
// Scaled up, a new unit comes numbered on with the others as peers, and
// each side gets joined and changed for the other; scaled down, the last
// unit runs departed and broken, stop and remove, the others departed.
func TestLeadershipAndScalingOfYourCharm(t *testing.T) {
	rules(t, "R2.7")
	h := newHarness(t, testProfile(), yourCharmSpec())
	h.m.Clock.Sleep(time.Second)
	require.NoError(t, h.m.Scale(2))
	h.m.Clock.Sleep(10 * time.Second)
	u1, err := h.m.Unit("demo/1")
	require.NoError(t, err)
	require.Equal(t, []string{"install", "replicas-relation-created", "config-changed", "start",
		"replicas-relation-joined", "replicas-relation-changed", "app-pebble-ready"}, eventsOf(u1))
	require.Equal(t, []string{"install", "replicas-relation-created", "leader-elected", "config-changed", "start", "app-pebble-ready",
		"replicas-relation-joined", "replicas-relation-changed"}, eventsOf(h.u))

	require.NoError(t, h.m.MoveLeader("demo/1"))
	require.Equal(t, "leader-elected", eventsOf(u1)[len(eventsOf(u1))-1])
	require.NoError(t, h.m.MoveLeader("demo/1"))
	require.Len(t, eventsOf(u1), 8, "a leader given leadership again gets no hook")

	// The leader goes: demo/0 is elected.
	require.NoError(t, h.m.Scale(1))
	require.Equal(t, []string{"replicas-relation-departed", "replicas-relation-broken", "stop", "remove"}, eventsOf(u1)[8:])
	require.Equal(t, []string{"replicas-relation-departed", "leader-elected"}, eventsOf(h.u)[8:])
	require.Nil(t, u1.pod)
	require.Error(t, h.m.Scale(0))
}

// A unit that goes runs its dying hooks, each as long as the run's, and
// no update-status after them; its pod goes once they ran. So does a
// deleted pod's, after stop.
func TestAGoingUnitRunsNoUpdateStatusAfterItsLastHooks(t *testing.T) {
	cs := yourCharmSpec()
	cs.Charm.UpdateStatus = time.Second
	slow := []RunHook{{OK: true, Took: 1500 * time.Millisecond}}
	m, err := New(testProfile(), 1)
	require.NoError(t, err)
	m.runHooks = map[spec.UnitID]map[string][]RunHook{"demo/1": {
		"replicas-relation-departed": slow, "replicas-relation-broken": slow, "stop": slow, "remove": slow}}
	require.NoError(t, m.Deploy(cs, 2, 1))
	m.Clock.Sleep(5 * time.Second)
	require.NoError(t, m.RemoveUnit("demo/1"))
	m.Clock.Sleep(time.Minute)
	u, err := m.Unit("demo/1")
	require.NoError(t, err)
	events := eventsOf(u)
	require.Equal(t, []string{"replicas-relation-departed", "replicas-relation-broken", "stop", "remove"}, events[len(events)-4:])
	require.Nil(t, u.pod, "its pod went after its last hook")

	h := newHarness(t, testProfile(), cs)
	h.m.runHooks = map[spec.UnitID]map[string][]RunHook{"demo/0": {"stop": slow}}
	h.m.Clock.Sleep(5 * time.Second)
	require.NoError(t, h.m.DeletePod("demo/0"))
	h.m.Clock.Sleep(1600 * time.Millisecond)
	events = eventsOf(h.u)
	require.Equal(t, "stop", events[len(events)-1], "no update-status while stop runs: %v", events)
}
