//go:build integration

package main

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/substrate/docker"
)

func needDocker(t *testing.T) {
	t.Helper()
	if missing := docker.Requirements(context.Background()); len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("the docker substrate cannot run: %s", strings.Join(missing, "; "))
		}
		t.Skipf("the docker substrate cannot run here: %s", strings.Join(missing, "; "))
	}
}

// dockerLists is Docker's full lists of containers, volumes and networks.
func dockerLists(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, args := range [][]string{{"ps", "-aq", "--no-trunc"}, {"volume", "ls", "-q"}, {"network", "ls", "-q", "--no-trunc"}} {
		b, err := exec.Command("docker", args...).Output()
		require.NoError(t, err)
		for _, line := range strings.Fields(string(b)) {
			out = append(out, args[0]+" "+line)
		}
	}
	sort.Strings(out)
	return out
}

func waitForContainers(t *testing.T, before []string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, x := range dockerLists(t) {
			if strings.HasPrefix(x, "ps ") && !contains(before, x) {
				n++
			}
		}
		if n >= 4 { // pause, init, charm, workload
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the run never made its pod")
}

func TestNothingLeaksOnDocker(t *testing.T) {
	needDocker(t)
	leakTest(t, "docker", dockerLists, waitForContainers)
}

// TestNothingLeaksOnDockerWithACharmOfYourOwn: the same with the
// reference charm, whose pods have the charm's own container and its
// juju volume. A first run builds the charm's venv and images (a cache,
// not in the footprint), so the leak test's waits see pods, not builds.
func TestNothingLeaksOnDockerWithACharmOfYourOwn(t *testing.T) {
	needDocker(t)
	bin := buildTandem(t)
	out, err := exec.Command(bin, "run", "--substrate", "docker", "--artifacts", t.TempDir(), yourCharmRuns.pass).CombinedOutput()
	require.NoError(t, err, "the run that builds the images: %s", out)
	leakTestOf(t, yourCharmRuns, "docker", dockerLists, waitForContainers)
}
