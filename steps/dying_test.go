package steps

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTheDyingOrderCheckSaysNo: Juju's order for a going unit is each
// relation's departed and broken, then stop, then remove; every way of
// breaking it is named.
func TestTheDyingOrderCheckSaysNo(t *testing.T) {
	endpoints := []string{"peers", "db"}
	good := "peers-relation-departed peers-relation-broken db-relation-departed db-relation-broken stop remove"
	require.NoError(t, dyingOrder("app/1", strings.Fields(good), endpoints))
	for _, c := range []struct{ order, says string }{
		{"peers-relation-departed peers-relation-broken db-relation-departed db-relation-broken remove stop", "it must end with stop, then remove"},
		{"peers-relation-departed peers-relation-broken stop db-relation-broken remove", "it must end with stop, then remove"},
		{"peers-relation-departed peers-relation-broken db-relation-departed stop remove", "had no db-relation-broken before stop"},
		{"peers-relation-broken peers-relation-departed db-relation-broken stop remove", "ran peers-relation-departed after peers-relation-broken"},
		{"peers-relation-departed peers-relation-broken config-changed db-relation-broken stop remove", "ran config-changed among its dying hooks"},
		{"", "ran none after the scale-down"},
	} {
		err := dyingOrder("app/1", strings.Fields(c.order), endpoints)
		require.Error(t, err, c.order)
		require.Contains(t, err.Error(), c.says, c.order)
	}
}
