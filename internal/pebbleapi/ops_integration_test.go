//go:build integration

package pebbleapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
)

// opsCalls runs testdata/opscalls.py with the reference charm's ops
// against the Pebble on socket: each call's answer shapes, or its error.
func opsCalls(t *testing.T, python, socket, workload, port string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-X", "faulthandler", "testdata/opscalls.py", socket, workload, port)
	// A hang shows where: Python dumps its stacks on SIGABRT.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGABRT) }
	var stderr, stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s", stderr.String())
	if stderr.Len() > 0 {
		t.Logf("ops against %s:\n%s", socket, stderr.String())
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	return out
}

// freePort is a TCP port nothing listens on now, for the real workload.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestOpsReadsTheModelsAnswersAsPebbles: every call a charm makes through
// ops' Pebble client, against the model's server and against real Pebble
// (v1.26.0): ops parses both, and each answer has the same shape (its
// keys and their types).
func TestOpsReadsTheModelsAnswersAsPebbles(t *testing.T) {
	ctx := context.Background()
	charm, err := charms.Open("../../fixtures/charms/snappass")
	require.NoError(t, err)
	venv, err := charms.Venv(ctx, charm, io.Discard)
	require.NoError(t, err)
	python := filepath.Join(venv, "bin", "python")
	bins, err := binaries.Ensure(ctx, io.Discard)
	require.NoError(t, err)

	dir := t.TempDir()
	real := exec.Command(bins.Pebble, "run", "--create-dirs")
	real.Env = append(os.Environ(), "PEBBLE="+filepath.Join(dir, "pebble"), "PEBBLE_SOCKET="+filepath.Join(dir, "pebble.socket"))
	require.NoError(t, real.Start())
	// Pebble starts each service in a process group of its own: it stops
	// them itself on SIGTERM, before it exits.
	t.Cleanup(func() {
		real.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { real.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			real.Process.Kill()
			t.Errorf("real Pebble did not stop within 15 s of SIGTERM: its services may be left")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "pebble.socket")); err == nil {
			break
		}
	}
	port := freePort(t)
	want := opsCalls(t, python, filepath.Join(dir, "pebble.socket"), bins.Workload, port)

	socket := serve(t)
	got := opsCalls(t, python, socket, spec.WorkloadTool, port)

	var calls []string
	for name := range want {
		calls = append(calls, name)
	}
	sort.Strings(calls)
	require.Len(t, got, len(want))
	for _, name := range calls {
		require.Equal(t, want[name], got[name], "%s: real Pebble's answer (expected) against the model's (actual)", name)
	}
}
