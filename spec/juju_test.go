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
