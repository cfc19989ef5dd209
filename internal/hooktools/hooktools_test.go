package hooktools

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

func newHook(leader bool) (*Store, *Hook) {
	s := NewStore(spec.UnitState{Name: "app/0", Leader: leader,
		Config:    map[string]any{"port": int64(80), "name": nil},
		Relations: []spec.Relation{{ID: 3, Endpoint: "db", RemoteApp: "pg", Units: []string{"pg/0"}, Data: map[string]map[string]string{"pg/0": {"host": "h"}}}}})
	return s, s.Begin("db-relation-changed", nil, 3, "pg/0")
}

// Each row is a call as ops 3.x or an older ops sends it, and what Juju's
// jujuc would print.
func TestToolsAnswerAsJujuDoes(t *testing.T) {
	for _, c := range []struct {
		tool, args, stdin, out string
		code                   int
	}{
		{"is-leader", "--format=json", "", "true\n", 0},
		{"is-leader", "", "", "True\n", 0},
		{"config-get", "--format=json", "", `{"port":80}` + "\n", 0},
		{"config-get", "--format=json port", "", "80\n", 0},
		{"status-set", "--application=False active -- all good", "", "", 0},
		{"status-set", "--application=False active all good", "", "", 0}, // ops 2.x: no --
		{"status-set", "--application=True blocked", "", "", 0},
		{"status-set", "error oops", "", "", 2},
		{"relation-ids", "db --format=json", "", `["db:3"]` + "\n", 0},
		{"relation-list", "--format=json -r db:3", "", `["pg/0"]` + "\n", 0},
		{"relation-list", "--format=json -r 3", "", `["pg/0"]` + "\n", 0}, // ops < 3.8
		{"relation-list", "--format=json --app -r db:3", "", `"pg"` + "\n", 0},
		{"relation-list", "--format=json -r db:9", "", "", 1},
		{"relation-get", "--format=json -r db:3 - pg/0", "", `{"host":"h"}` + "\n", 0},
		{"relation-get", "--format=json host", "", `"h"` + "\n", 0},
		{"relation-set", "-r db:3 --file -", `{"a": "1"}`, "", 0},
		{"relation-set", "-r 3 --file -", "b: '2'\n", "", 0}, // older ops: YAML
		{"open-port", "8080/tcp", "", "", 0},
		{"open-port", "--endpoints db 9000-9010/udp", "", "", 0},
		{"open-port", "icmp", "", "", 0},
		{"open-port", "70000", "", "", 2},
		{"open-port", "/tcp", "", "", 2},
		{"open-port", "90-80/tcp", "", "", 2},
		{"opened-ports", "--format=json", "", `["8080/tcp","9000-9010/udp","icmp"]` + "\n", 0},
		{"opened-ports", "", "", "8080/tcp\n9000-9010/udp\nicmp\n", 0},
		{"application-version-set", "-- 1.0", "", "", 0},
		{"juju-log", "--log-level WARNING -- careful", "", "", 0},
		{"juju-log", "-l ERROR oops", "", "", 0},
		{"leader-set", "k=v", "", "", 0},
		{"leader-get", "--format=json k", "", `"v"` + "\n", 0},
		{"state-set", "--file -", "x: y\n", "", 0},
		{"state-get", "--format=json x", "", `"y"` + "\n", 0},
		{"action-get", "--format=json", "", "", 1},
		{"resource-get", "image", "", "", 1},
		{"credential-get", "--format=json", "", "", 1},
		{"no-such-tool", "", "", "", 1},
	} {
		_, h := newHook(true)
		if c.tool == "opened-ports" || c.tool == "leader-get" || c.tool == "state-get" {
			continue // checked below, on a hook that opened and set them
		}
		res := h.Call(c.tool, strings.Fields(c.args), []byte(c.stdin))
		require.Equal(t, c.code, res.Code, "%s %s: %s", c.tool, c.args, res.Stderr)
		if c.code == 0 {
			require.Equal(t, c.out, res.Stdout, "%s %s", c.tool, c.args)
		}
	}
	_, h := newHook(true)
	for _, args := range []string{"8080/tcp", "--endpoints db 9000-9010/udp", "icmp"} {
		require.Zero(t, h.Call("open-port", strings.Fields(args), nil).Code)
	}
	require.Equal(t, `["8080/tcp","9000-9010/udp","icmp"]`+"\n", h.Call("opened-ports", []string{"--format=json"}, nil).Stdout)
	require.Equal(t, "8080/tcp\n9000-9010/udp\nicmp\n", h.Call("opened-ports", nil, nil).Stdout)
	require.Zero(t, h.Call("leader-set", []string{"k=v"}, nil).Code)
	require.Equal(t, `"v"`+"\n", h.Call("leader-get", []string{"--format=json", "k"}, nil).Stdout)
	require.Zero(t, h.Call("state-set", []string{"--file", "-"}, []byte("x: y\n")).Code)
	require.Equal(t, `"y"`+"\n", h.Call("state-get", []string{"--format=json", "x"}, nil).Stdout)
}

func TestNotModelledToolsFailLoudly(t *testing.T) {
	_, h := newHook(true)
	for _, name := range notModelled {
		res := h.Call(name, nil, nil)
		require.Equal(t, 1, res.Code, name)
		require.Equal(t, "ERROR tandem does not model hook tool "+name+"\n", res.Stderr)
	}
	require.Contains(t, Names(), "secret-get")
	require.Contains(t, Names(), "config-get")
}

func TestAFollowerCannotSetWhatOnlyTheLeaderSets(t *testing.T) {
	_, h := newHook(false)
	require.Equal(t, 1, h.Call("status-set", []string{"--application=True", "active"}, nil).Code)
	require.Equal(t, 1, h.Call("leader-set", []string{"k=v"}, nil).Code)
	res := h.Call("relation-set", []string{"-r", "db:3", "--app", "--file", "-"}, []byte(`{"a":"b"}`))
	require.Equal(t, 1, res.Code)
	require.Contains(t, res.Stderr, "cannot write relation settings")
}

// A hook's changes apply only on Commit; its juju-log lines either way.
func TestAHookThatFailsChangesNothingButItsLog(t *testing.T) {
	s, h := newHook(true)
	h.Call("status-set", []string{"active", "--", "fine"}, nil)
	h.Call("relation-set", []string{"-r", "db:3", "--file", "-"}, []byte(`{"k":"v"}`))
	h.Call("juju-log", []string{"--", "trying"}, nil)
	h.Discard()
	u := s.Snapshot()
	require.Equal(t, "unknown", u.UnitStatus.Status)
	require.Empty(t, u.Relations[0].Data["app/0"])
	require.Equal(t, "trying", u.Logs[0].Message)

	h = s.Begin("update-status", nil, NoRelation, "")
	h.Call("status-set", []string{"active", "--", "fine"}, nil)
	h.Call("relation-set", []string{"-r", "db:3", "--file", "-"}, []byte(`{"k":"v"}`))
	h.Commit()
	u = s.Snapshot()
	require.Equal(t, spec.Status{Status: "active", Message: "fine"}, u.UnitStatus)
	require.Equal(t, "v", u.Relations[0].Data["app/0"]["k"])
}

// A hook commits what it owns; config the controller set while it ran
// stays.
func TestAHookDoesNotUndoTheControllersChanges(t *testing.T) {
	s, h := newHook(true)
	s.Update(func(u *spec.UnitState) { u.Config["port"] = int64(81) })
	require.Zero(t, h.Call("status-set", []string{"active"}, nil).Code)
	h.Commit()
	u := s.Snapshot()
	require.Equal(t, int64(81), u.Config["port"])
	require.Equal(t, "active", u.UnitStatus.Status)
}

// The application's peer data a new leader wrote while the old leader's
// hook ran stays: the old leader's hook, which wrote none of it, commits
// and publishes nothing of it (a soak beside a CPU hog caught the hook
// putting its own stale copy back, and telling the peers so).
func TestAHookCommitsAndPublishesOnlyTheKeysItSet(t *testing.T) {
	s := NewStore(spec.UnitState{Name: "app/0", Leader: true, Relations: []spec.Relation{{ID: 0, Endpoint: "peers", RemoteApp: "app",
		Units: []string{"app/1"}, Data: map[string]map[string]string{"app": {"leader": "app/0"}, "app/0": {"port": "80"}}}}})
	h := s.Begin("peers-relation-changed", nil, 0, "app/1")
	s.Update(func(u *spec.UnitState) { u.Relations[0].Data["app"] = map[string]string{"leader": "app/1"} })
	require.Zero(t, h.Call("relation-set", []string{"-r", "peers:0", "--file", "-"}, []byte(`{"addr": "10.0.0.1"}`)).Code)
	published := h.Published()
	h.Commit()
	data := s.Snapshot().Relations[0].Data
	require.Equal(t, map[string]string{"leader": "app/1"}, data["app"], "the new leader's write stays")
	require.Equal(t, map[string]string{"port": "80", "addr": "10.0.0.1"}, data["app/0"])
	require.Equal(t, []spec.RelationOp{{Op: spec.ChangeOp, ID: 0, Endpoint: "peers", RemoteApp: "app", Unit: "app/0",
		Data: map[string]string{"addr": "10.0.0.1"}, From: "app/0"}}, published)
}

// A leader deposed while its hook ran does not write the application's
// data when the hook ends: Juju refuses it; tandem drops it.
func TestADeposedLeadersAppWriteIsDropped(t *testing.T) {
	s := NewStore(spec.UnitState{Name: "app/0", Leader: true, Relations: []spec.Relation{{ID: 0, Endpoint: "peers", RemoteApp: "app",
		Data: map[string]map[string]string{"app": {"leader": "app/0"}}}}})
	h := s.Begin("peers-relation-changed", nil, 0, "app/1")
	require.Zero(t, h.Call("relation-set", []string{"-r", "peers:0", "--app", "--file", "-"}, []byte(`{"leader": "app/0", "k": "v"}`)).Code)
	s.Update(func(u *spec.UnitState) { u.Leader = false })
	require.Empty(t, h.Published())
	h.Commit()
	require.Equal(t, map[string]string{"leader": "app/0"}, s.Snapshot().Relations[0].Data["app"])
}

func TestOutsideARelationHookARelationMustBeNamed(t *testing.T) {
	s, _ := newHook(true)
	h := s.Begin("install", nil, NoRelation, "")
	require.Equal(t, 2, h.Call("relation-list", []string{"--format=json"}, nil).Code)
	require.Zero(t, h.Call("relation-list", []string{"--format=json", "-r", "db:3"}, nil).Code)
}

func TestAFollowerReadsItsPeersAppData(t *testing.T) {
	s := NewStore(spec.UnitState{Name: "app/1", Relations: []spec.Relation{{ID: 0, Endpoint: "peers", RemoteApp: "app",
		Data: map[string]map[string]string{"app": {"k": "v"}}}}})
	h := s.Begin("peers-relation-changed", nil, 0, "app/0")
	res := h.Call("relation-get", []string{"--format=json", "--app", "-r", "peers:0", "k", "app"}, nil)
	require.Zero(t, res.Code, res.Stderr)
	require.Equal(t, `"v"`+"\n", res.Stdout)
}

// resource-get gives where an attached file is; a resource nobody
// attached fails as Juju's download does, so ops raises ModelError.
func TestResourceGetGivesTheAttachedFile(t *testing.T) {
	s := NewStore(spec.UnitState{Name: "app/0", Resources: map[string]string{"model": "/var/lib/juju/agents/unit-app-0/resources/model/m.bin", "blank": ""}})
	h := s.Begin("install", nil, NoRelation, "")
	require.Equal(t, "/var/lib/juju/agents/unit-app-0/resources/model/m.bin\n", call(t, h, "resource-get", "model"))
	res := h.Call("resource-get", []string{"blank"}, nil)
	require.Equal(t, 1, res.Code)
	require.Contains(t, res.Stderr, "no file was attached to resource \"blank\"")
	require.Equal(t, 1, h.Call("resource-get", []string{"other"}, nil).Code)
	require.Equal(t, 2, h.Call("resource-get", nil, nil).Code)
}
