package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/checksuite"
	"github.com/tandem-harness/tandem/steps"
)

// referenceCharmDir is tandem's reference ops charm, from this package.
const referenceCharmDir = "../../fixtures/charms/snappass"

// suiteSize is how many checks tandem check runs.
func suiteSize(t *testing.T) int {
	files, err := checksuite.Render(checksuite.Options{})
	require.NoError(t, err)
	return len(files)
}

// printedSuite runs tandem check --print with flags on the reference
// charm, checks that it wrote the whole suite in steps tandem run knows,
// and returns each file's text by path.
func printedSuite(t *testing.T, flags ...string) map[string]string {
	dir := filepath.Join(t.TempDir(), "checks")
	code, out, errOut := run(t, append(append([]string{"check", "--print", dir}, flags...), referenceCharmDir)...)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, fmt.Sprintf("wrote %d feature files into %s", suiteSize(t), dir))
	files, err := featureFiles([]string{dir})
	require.NoError(t, err)
	require.Len(t, files, suiteSize(t))
	_, undefined, err := checkFeatures(files)
	require.NoError(t, err)
	require.Empty(t, undefined)
	texts := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		texts[f] = string(data)
	}
	return texts
}

// TestCheckPrintWritesOrdinaryFeaturesInThePublicSteps: --print writes
// the suite for the charm, with its config in each Background and the
// expected status in each settle, in steps tandem run knows.
func TestCheckPrintWritesOrdinaryFeaturesInThePublicSteps(t *testing.T) {
	for f, text := range printedSuite(t, "--config", "port=5001", "--expect-status", "active") {
		require.Contains(t, text, "  Background:\n    Given the charm's config \"port\" is \"5001\"\n", f)
		require.Contains(t, text, `the unit settles with status "active" within`, f)
		require.NotContains(t, text, "the unit settles within", f)
	}
}

// TestCheckBadInputIsOneLine: a config option the charm does not take,
// or a value of the wrong type, is named before anything runs.
func TestCheckBadInputIsOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--config", "port=abc", referenceCharmDir}, `--config port=abc: config option "port" is an int`},
		{[]string{"--config", "colour=red", referenceCharmDir}, "--config colour=red:"},
		{[]string{"testdata/no-such-charm"}, "cannot open charm testdata/no-such-charm"},
		{[]string{"--format", "pretty", referenceCharmDir}, "--format pretty: want junit:FILE or html:FILE"},
		{[]string{referenceCharmDir, "--config", "port"}, "--config port: write it as key=value"},
		{[]string{}, "name one charm, not 0: tandem check [flags] CHARM"},
		{[]string{referenceCharmDir, referenceCharmDir}, "name one charm, not 2"},
		{[]string{"--concurrency", "0", referenceCharmDir}, "--concurrency must be at least 1"},
	} {
		code, _, errOut := run(t, append([]string{"check"}, c.args...)...)
		require.Equal(t, exitUsage, code, "%v: %s", c.args, errOut)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		require.Len(t, lines, 1, "%v: one line: %q", c.args, errOut)
		require.Contains(t, lines[0], c.says)
	}
}

// TestCheckRelationsFileGoesIntoEachCheck: the related applications are
// related in each Background and their data set right after each deploy,
// in steps tandem run knows; a bad file is named with its line.
func TestCheckRelationsFileGoesIntoEachCheck(t *testing.T) {
	for f, text := range printedSuite(t, "--relations", "testdata/check/ingress.yaml") {
		require.Contains(t, text, "  Background:\n    Given \"traefik\" is related on \"ingress\" with 1 unit\n", f)
		require.Contains(t, text, "    When the charm is deployed\n    And \"traefik\" sets \"url\" to \"https://example.com/snappass\" on \"ingress\"\n", f)
	}
	for file, says := range map[string]string{
		"testdata/check/bad-endpoint.yaml": `testdata/check/bad-endpoint.yaml:3: the charm snappass has no endpoint "database" to relate`,
		"testdata/check/bad-yaml.yaml":     "testdata/check/bad-yaml.yaml:1: did not find expected ',' or ']'",
		"testdata/check/typo.yaml":         `testdata/check/typo.yaml:3: unknown key "appdata": want app, endpoint, units, app-data or unit-data`,
	} {
		code, _, errOut := run(t, "check", "--relations", file, referenceCharmDir)
		require.Equal(t, exitUsage, code, errOut)
		require.Equal(t, "tandem check: "+says, strings.SplitN(strings.TrimSpace(errOut), " (", 2)[0])
	}
}

// TestCheckRowsReadInTheSuitesOrder: checks that run at once end in any
// order; the table prints each as soon as the checks before it have
// ended, and at the end whatever a check that never ended held back.
func TestCheckRowsReadInTheSuitesOrder(t *testing.T) {
	paths := []string{"/tmp/x/01-deploy.feature", "/tmp/x/02-kill.feature", "/tmp/x/03-restart.feature", "/tmp/x/04-pod.feature"}
	var printed []string
	rows := newRowsInOrder(paths, func(r steps.Result) { printed = append(printed, r.Name) })
	ended := func(file string) { rows.add(steps.Result{Name: file, URI: "x/" + file}) }

	ended("03-restart.feature")
	require.Empty(t, printed, "a check printed before the ones ahead of it ended")
	ended("01-deploy.feature")
	require.Equal(t, []string{"01-deploy.feature"}, printed)
	ended("02-kill.feature")
	require.Equal(t, []string{"01-deploy.feature", "02-kill.feature", "03-restart.feature"}, printed)

	printed = nil
	rows = newRowsInOrder(paths, func(r steps.Result) { printed = append(printed, r.Name) })
	ended("04-pod.feature")
	ended("01-deploy.feature")
	rows.flush() // 02 and 03 never ended: the run was stopped
	require.Equal(t, []string{"01-deploy.feature", "04-pod.feature"}, printed)
}
