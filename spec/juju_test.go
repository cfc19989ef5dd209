package spec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A join adds only the units a relation did not have; a departure drops
// its unit and its data; a change sets keys, an empty value deleting.
func TestRelationOpMembersAndData(t *testing.T) {
	after, joined := RelationOp{Op: JoinOp, Units: []string{"a/1", "a/2"}}.Members([]string{"a/0", "a/1"})
	require.Equal(t, []string{"a/0", "a/1", "a/2"}, after)
	require.Equal(t, []string{"a/2"}, joined)
	after, _ = RelationOp{Op: DepartOp, Unit: "a/1"}.Members(after)
	require.Equal(t, []string{"a/0", "a/2"}, after)

	data := map[string]map[string]string{"a/1": {"k": "v"}}
	RelationOp{Op: ChangeOp, Data: map[string]string{"x": "1"}}.ApplyData(data, "a")
	RelationOp{Op: ChangeOp, Unit: "a/1", Data: map[string]string{"k": "", "y": "2"}}.ApplyData(data, "a")
	require.Equal(t, map[string]map[string]string{"a": {"x": "1"}, "a/1": {"y": "2"}}, data)
	RelationOp{Op: DepartOp, Unit: "a/1"}.ApplyData(data, "a")
	require.Equal(t, map[string]map[string]string{"a": {"x": "1"}}, data)
	require.False(t, RelationOp{From: "a/0"}.For("a/0"))
	require.True(t, RelationOp{From: "a/0"}.For("a/1"))
}

// A peer's change about a unit the relation does not have yet needs no
// hook; the controller tells the peers of a unit joining or going once
// per peer relation.
func TestPeerOpsAndKnownTo(t *testing.T) {
	change := RelationOp{Op: ChangeOp, Unit: "a/1", From: "a/1"}
	require.False(t, change.KnownTo([]string{"a/2"}))
	require.True(t, change.KnownTo([]string{"a/1"}))
	require.True(t, RelationOp{Op: ChangeOp, From: "a/1"}.KnownTo(nil), "the application's data")
	require.True(t, RelationOp{Op: ChangeOp, Unit: "t/0"}.KnownTo(nil), "another application's")

	c := &RealCharm{Meta: CharmMeta{Name: "a", Peers: map[string]string{"p": "x", "q": "y"}}}
	ops := PeerOps(c, JoinOp, "a/3")
	require.Equal(t, []RelationOp{
		{Op: JoinOp, ID: 0, Endpoint: "p", RemoteApp: "a", Units: []string{"a/3"}, From: "a/3"},
		{Op: JoinOp, ID: 1, Endpoint: "q", RemoteApp: "a", Units: []string{"a/3"}, From: "a/3"},
	}, ops)
	require.Equal(t, "a/3", PeerOps(c, DepartOp, "a/3")[0].Unit)
}
