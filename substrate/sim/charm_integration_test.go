//go:build integration

package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// BenchmarkReferenceCharmToActiveOnSim: from the deploy to the reference
// ops charm's unit showing active on the model, the charm's Python and
// ops' import in every hook included (install to the second
// pebble-ready: 7 hooks), its venv built before the timer starts. The
// README reports the figure.
func BenchmarkReferenceCharmToActiveOnSim(b *testing.B) {
	c, err := charms.Open(referenceCharmDir)
	require.NoError(b, err)
	cs := spec.CharmSpecOf(c)
	_, err = charms.Venv(context.Background(), c, io.Discard)
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := New(substrate.Options{Seed: 1, Scenario: "bench", RunID: "bench"})
		require.NoError(b, err)
		start := time.Now()
		require.NoError(b, s.Deploy(context.Background(), &cs, 1, 1))
		ok := spec.WaitFor(s.Clock(), time.Minute, 100*time.Millisecond, func() bool {
			v, err := s.UnitView("snappass/0")
			return err == nil && v.UnitStatus.Status == "active"
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-active")
		b.StopTimer()
		require.True(b, ok, "the unit did not reach active")
		require.NoError(b, s.Close())
		b.StartTimer()
	}
}

// TestTheReferenceCharmsOpsTestingTestsPass: the reference charm's unit
// tests with ops.testing (tests/test_ops_testing.py), the comparison the
// README's table draws, pass with the pinned ops[testing].
func TestTheReferenceCharmsOpsTestingTestsPass(t *testing.T) {
	c, err := charms.Open(referenceCharmDir)
	require.NoError(t, err)
	venv, err := charms.TestingVenv(context.Background(), c, io.Discard)
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(venv, "bin", "python"), "-m", "unittest", "tests/test_ops_testing.py")
	cmd.Dir = referenceCharmDir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Ran 6 tests")
}

// BenchmarkConfigChangedOnSimAndOpsTesting: one config-changed of the
// reference charm, the same event of the same charm, on sim (the charm's
// dispatch as a process, Python's start and ops' import included, against
// the model's Pebble) and in ops.testing (in this process's Python, a
// fake Pebble), measured in one run. The README reports both.
func BenchmarkConfigChangedOnSimAndOpsTesting(b *testing.B) {
	c, err := charms.Open(referenceCharmDir)
	require.NoError(b, err)
	cs := spec.CharmSpecOf(c)
	testVenv, err := charms.TestingVenv(context.Background(), c, io.Discard)
	require.NoError(b, err)
	s, err := New(substrate.Options{Seed: 1, Scenario: "bench", RunID: "bench"})
	require.NoError(b, err)
	defer s.Close()
	require.NoError(b, s.Deploy(context.Background(), &cs, 1, 1))
	require.True(b, spec.WaitFor(s.Clock(), time.Minute, 100*time.Millisecond, func() bool {
		v, err := s.UnitView("snappass/0")
		return err == nil && v.UnitStatus.Status == "active"
	}))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		port := 5001 + i%2
		require.NoError(b, s.SetConfig(map[string]any{"port": port}))
		// The hook waits for its replan (a second of virtual time, the
		// restart's okay delay): time is let pass until its status is in.
		require.True(b, spec.WaitFor(s.Clock(), 10*time.Second, 100*time.Millisecond, func() bool {
			v, err := s.UnitView("snappass/0")
			return err == nil && v.UnitStatus.Message == fmt.Sprintf("serving on %d", port)
		}))
	}
	simMS := float64(time.Since(start).Microseconds()) / 1000 / float64(b.N)
	b.StopTimer()
	cmd := exec.Command(filepath.Join(testVenv, "bin", "python"), "tests/test_ops_testing.py", "--timing", "50")
	cmd.Dir = referenceCharmDir
	out, err := cmd.Output()
	require.NoError(b, err)
	opsMS := -1.0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Event string
			MS    float64
		}
		require.NoError(b, json.Unmarshal([]byte(line), &r))
		if r.Event == "config-changed" {
			opsMS = r.MS
		}
	}
	require.Positive(b, opsMS)
	b.ReportMetric(simMS, "ms/event-on-sim")
	b.ReportMetric(opsMS, "ms/event-in-ops.testing")
}
