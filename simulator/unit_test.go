package simulator

import (
	"errors"
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// readyCharm re-adds its layer and replans on every pebble-ready.
func readyCharm(containers ...string) *spec.CharmSpec {
	cs := &spec.CharmSpec{App: "demo"}
	for _, c := range containers {
		cs.Containers = append(cs.Containers, spec.Container{Name: c})
		cs.Handlers = append(cs.Handlers, spec.Handler{Event: spec.PebbleReady(c), Actions: []spec.Action{
			{Kind: spec.ActAddLayer, Container: c, Label: "svc", Layer: svcLayer("srv", tool+" --record=srv")},
			{Kind: spec.ActReplan, Container: c},
		}})
	}
	return cs
}

func TestLifecycleNewUnit(t *testing.T) {
	rules(t, "R2.5", "R2.1")
	m, err := New(testProfile(), 1)
	require.NoError(t, err)
	require.NoError(t, m.Deploy(readyCharm("b", "a"), 2, 1))
	m.Clock.Sleep(10 * time.Second)
	names := func(u *Unit) []string {
		var out []string
		for _, e := range u.Events() {
			out = append(out, e.Name)
		}
		return out
	}
	require.Equal(t, []string{"install", "leader-elected", "config-changed", "start", "a-pebble-ready", "b-pebble-ready"}, names(m.Units()[0]))
	require.Equal(t, []string{"install", "config-changed", "start", "a-pebble-ready", "b-pebble-ready"}, names(m.Units()[1]), "leader-elected on unit 0 only")
}

func TestPodDeletedLifecycle(t *testing.T) {
	rules(t, "R2.5", "R3.6")
	h := newHarness(t, testProfile(), readyCharm("app"))
	h.sleep(5 * time.Second)
	require.NoError(t, h.c.AddLayer(&client.AddLayerOptions{Label: "extra", LayerData: []byte(svcLayer("extra", tool))}))
	require.NoError(t, h.m.DeletePod(h.u.id))
	h.sleep(10 * time.Second)
	ev := h.events()
	require.Equal(t, []string{"upgrade-charm", "config-changed", "start", "app-pebble-ready"}, ev[len(ev)-4:])
	infos, err := h.c.Services(nil)
	require.NoError(t, err)
	require.Len(t, infos, 1, "the API layer is gone with the pod; the handler re-added its own")
	n, err := h.m.StartCount(h.u.id, "app", "srv")
	require.NoError(t, err)
	require.Equal(t, 1, n, "start records lived on the old pod's emptyDir")
	require.Equal(t, 0, h.m.Pods()[0].Restarts["app"], "a new pod counts restarts from zero")
}

func TestContainerRestart(t *testing.T) {
	rules(t, "R3.2", "R2.1", "R2.6")
	profile := testProfile()
	profile.RestartInitial = 3 * time.Second
	cs := readyCharm("app")
	cs.Handlers = cs.Handlers[:0] // no charm reaction: show what is lost
	h := newHarness(t, profile, cs)
	h.sleep(5 * time.Second)
	h.layer("api", svcLayer("srv", tool+" --record=srv"))
	h.replan()
	h.sleep(2 * time.Second)
	before, _ := h.c.SysInfo()
	require.NoError(t, h.m.KillContainer(h.u.id, "app"))
	_, err := h.c.SysInfo()
	var sock *client.SocketNotFoundError
	require.True(t, errors.As(err, &sock), "cannot connect while the container is down: %v", err)
	h.sleep(3100 * time.Millisecond)
	after, err := h.c.SysInfo()
	require.NoError(t, err)
	require.NotEqual(t, before.BootID, after.BootID, "a new Pebble, a new boot id")
	require.Equal(t, 1, h.m.Pods()[0].Restarts["app"])
	infos, _ := h.c.Services(nil)
	require.Empty(t, infos, "API layers are lost; --hold starts nothing")
	h.sleep(5 * time.Second)
	ev := h.events()
	require.Equal(t, "app-pebble-ready", ev[len(ev)-1])
	require.Equal(t, 2, count(ev, "app-pebble-ready"))
	n, _ := h.m.StartCount(h.u.id, "app", "srv")
	require.Equal(t, 1, n, "start records span container restarts")
}

func TestRestartsWithinOnePollCollapse(t *testing.T) {
	rules(t, "R2.1")
	h := newHarness(t, testProfile(), oneContainer())
	h.sleep(4 * time.Second) // just after a poll
	require.NoError(t, h.m.KillContainer(h.u.id, "app"))
	h.sleep(100 * time.Millisecond)
	require.NoError(t, h.m.KillContainer(h.u.id, "app"))
	h.sleep(30 * time.Second)
	require.Equal(t, 2, h.m.Pods()[0].Restarts["app"])
	require.Equal(t, 2, count(h.events(), "app-pebble-ready"), "two restarts inside one poll: one event")
}

func TestServiceExitRaisesNoEvent(t *testing.T) {
	rules(t, "R2.4")
	h := newHarness(t, testProfile(), oneContainer())
	h.sleep(5 * time.Second)
	before := len(h.events())
	h.layer("l", svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1"))
	h.replan()
	h.sleep(30 * time.Second)
	require.Greater(t, len(h.logs(`stopped unexpectedly`)), 3)
	require.Equal(t, before, len(h.events()))
}

func TestCustomNotice(t *testing.T) {
	rules(t, "R2.2")
	h := newHarness(t, testProfile(), oneContainer())
	h.sleep(5 * time.Second)
	_, err := h.c.Notify(&client.NotifyOptions{Type: client.CustomNotice, Key: "example.com/thing"})
	require.NoError(t, err)
	h.sleep(time.Millisecond)
	evs := h.u.Events()
	require.Equal(t, "app-pebble-custom-notice", evs[len(evs)-1].Name)
	require.Equal(t, "example.com/thing", evs[len(evs)-1].Key)
	_, err = h.c.Notify(&client.NotifyOptions{Type: client.CustomNotice, Key: "nodomain"})
	require.Error(t, err)
}

func TestCannotConnectBeforePebble(t *testing.T) {
	rules(t, "R2.6")
	m, _ := New(testProfile(), 1)
	cs := oneContainer()
	require.NoError(t, m.Deploy(cs, 1, 1))
	_, err := m.Units()[0].Client("app").SysInfo()
	var sock *client.SocketNotFoundError
	require.True(t, errors.As(err, &sock), "before the pod runs there is no socket")
	m.Clock.Sleep(testProfile().PodStart)
	_, err = m.Units()[0].Client("app").SysInfo()
	require.NoError(t, err)
}

func TestHandlerErrorsAreRecorded(t *testing.T) {
	rules(t, "R2.6")
	cs := oneContainer()
	cs.Handlers = []spec.Handler{{Event: "app-pebble-ready", Actions: []spec.Action{{Kind: spec.ActStart, Container: "app", Services: []string{"ghost"}}}}}
	_ = cs
	require.Error(t, CheckSpec(cs), "the consistency check refuses a service no layer defines")
}

func TestCopyOnce(t *testing.T) {
	rules(t, "R4.7", "R4.5")
	cs := oneContainer()
	cs.Containers[0].Layers = map[string]string{"001-base.yaml": svcLayer("shipped", tool)}
	h := newHarness(t, testProfile(), cs)
	infos, _ := h.c.Services(nil)
	require.Len(t, infos, 1, "the image's layer was copied into $PEBBLE and loaded")
	require.Equal(t, "shipped", infos[0].Name)
	// $PEBBLE is now the truth: a layer file written there is loaded at
	// the next start, alongside the copied one.
	require.NoError(t, h.c.Push(&client.PushOptions{Path: pebbleDir + "/layers/002-more.yaml", Source: stringsReader(svcLayer("more", tool))}))
	require.NoError(t, h.m.KillContainer(h.u.id, "app"))
	h.sleep(time.Second)
	infos, _ = h.c.Services(nil)
	require.Len(t, infos, 2)
	// startup: enabled, but --hold: nothing runs until a replan.
	require.Equal(t, client.StatusInactive, infos[0].Current)
}

func TestCharmContainerRestart(t *testing.T) {
	rules(t, "R3.5")
	h := newHarness(t, testProfile(), readyCharm("a", "b"))
	h.sleep(5 * time.Second)
	n := len(h.events())
	require.NoError(t, h.m.KillContainer(h.u.id, spec.CharmContainer))
	h.sleep(10 * time.Second)
	require.Equal(t, []string{"start", "a-pebble-ready", "b-pebble-ready"}, h.events()[n:], "start again (the uniter sees a reboot), then boot ids are forgotten")
}

func TestLivenessProbeRestarts(t *testing.T) {
	rules(t, "R3.3", "R3.4", "R1.3")
	profile := spec.Profiles["sim"]
	cs := oneContainer()
	cs.Containers[0].Layers = map[string]string{"001-web.yaml": `
services:
  web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080}
checks:
  live: {override: replace, level: alive, period: 1s, threshold: 1, http: {url: "http://localhost:8080/health"}}
`}
	cs.Handlers = []spec.Handler{{Event: "app-pebble-ready", Actions: []spec.Action{{Kind: spec.ActReplan, Container: "app"}}}}
	h := newHarness(t, profile, cs)
	h.sleep(12 * time.Second)
	require.True(t, h.m.Pods()[0].Ready)
	require.NoError(t, h.m.SetHealth(h.u.id, "app", spec.DefaultHealthFile, false))
	h.sleep(6 * time.Second)
	require.False(t, h.m.Pods()[0].Ready, "a down check makes the pod NotReady")
	require.Equal(t, 0, h.m.Pods()[0].Restarts["app"])
	h.sleep(15 * time.Second)
	require.Equal(t, 1, h.m.Pods()[0].Restarts["app"], "three failed liveness probes restart the container")
}

func TestNodeFailure(t *testing.T) {
	rules(t, "R3.7", "R1.6")
	profile := testProfile()
	m, _ := New(profile, 1)
	require.NoError(t, m.Deploy(readyCharm("app"), 2, 2))
	m.Clock.Sleep(10 * time.Second)
	pods := m.Pods()
	require.NotEqual(t, pods[0].Node, pods[1].Node, "two units spread over two nodes")
	dead := pods[0].Node
	require.NoError(t, m.FailNode(dead))
	m.Clock.Sleep(profile.NodeNotReady + profile.Toleration + time.Second)
	require.Equal(t, "Terminating", m.Pods()[0].Phase)
	m.Clock.Sleep(10 * time.Minute)
	require.Equal(t, dead, m.Pods()[0].Node, "no replacement until the pod is deleted")
	require.NoError(t, m.ForceDelete(pods[0].Unit))
	m.Clock.Sleep(10 * time.Second)
	require.Equal(t, pods[1].Node, m.Pods()[0].Node, "rescheduled on the live node")
	require.Equal(t, "Running", m.Pods()[0].Phase)
}

func TestLocalVolumePinsUnit(t *testing.T) {
	rules(t, "R3.7")
	m, _ := New(testProfile(), 1)
	cs := readyCharm("app")
	cs.Storage = []spec.Storage{{Name: "data"}}
	cs.Containers[0].Mounts = []spec.Mount{{Storage: "data", Location: "/data"}}
	require.NoError(t, m.Deploy(cs, 1, 2))
	m.Clock.Sleep(5 * time.Second)
	dead := m.Pods()[0].Node
	require.NoError(t, m.FailNode(dead))
	m.Clock.Sleep(time.Minute)
	require.NoError(t, m.ForceDelete(m.Units()[0].id))
	m.Clock.Sleep(time.Minute)
	require.Equal(t, "Pending", m.Pods()[0].Phase, "its volume is bound to the dead node")
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
