package charmagent_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// TestTheFirstPollTakesTheWorkloadsInNameOrder: at the introduction
// every workload's Pebble has answered, so one slow to answer the first
// poll is waited for, and the pebble-ready events come in name order, as
// the model's (a docker soak saw them swapped when one Pebble missed the
// first poll on a loaded machine).
func TestTheFirstPollTakesTheWorkloadsInNameOrder(t *testing.T) {
	tmp := t.TempDir()
	var slowAsked atomic.Int32
	for name, delay := range map[string]time.Duration{"alpha": 400 * time.Millisecond, "beta": 0} {
		require.NoError(t, os.MkdirAll(filepath.Join(tmp, "containers", name), 0o755))
		l, err := net.Listen("unix", filepath.Join(tmp, "containers", name, "pebble.socket"))
		require.NoError(t, err)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if delay > 0 && slowAsked.Add(1) == 1 {
				time.Sleep(delay) // longer than the poll's timeout: the first ask fails
			}
			json.NewEncoder(w).Encode(map[string]any{"type": "sync", "status-code": 200, "result": map[string]string{"boot-id": name + "-boot"}})
		})}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	c := startAgentFor(t, tmp, spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "alpha"}, {Name: "beta"}}}, 100*time.Millisecond)

	var ready []string
	require.Eventually(t, func() bool {
		events, err := c.Events(context.Background())
		if err != nil {
			return false
		}
		ready = nil
		for _, e := range events {
			if e.Name == spec.PebbleReady("alpha") || e.Name == spec.PebbleReady("beta") {
				ready = append(ready, e.Name)
			}
		}
		return len(ready) == 2
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{spec.PebbleReady("alpha"), spec.PebbleReady("beta")}, ready)
}
