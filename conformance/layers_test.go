package conformance_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/tandem-harness/tandem/"

// goList maps each of the module's packages to what format lists.
func goList(t *testing.T, format string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|"+format, module+"...").Output()
	require.NoError(t, err)
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, list, _ := strings.Cut(line, "|")
		var ours []string
		for _, p := range strings.Fields(list) {
			if strings.HasPrefix(p, module) {
				ours = append(ours, strings.TrimPrefix(p, module))
			}
		}
		m[strings.TrimPrefix(pkg, module)] = ours
	}
	return m
}

// TestLowerLayersNeverImportHigherOnes is DESIGN.md's layering: spec/
// imports nothing of ours, simulator/ only spec/, no substrate but sim
// depends on simulator/, and steps/ reaches the model only through this
// package.
func TestLowerLayersNeverImportHigherOnes(t *testing.T) {
	deps := goList(t, `{{join .Deps " "}}`)
	imports := goList(t, `{{join .Imports " "}}`)
	require.Empty(t, deps["spec"], "spec/ imports nothing of ours")
	for _, d := range deps["simulator"] {
		require.Equal(t, "spec", d, "simulator/ imports only spec/")
	}
	for pkg, list := range deps {
		if !strings.HasPrefix(pkg, "substrate") || pkg == "substrate/sim" {
			continue
		}
		for _, d := range list {
			require.False(t, strings.HasPrefix(d, "simulator"), "%s depends on %s: only substrate/sim wraps the model", pkg, d)
		}
	}
	for pkg, list := range imports {
		if strings.HasPrefix(pkg, "fixtures") {
			continue
		}
		for _, d := range list {
			// fixtures/ is what goes into images and clusters: runtime
			// code takes a library from internal/, and only kind's
			// cluster config from fixtures/.
			require.False(t, strings.HasPrefix(d, "fixtures") && d != "fixtures/kind", "%s imports %s", pkg, d)
		}
	}
	for _, d := range imports["steps"] {
		require.False(t, strings.HasPrefix(d, "simulator"), "steps/ imports %s: it reaches the model through conformance/", d)
	}
}
