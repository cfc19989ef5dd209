//go:build integration

package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// yourCharmsFeatures are the scenarios of the reference charm, a charm
// of your own.
var yourCharmsFeatures = []string{
	"../../features/yourcharm.feature", "../../features/yourcharm_units.feature",
	"../../features/yourcharm_tools.feature", "../../features/yourcharm_failures.feature",
}

// TestYourCharmAgreesOnSimAndLocal: each scenario of the reference
// charm runs on sim (its code at the model's events, in virtual time)
// and on local (real Pebble, wall time), and the two runs agree as a run
// agrees with the model (simulator.CompareRuns: the local run compared
// with the sim run in the model's place, a unit's events held to one
// order within each of their independent sources). A run whose events,
// service states or restarts differ from the other fails here.
func TestYourCharmAgreesOnSimAndLocal(t *testing.T) {
	needLocal(t)
	bin := buildTandem(t)
	traces := map[string]map[string]*spec.Trace{}
	for _, sub := range []string{"sim", "local"} {
		dir := t.TempDir()
		args := append([]string{"run", "--substrate", sub, "--format", "progress", "--artifacts", dir}, yourCharmsFeatures...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		require.NoError(t, err, "%s:\n%s", sub, out)
		files, _ := filepath.Glob(filepath.Join(dir, "*.trace.jsonl"))
		traces[sub] = map[string]*spec.Trace{}
		for _, f := range files {
			tr, err := spec.ReadTraceFile(f)
			require.NoError(t, err)
			traces[sub][tr.Header.Scenario] = tr
		}
	}
	// sim runs those that need nodes or long waits too; local skips them.
	require.GreaterOrEqual(t, len(traces["local"]), 15)
	for name, localRun := range traces["local"] {
		simRun := traces["sim"][name]
		require.NotNil(t, simRun, "%q ran on local only", name)
		if diffs := simulator.CompareRuns(localRun, simRun); len(diffs) > 0 {
			t.Errorf("%q: local's run and sim's disagree:\n%v\n%s", name, diffs, simulator.SideBySideRuns(localRun, simRun))
		}
	}
}
