package charmagent_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
)

// TestTheScenariosEndTakesTheNoticesPebbleHadNoted: a notice Pebble
// recorded before the scenario ended is an event Juju's agent decided on,
// though the agent's watcher had not read it yet (a loaded soak saw a
// check-failed notice 20 ms before the end, which the model counted and
// the run did not). Here the workload's Pebble answers a waiting read of
// its notices never, and a plain one with the notice.
func TestTheScenariosEndTakesTheNoticesPebbleHadNoted(t *testing.T) {
	tmp, pebble := fakePebble(t)
	noticed := time.Now()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/notices" {
			http.Error(w, `{"type":"error","status-code":500,"result":{"message":"not here"}}`, http.StatusInternalServerError)
			return
		}
		if r.URL.Query().Get("timeout") != "" {
			<-r.Context().Done() // the watcher's long poll: it never hears
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"type": "sync", "status-code": 200, "result": []map[string]any{{
			"id": "1", "type": "custom", "key": "example.com/done", "first-occurred": noticed, "last-occurred": noticed,
			"last-repeated": noticed, "occurrences": 1,
		}}})
	})}
	go srv.Serve(pebble)
	t.Cleanup(func() { srv.Close() })

	c := startAgentOn(t, tmp)

	queued, err := c.Freeze(context.Background())
	require.NoError(t, err)
	ran, err := c.Events(context.Background())
	require.NoError(t, err)
	var names []string
	for _, e := range append(ran, queued...) {
		names = append(names, e.Name+"("+e.Key+")")
	}
	require.Contains(t, names, "app-pebble-custom-notice(example.com/done)", "what ran and what was queued at the end: %v", names)
}

// TestTwoNoticesOfOneInstantAreBothTaken: a check that fails its
// threshold makes its perform-check change go to Error and a
// recover-check change start in the same instant, and Pebble may list the
// two either way round: the charm hears check-failed all the same (a
// loaded soak lost one when the agent took only notices later than the
// last it had seen).
func TestTwoNoticesOfOneInstantAreBothTaken(t *testing.T) {
	tmp, pebble := fakePebble(t)
	at := time.Now()
	var once sync.Once
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sync := func(result any) {
			json.NewEncoder(w).Encode(map[string]any{"type": "sync", "status-code": 200, "result": result})
		}
		switch r.URL.Path {
		case "/v1/notices":
			given := false
			once.Do(func() {
				given = true
				sync([]map[string]any{
					{"id": "1", "type": "change-update", "key": "1", "first-occurred": at, "last-occurred": at, "last-repeated": at, "occurrences": 1,
						"last-data": map[string]string{"kind": "recover-check", "check-name": "up"}},
					{"id": "2", "type": "change-update", "key": "2", "first-occurred": at, "last-occurred": at, "last-repeated": at, "occurrences": 2,
						"last-data": map[string]string{"kind": "perform-check", "check-name": "up"}},
				})
			})
			if !given {
				<-r.Context().Done()
			}
		case "/v1/changes/1":
			sync(map[string]any{"id": "1", "kind": "recover-check", "status": "Doing"})
		case "/v1/changes/2":
			sync(map[string]any{"id": "2", "kind": "perform-check", "status": "Error"})
		default:
			http.Error(w, `{"type":"error","status-code":500,"result":{"message":"not here"}}`, http.StatusInternalServerError)
		}
	})}
	go srv.Serve(pebble)
	t.Cleanup(func() { srv.Close() })

	c := startAgentOn(t, tmp)

	require.Eventually(t, func() bool {
		events, err := c.Events(context.Background())
		require.NoError(t, err)
		for _, e := range events {
			if e.Name == spec.CheckFailed("app") && e.Key == "up" {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "the charm never heard app-pebble-check-failed(up)")
}

// fakePebble listens where an agent in tmp finds container app's Pebble.
func fakePebble(t *testing.T) (string, net.Listener) {
	tmp := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "containers", "app"), 0o755))
	pebble, err := net.Listen("unix", filepath.Join(tmp, "containers", "app", "pebble.socket"))
	require.NoError(t, err)
	return tmp, pebble
}

// startAgentOn runs a declared-handlers agent for demo/0, whose one
// workload container, app, has its Pebble in tmp, and introduces it.
func startAgentOn(t *testing.T, tmp string) *charmagent.Client {
	return startAgentFor(t, tmp, spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}, time.Hour)
}

// startAgentFor runs a declared-handlers agent for unit 0 of cs, whose
// workloads' Pebbles are in tmp, polling them every poll, and
// introduces it.
func startAgentFor(t *testing.T, tmp string, cs spec.CharmSpec, poll time.Duration) *charmagent.Client {
	agent, err := charmagent.New(charmagent.Config{Unit: spec.NewUnitID(cs.App, 0), Spec: cs, Epoch: time.Now(),
		SocketDir: filepath.Join(tmp, "containers"), StateDir: filepath.Join(tmp, "state"), PollInterval: poll})
	require.NoError(t, err)
	l, err := net.Listen("unix", filepath.Join(tmp, "agent.sock"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { agent.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c := charmagent.NewUnixClient(filepath.Join(tmp, "agent.sock"))
	require.NoError(t, c.Introduce(true))
	return c
}
