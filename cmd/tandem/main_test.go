package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/sim"
)

func init() {
	// "nodeless" exercises the skip mechanism: the model, declaring every
	// capability but nodes. It stands in for no real substrate.
	var caps []spec.Capability
	for _, c := range spec.AllCapabilities {
		if c != spec.CapNodes {
			caps = append(caps, c)
		}
	}
	substrate.Declared["nodeless"] = caps
	substrate.Register("nodeless", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return sim.New(opts)
	})
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	if len(args) > 0 && args[0] == "run" && !containsArg(args, "--substrate") {
		args = append([]string{"run", "--substrate", "sim"}, args[1:]...)
	}
	var stdout, stderr bytes.Buffer
	code := dispatch(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUndefinedStepFails(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "testdata/undefined.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "undefined")
}

func TestMalformedFeatureExits2NamingFileAndLine(t *testing.T) {
	code, _, errOut := run(t, "run", "testdata/malformed.feature")
	require.Equal(t, exitUsage, code)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.Len(t, lines, 1, "one line: %q", errOut)
	require.Contains(t, lines[0], "testdata/malformed.feature:4:")
}

func TestUnknownCapabilityTagExits2(t *testing.T) {
	code, _, errOut := run(t, "run", "testdata/bad-tag.feature")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "testdata/bad-tag.feature:3: unknown capability tag @needs-wings")
}

func TestUnknownContainerFailsWithTheConsistencyCheck(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "testdata/unknown-container.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, `charm spec "demo" handler on "app-pebble-ready", action 1: replan in ghost: unknown container "ghost" (the charm has app)`)
}

func TestNothingRanExits1(t *testing.T) {
	code, _, errOut := run(t, "run", "--tags", "@no-such-tag", "testdata/passing.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errOut, "no scenario ran")
}

func TestSkipReasonsInEveryFormat(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, _ := run(t, "run", "--substrate", "nodeless", "--format", "progress,junit:"+junit, "testdata/needs-nodes.feature", "testdata/passing.feature")
	require.Equal(t, exitOK, code, out)
	reason := "needs nodes, which nodeless lacks; runs on sim, kind"
	require.Contains(t, out, reason)
	xml, err := os.ReadFile(junit)
	require.NoError(t, err)
	require.Contains(t, string(xml), `<skipped message="`+reason+`">`)
	code, out, _ = run(t, "run", "--substrate", "nodeless", "--format", "pretty", "testdata/needs-nodes.feature", "testdata/passing.feature")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, reason)
}

func TestOnlySkippedExits1(t *testing.T) {
	code, out, errOut := run(t, "run", "--substrate", "nodeless", "testdata/needs-nodes.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "needs nodes")
	require.Contains(t, errOut, "no scenario ran")
}

func TestAnUncheckedActionErrorFails(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "testdata/unchecked-error.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "no step checked it")
}

// A failure of the scenario's own, found after its steps passed, is the
// scenario's: not pinned on its last step, in godog's words.
func TestAScenariosOwnFailureIsNotItsLastSteps(t *testing.T) {
	for _, format := range []string{"pretty", "progress"} {
		_, out, _ := run(t, "run", "--artifacts", t.TempDir(), "--format", format, "testdata/unchecked-error.feature")
		require.NotContains(t, out, "after scenario hook failed", format)
		_, failedList, ok := strings.Cut(out, "--- Failed steps:")
		require.True(t, ok, format)
		require.Contains(t, failedList, "  Scenario: the push fails and the scenario does not say so # testdata/unchecked-error.feature:2\n    Error: the scenario failed after its steps passed: the charm's action", format)
		require.NotContains(t, failedList, "the charm pushes", format)
	}
}

func TestArtifactsKeepTraces(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := run(t, "run", "--artifacts", dir, "--format", "progress", "testdata/passing.feature")
	require.Equal(t, exitOK, code)
	files, _ := filepath.Glob(filepath.Join(dir, "*.trace.jsonl"))
	require.Len(t, files, 1)
	tr, err := spec.ReadTraceFile(files[0])
	require.NoError(t, err)
	require.Equal(t, "sim", tr.Header.Substrate)
	require.NotEmpty(t, tr.Records)
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--substrate", "mars", "testdata/passing.feature"},
		{"run", "--format", "fancy", "testdata/passing.feature"},
		{"run", "--format", "junit", "testdata/passing.feature"},
		{"run", "testdata/no-such-dir"},
		{"run", "--substrate", "kind", "--kubeconfig", "testdata/no-such-kubeconfig", "testdata/passing.feature"},
		{"run", "--substrate", "kind", "--registry", "localhost:5000", "testdata/passing.feature"},
		{"run", "--substrate", "kind", "--kubeconfig", "k", "--registry", "http://localhost:5000", "testdata/passing.feature"},
		{"images", "push"},
		{"images", "push", "--registry", "localhost:port"},
		{"images", "pull"},
		{"cluster", "up", "--workers", "-1"},
		{"cluster", "sideways"},
		{"node-image", "push"},
		{"frobnicate"},
	} {
		code, _, errOut := run(t, args...)
		require.Equal(t, exitUsage, code, "%v", args)
		require.NotEmpty(t, errOut, "%v", args)
	}
}

func TestTheSuitePassesOnSim(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "--format", "progress", "../../features")
	require.Equal(t, exitOK, code, out)
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// TestCompareExitsOneOnAWrongTrace: a kept trace the model agrees with
// exits 0; the same trace with one start more than the model would make
// exits 1 and says which rule it breaks.
func TestCompareExitsOneOnAWrongTrace(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := run(t, "run", "--artifacts", dir, "--format", "progress", "testdata/restarting.feature")
	require.Equal(t, exitOK, code)
	files, _ := filepath.Glob(filepath.Join(dir, "*.trace.jsonl"))
	require.Len(t, files, 1)
	code, out, _ := run(t, "compare", files[0])
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "agrees with the model")

	tr, err := spec.ReadTraceFile(files[0])
	require.NoError(t, err)
	for i, r := range tr.Records {
		if r.Type == spec.RecStart {
			extra := r
			extra.At++
			tr.Records = append(tr.Records[:i+1], append([]spec.Record{extra}, tr.Records[i+1:]...)...)
			break
		}
	}
	wrong := filepath.Join(dir, "wrong.trace.jsonl")
	f, err := os.Create(wrong)
	require.NoError(t, err)
	require.NoError(t, spec.WriteTrace(f, tr))
	require.NoError(t, f.Close())
	code, out, _ = run(t, "compare", wrong)
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "service starts: service demo/0/app/srv: run 2, model 1")

	// Two runs of one scenario, the second in the model's place.
	code, out, _ = run(t, "compare", files[0], files[0])
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, `sim's run and sim's run of "`)
	code, out, _ = run(t, "compare", wrong, files[0])
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "service starts: service demo/0/app/srv: run 2, model 1")
	require.Contains(t, out, "only in sim's run")
	tr.Header.Scenario = "another"
	other := filepath.Join(dir, "other.trace.jsonl")
	f, err = os.Create(other)
	require.NoError(t, err)
	require.NoError(t, spec.WriteTrace(f, tr))
	require.NoError(t, f.Close())
	code, _, stderr := run(t, "compare", other, files[0])
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `is a run of "another"`)
}

// TestRepeatReportsEachScenariosPassRate: a soak on sim runs the suite as
// often as asked and reports each scenario, an Outline's rows apart.
func TestRepeatReportsEachScenariosPassRate(t *testing.T) {
	code, out, stderr := run(t, "run", "--repeat", "3", "--format", "progress", "--artifacts", t.TempDir(), "../../features/restart.feature")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, "tandem soak: 3 runs on sim, idle")
	require.Contains(t, stderr, "tandem: run 3 of 3:")
	require.Regexp(t, `every scenario that ran passed every time \(\d+ scenarios\)`, out)
	code, _, stderr = run(t, "run", "--repeat", "0", "testdata/passing.feature")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--repeat must be between 1 and 1000")
}

// FILE:LINE runs the one scenario starting there, as godog does; a line
// no scenario starts on is a one-line error listing those that do.
func TestAScenarioByItsLine(t *testing.T) {
	lines := scenarioLines(t, "../../features/restart.feature")
	require.Greater(t, len(lines), 1)
	code, out, errOut := run(t, "run", "--artifacts", t.TempDir(), "../../features/restart.feature:"+lines[1])
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "tandem: 1 ran: 1 passed")

	code, _, errOut = run(t, "run", "../../features/restart.feature:1")
	require.Equal(t, exitUsage, code)
	require.Equal(t, "tandem run: ../../features/restart.feature:1: no scenario starts on line 1 (scenarios start on lines "+strings.Join(lines, ", ")+")\n", errOut)
}

func scenarioLines(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var out []string
	for i, l := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "Scenario:") || strings.HasPrefix(t, "Scenario Outline:") {
			out = append(out, strconv.Itoa(i+1))
		}
	}
	return out
}

// Pretty output is for charm authors: no Go function behind a step, one
// tally (tandem's), no Go snippets.
func TestPrettyOutputNamesNoGoCode(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "--format", "pretty", "testdata/passing.feature")
	require.Equal(t, exitOK, code)
	require.NotContains(t, out, "makeFuncStub")
	require.NotContains(t, out, ".go:")
	require.NotContains(t, out, "1 scenarios (1 passed)", "godog's tally: tandem prints its own")
	require.Contains(t, out, "tandem: 1 ran: 1 passed")
	require.Regexp(t, `(?m)^  Scenario: a unit settles  # testdata/passing.feature:2$`, out)

	code, out, _ = run(t, "run", "--artifacts", t.TempDir(), "--format", "pretty", "testdata/undefined.feature")
	require.Equal(t, exitFailed, code)
	require.NotContains(t, out, "func ")
	require.NotContains(t, out, "godog.ErrPending")
}

// A step with a typo is named before the run, with the phrase meant.
func TestATypoGetsDidYouMean(t *testing.T) {
	code, _, errOut := run(t, "run", "--artifacts", t.TempDir(), "testdata/typo.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errOut, "tandem: testdata/typo.feature:5: no step of tandem's reads: Then servce \"web\" in \"app\" is active within 3s\n  did you mean:\n    Then service \"redis\" in \"redis\" is active within 3s\n")
}

// JUnit a CI can trust: a failed scenario is a failure, a skipped one
// (an outline's row too) is skipped with its reason, and the counts add
// up, in the file and in each suite.
func TestJUnitCountsAndReasons(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.xml")
	code, _, _ := run(t, "run", "--substrate", "nodeless", "--artifacts", t.TempDir(), "--format", "junit:"+path, "testdata/junit/mixed.feature")
	require.Equal(t, exitFailed, code)
	got, byName := readJUnit(t, path)
	require.Equal(t, 5, got.Tests)
	require.Equal(t, 1, got.Failures)
	require.Len(t, got.Suites, 1)
	s := got.Suites[0]
	require.Equal(t, []int{5, 1, 2}, []int{s.Tests, s.Failures, s.Skipped})
	require.Contains(t, byName["a check that fails"].Failure.Message, "has not received app-pebble-check-failed")
	require.Nil(t, byName["a unit settles"].Failure)
	reason := "needs nodes, which nodeless lacks; runs on sim, kind"
	require.Equal(t, reason, byName["failover across nodes"].Skipped.Message)
	require.Nil(t, byName["one per node count #1"].Skipped)
	require.Equal(t, reason, byName["one per node count #2"].Skipped.Message)
}

// Progress marks reach the terminal as they come, before their line ends.
func TestProgressMarksPassAtOnce(t *testing.T) {
	var out bytes.Buffer
	w := &authorWriter{out: &out}
	w.Write([]byte("..."))
	require.Equal(t, "...", out.String())
	w.Write([]byte(".F 5\n\n3 scenarios (2 passed, 1 failed)\n"))
	require.Equal(t, "....F 5\n", out.String())
}

// doctor never calls a real substrate ready when tandem cannot build what
// it runs there.
func TestDoctorIsNotReadyWithoutTheSource(t *testing.T) {
	t.Setenv("TANDEM_SOURCE", t.TempDir())
	code, out, _ := run(t, "doctor")
	require.Equal(t, exitFailed, code)
	for _, name := range []string{"local", "docker", "kind"} {
		require.Regexp(t, `(?m)^`+name+` +NOT READY:`, out)
	}
	require.Contains(t, out, "is not tandem's source")
	require.Regexp(t, `(?m)^sim +ready`, out)
}

// tandem steps prints phrases with placeholders, grouped, filtered by a
// word; a filter nothing matches says so.
func TestStepsPrintsPhrasesWithPlaceholders(t *testing.T) {
	code, out, _ := run(t, "steps", "restarted")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "CHECKS\n  container \"<container>\" has restarted <n> time[s][ within <duration>][ and stays so for <stays>]\n")
	require.NotContains(t, out, "THE CHARM\n")
	require.NotContains(t, out, "[^")
	code, _, stderr := run(t, "steps", "no-such-word")
	require.Equal(t, exitFailed, code)
	require.Contains(t, stderr, `no step says "no-such-word"`)
}

// A scenario whose steps need a capability the substrate lacks is skipped
// with the reason, with no tag: deploying on two nodes needs nodes, on
// one it does not.
func TestCapabilitiesAreInferredFromSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.xml")
	code, _, _ := run(t, "run", "--substrate", "nodeless", "--artifacts", t.TempDir(), "--format", "junit:"+path, "testdata/inferred.feature")
	require.Equal(t, exitOK, code)
	_, byName := readJUnit(t, path)
	reason := "needs nodes, which nodeless lacks; runs on sim, kind"
	require.NotNil(t, byName["two nodes"].Skipped)
	require.Equal(t, reason, byName["two nodes"].Skipped.Message)
	require.Nil(t, byName["one node"].Skipped)
	require.Nil(t, byName["one node"].Failure)
	require.NotNil(t, byName["a node fails"].Skipped)
	require.Equal(t, reason, byName["a node fails"].Skipped.Message)
}

// A layer's YAML that does not parse is a one-line error naming the
// feature file's line, before anything runs.
func TestBadYAMLNamesTheFeaturesLine(t *testing.T) {
	code, _, stderr := run(t, "run", "--artifacts", t.TempDir(), "testdata/badyaml.feature")
	require.Equal(t, exitUsage, code)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
	require.Contains(t, stderr, "testdata/badyaml.feature:8: the YAML of ")
	require.Contains(t, stderr, "(fix the doc string's YAML)")
}

// A service that is not as a step wants it comes with why: the charm's
// failed call on its container (Pebble's reason) and what Pebble logged.
func TestAServiceNotUpSaysWhy(t *testing.T) {
	code, out, _ := run(t, "run", "--artifacts", t.TempDir(), "testdata/nostart.feature")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, `service "api" in app of demo/0 is error, want active (waited 3s)`)
	require.Contains(t, out, `the charm's app-pebble-ready handler failed: replan in app: `)
	require.Contains(t, out, `Pebble logged: Service "api" starting: /usr/bin/workload --exit-after=0s --exit-code=3; Service "api" stopped unexpectedly with code 3`)
}

// The HTML report is one file that opens offline, failures first and
// open, each scenario with its timeline drawn.
func TestTheHTMLReportPutsFailuresFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	code, _, _ := run(t, "run", "--substrate", "nodeless", "--artifacts", t.TempDir(), "--format", "html:"+path, "testdata/junit/mixed.feature")
	require.Equal(t, exitFailed, code)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(data)
	require.Contains(t, page, `<span class="failed">1 failed</span> <span class="passed">2 passed</span> <span class="skipped">2 skipped</span>`)
	first := strings.Index(page, `<details class="scenario`)
	require.Equal(t, first, strings.Index(page, `<details class="scenario failed" open>`), "the failure comes first, open")
	require.Less(t, strings.Index(page, "a check that fails"), strings.Index(page, "a unit settles"))
	require.Contains(t, page, "needs nodes, which nodeless lacks")
	require.Equal(t, 3, strings.Count(page, "<svg"), "a timeline for each scenario that ran")
	require.NotRegexp(t, `(src|href)="?https?:`, page, "nothing from elsewhere")
	require.NotContains(t, page, "<script")
}

// readJUnit reads a JUnit report, and the first suite's cases by name.
func readJUnit(t *testing.T, path string) (junitSuites, map[string]junitCase) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var got junitSuites
	require.NoError(t, xml.Unmarshal(data, &got))
	require.NotEmpty(t, got.Suites)
	byName := map[string]junitCase{}
	for _, c := range got.Suites[0].Cases {
		byName[c.Name] = c
	}
	return got, byName
}

// When a step failed and the scenario's own check failed too, godog's
// line names both: the step's line stays, and the words are godog's.
func TestAStepsFailureStaysTheSteps(t *testing.T) {
	var out bytes.Buffer
	w := &authorWriter{out: &out}
	io.WriteString(w, "--- Failed steps:\n\n  Scenario: s # a.feature:2\n    Then check \"x\" in \"app\" is up # a.feature:5\n"+
		"      Error: after scenario hook failed: meanwhile, install failed, step error: check x is down\n")
	require.Contains(t, out.String(), "    Then check \"x\" in \"app\" is up # a.feature:5\n      Error: after scenario hook failed: meanwhile")
}

// A soak writes each run's report to a file of its own.
func TestASoaksReportsAreOnePerRun(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := run(t, "run", "--repeat", "2", "--artifacts", t.TempDir(), "--format", "junit:"+filepath.Join(dir, "r.xml")+",html:"+filepath.Join(dir, "r.html"), "testdata/passing.feature")
	require.Equal(t, exitOK, code)
	for _, f := range []string{"r-run-1.xml", "r-run-2.xml", "r-run-1.html", "r-run-2.html"} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	require.NoFileExists(t, filepath.Join(dir, "r.xml"))
}
