//go:build integration

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/substrate/local"
)

// needLocal skips where the local substrate cannot run, except in CI,
// whose test command installs what it needs: there it fails.
func needLocal(t *testing.T) {
	t.Helper()
	if missing := local.Requirements(); len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("the local substrate cannot run: %s", strings.Join(missing, "; "))
		}
		t.Skipf("the local substrate cannot run here: %s", strings.Join(missing, "; "))
	}
}

func buildTandem(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tandem")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// footprint is what of tandem's exists on the machine: processes whose
// command line names tandem's run directories or cached binaries, zombies
// of its sandboxes (a run that exits without reaping them leaves them to
// the host's init), and run directories.
func footprint(t *testing.T) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		// A zombie has no command line: its name and state are in stat.
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			var comm, state string
			fmt.Sscanf(string(stat), "%d %s %s", new(int), &comm, &state)
			if state == "Z" && (comm == "(bwrap)" || comm == "(pebble)" || comm == "(nsenter)" || comm == "(workload)") {
				out = append(out, "zombie "+comm)
				continue
			}
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(cmd, local.BaseDir()) || strings.Contains(cmd, "/.cache/tandem/bin/") || strings.Contains(cmd, "charm-agent") {
			out = append(out, "process "+cmd)
		}
	}
	dirs, _ := os.ReadDir(local.BaseDir())
	for _, d := range dirs {
		out = append(out, "dir "+d.Name())
	}
	sort.Strings(out)
	return out
}

// waitForSandboxes waits until a run has sandboxes up.
func waitForSandboxes(t *testing.T, before []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range footprint(t) {
			if strings.HasPrefix(f, "process ") && strings.Contains(f, "bwrap") && !contains(before, f) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the run never started a sandbox")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// leakTest runs a passing run, a failing run, a run stopped by SIGINT and
// one killed by SIGKILL and then cleaned, on substrate (with extra run
// and clean flags), and checks after each that footprint is as it was
// before.
func leakTest(t *testing.T, substrateName string, footprint func(*testing.T) []string, waitStarted func(*testing.T, []string), extra ...string) {
	leakTestOf(t, declaredCharmRuns, substrateName, footprint, waitStarted, extra...)
}

// leakRuns are the features a leak test runs: one passing, one failing,
// one long (interrupted once its unit is deployed, after deployedAt
// passed steps).
type leakRuns struct {
	pass, fail, long string
	deployedAt       int
	// failsWith is what the failing run says, so a run that fails for
	// another reason (the substrate's) does not pass for it.
	failsWith string
}

var (
	declaredCharmRuns = leakRuns{"testdata/local-pass.feature", "testdata/local-fail.feature", "testdata/local-long.feature", longDeployedAt, ""}
	// The reference charm, a charm of your own.
	yourCharmRuns = leakRuns{"testdata/yourcharm-pass.feature", "testdata/yourcharm-fail.feature", "testdata/yourcharm-long.feature", 2, `status is "active"`}
)

// leakTestOf is leakTest with the given runs.
func leakTestOf(t *testing.T, runs leakRuns, substrateName string, footprint func(*testing.T) []string, waitStarted func(*testing.T, []string), extra ...string) {
	bin := buildTandem(t)
	art := t.TempDir()
	run := func(feature string) *exec.Cmd {
		args := append([]string{"run", "--substrate", substrateName, "--format", "progress", "--artifacts", art}, extra...)
		return exec.Command(bin, append(args, feature)...)
	}
	before := footprint(t)

	out, err := run(runs.pass).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, before, footprint(t), "after a passing run")

	out, err = run(runs.fail).CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), runs.failsWith)
	require.Equal(t, before, footprint(t), "after a failing run")

	cmd := run(runs.long)
	deployed := stepsPassed(cmd)
	require.NoError(t, cmd.Start())
	waitStarted(t, before)
	deployed(t, runs.deployedAt)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	cmd.Wait()
	require.Equal(t, 130, cmd.ProcessState.ExitCode())
	require.Equal(t, before, footprint(t), "after a SIGINT")

	cmd = run(runs.long)
	deployed = stepsPassed(cmd)
	require.NoError(t, cmd.Start())
	waitStarted(t, before)
	deployed(t, runs.deployedAt)
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	clean := []string{"clean"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] == "--kubeconfig" { // clean's one flag of run's
			clean = append(clean, extra[i], extra[i+1])
		}
	}
	out, err = exec.Command(bin, clean...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "removed ", "a killed run leaves something for tandem clean")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(footprint(t)) != len(before) {
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, before, footprint(t), "after a SIGKILL and tandem clean")
}

// longDeployedAt is how many steps of testdata/local-long.feature have
// passed once its unit is deployed and settled.
const longDeployedAt = 4

// stepsPassed follows a run's progress output (a "." a passed step); the
// returned wait returns once n steps have passed, so a signal comes when
// the run has everything up, not after a guessed sleep.
func stepsPassed(cmd *exec.Cmd) func(t *testing.T, n int) {
	r, w := io.Pipe()
	cmd.Stdout = w
	var mu sync.Mutex
	dots := 0
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := r.Read(buf)
			mu.Lock()
			dots += strings.Count(string(buf[:k]), ".")
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func(t *testing.T, n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := dots
			mu.Unlock()
			if got >= n {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("the run never passed %d steps", n)
	}
}

func TestNothingLeaksOnLocal(t *testing.T) {
	needLocal(t)
	leakTest(t, "local", footprint, waitForSandboxes)
}

// TestAnInstalledTandemRunsFromAnyDirectory: `go install` into an empty
// GOBIN, a feature copied into an empty directory, and a run there on
// local passes with no TANDEM_SOURCE: the binary finds the source it
// builds its fixtures from (issue 14, installing as a user).
func TestAnInstalledTandemRunsFromAnyDirectory(t *testing.T) {
	needLocal(t)
	gobin := t.TempDir()
	install := exec.Command("go", "install", "./cmd/tandem")
	install.Dir = filepath.Join("..", "..")
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	out, err := install.CombinedOutput()
	require.NoError(t, err, "%s", out)

	work := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "features", "restart.feature"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "restart.feature"), data, 0o644))
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TANDEM_SOURCE=") {
			env = append(env, kv)
		}
	}
	run := exec.Command(filepath.Join(gobin, "tandem"), "run", "--substrate", "local", "--format", "progress", "restart.feature:22")
	run.Dir, run.Env = work, env
	out, err = run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "tandem: 1 ran: 1 passed")
}
