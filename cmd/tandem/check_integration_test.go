//go:build integration

package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charms"
)

// checkOutcomes runs bin with args and a JUnit report, and returns what
// it printed and each check's outcome by name: "passed", "skipped", or
// the failure's message and text.
func checkOutcomes(t *testing.T, bin string, args ...string) (string, map[string]string) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.xml")
	// The flags go before the paths, where tandem run takes them; the
	// traces go to the test's own directory, not the source tree.
	flags := []string{args[0], "--format", "junit:" + report, "--artifacts", t.TempDir()}
	out, _ := exec.Command(bin, append(flags, args[1:]...)...).CombinedOutput()
	data, err := os.ReadFile(report)
	require.NoError(t, err, "no report; tandem printed:\n%s", out)
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	got := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				got[c.Name] = c.Failure.Message + "\n" + c.Failure.Text
			case c.Skipped != nil:
				got[c.Name] = "skipped"
			default:
				got[c.Name] = "passed"
			}
		}
	}
	return string(out), got
}

// TestCheckPassesTheReferenceCharmAndItsPrintedSuiteRunsTheSame: the
// reference charm passes every check, the table says what each saw, and
// the suite --print writes runs under tandem run --charm with the same
// outcome for each check.
func TestCheckPassesTheReferenceCharmAndItsPrintedSuiteRunsTheSame(t *testing.T) {
	needLocal(t)
	bin := buildTandem(t)
	out, checked := checkOutcomes(t, bin, "check", referenceCharmDir)
	n := suiteSize(t)
	require.Contains(t, out, fmt.Sprintf("%d checks: %d passed, 0 failed, 0 skipped", n, n), out)
	require.Contains(t, out, `settled in status active ("serving on 5000")`)
	require.Contains(t, out, "check snappass-up in snappass down: the charm received snappass-pebble-check-failed")
	for name, outcome := range checked {
		require.Equal(t, "passed", outcome, "check %q", name)
	}

	dir := t.TempDir()
	printed, err := exec.Command(bin, "check", "--print", dir, referenceCharmDir).CombinedOutput()
	require.NoError(t, err, "%s", printed)
	files, _ := filepath.Glob(filepath.Join(dir, "*.feature"))
	require.Len(t, files, n)
	out, ran := checkOutcomes(t, bin, "run", "--charm", referenceCharmDir, dir)
	require.Equal(t, checked, ran, "tandem run of the printed suite:\n%s", out)
}

// TestCheckPassesTheReferenceCharmOnDocker: the same suite in sidecar
// pods, the charm in a charm container built as Juju's charm base is.
func TestCheckPassesTheReferenceCharmOnDocker(t *testing.T) {
	needDocker(t)
	checkPassesOn(t, "docker")
}

// checkPassesOn runs tandem check of the reference charm on a substrate:
// every check passes.
func checkPassesOn(t *testing.T, substrate string) {
	bin := buildTandem(t)
	out, checked := checkOutcomes(t, bin, "check", "--substrate", substrate, referenceCharmDir)
	n := suiteSize(t)
	require.Contains(t, out, fmt.Sprintf("%d checks: %d passed, 0 failed, 0 skipped", n, n), out)
	for name, outcome := range checked {
		require.Equal(t, "passed", outcome, "check %q", name)
	}
}

// TestCheckPassesTheReferenceCharmOnSim: the same suite on the model,
// the charm's code run at the model's events, in virtual time.
func TestCheckPassesTheReferenceCharmOnSim(t *testing.T) {
	needLocal(t) // the charm's sandbox is bubblewrap's, as local's
	checkPassesOn(t, "sim")
}

// TestCheckFailsEachBrokenCharmOnItsCheck: each variant of the reference
// charm made wrong (fixtures/charms/broken) fails the check that catches
// its mistake, saying so in a charm author's terms; the first two pass
// every other check.
func TestCheckFailsEachBrokenCharmOnItsCheck(t *testing.T) {
	needLocal(t)
	bin := buildTandem(t)
	const (
		deploy   = "deployed, the unit settles with no hook failed"
		killed   = "each workload container killed in turn: the charm restores its plan, its services and its status"
		noChange = "config-changed with nothing changed: no service restarted"
	)
	for _, c := range []struct {
		variant, check string
		says           []string
		onlyThisOne    bool
	}{
		{"layer_once", killed, []string{
			"after container redis was killed: container redis's Pebble has no plan, where it had services redis: the charm did not give its layer again",
			"a charm gives its layer on every redis-pebble-ready",
		}, true},
		{"restless", noChange, []string{
			"Pebble started service snappass in snappass 1 more time: its plan changed",
			`+             CONFIG_GENERATION: "2"`,
		}, true},
		{"config_raises", deploy, []string{`hook failed: "config-changed"`, "ConnectionRefusedError"}, false},
	} {
		t.Run(c.variant, func(t *testing.T) {
			charm := filepath.Join(t.TempDir(), c.variant)
			require.NoError(t, charms.Variant(referenceCharmDir, "../../fixtures/charms/broken/"+c.variant+".py", charm))
			out, got := checkOutcomes(t, bin, "check", charm)
			require.Contains(t, got, c.check, out)
			for _, s := range c.says {
				require.Contains(t, got[c.check], s, "the check %q of %s", c.check, c.variant)
			}
			require.Contains(t, out, "FAIL  "+c.check)
			if !c.onlyThisOne {
				return
			}
			for name, outcome := range got {
				if name != c.check {
					require.Equal(t, "passed", outcome, "%s fails only its check; %q:\n%s", c.variant, name, out)
				}
			}
			require.Equal(t, suiteSize(t)-1, strings.Count(out, "PASS  "), out)
		})
	}
}

// BenchmarkCheckReferenceCharm times the whole of tandem check on the
// reference charm on local, as a user runs it: a fresh tandem process,
// its default of checks at once, each compared with the model.
func BenchmarkCheckReferenceCharm(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "tandem")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("cannot build tandem: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, "check", referenceCharmDir).CombinedOutput(); err != nil {
			b.Fatalf("tandem check failed: %v\n%s", err, out)
		}
	}
}
