//go:build integration

package sim

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/internal/rundir"
)

const referenceCharmDir = "../../fixtures/charms/snappass"

// TestAHookThatSleepsInWallTimeIsNamed: a hook that waits in wall time
// (here for Redis, which nothing starts while it waits) holds virtual
// time still; past the clock's bound the scenario fails naming the hook,
// and the charm's agent and its sandbox go, rather than the run hanging.
func TestAHookThatSleepsInWallTimeIsNamed(t *testing.T) {
	if _, err := exec.LookPath("bwrap"); err != nil {
		t.Fatal("bwrap is missing: run ./scripts/setup-local")
	}
	dir := filepath.Join(t.TempDir(), "sleepy")
	require.NoError(t, charms.Variant(referenceCharmDir, "testdata/sleepy.py", dir))
	c, err := charms.Open(dir)
	require.NoError(t, err)
	cs := spec.CharmSpecOf(c)

	s, err := New(substrate.Options{Seed: 1, Scenario: "sleepy", RunID: "test-sleepy"})
	require.NoError(t, err)
	s.m.Clock.SetHoldBound(3 * time.Second)
	start := time.Now()
	require.NoError(t, s.Deploy(context.Background(), &cs, 1, 1))
	s.Clock().Sleep(10 * time.Second)
	err = s.Err()
	require.Error(t, err)
	require.Contains(t, err.Error(), "snappass/0's install hook ran 3s of wall time without waiting on Pebble")
	require.Less(t, time.Since(start), time.Minute)

	runDir := s.charm.dir
	require.NoError(t, s.Close())
	_, err = os.Stat(runDir)
	require.True(t, os.IsNotExist(err), "the run directory is removed")
	out, _ := exec.Command("pgrep", "-af", rundir.Base()).Output()
	require.False(t, strings.Contains(string(out), runDir), "nothing runs in it: %s", out)
}
