package charmagent_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// TestAHookTheAgentDiedInIsListedByTheNext: a charm container killed
// while a hook runs takes the agent with it, maybe before the harness
// asked what ran (a loaded CI run lost an update-status begun 16 ms
// before the kill, which the model counted). The next agent in the pod
// lists it, once.
func TestAHookTheAgentDiedInIsListedByTheNext(t *testing.T) {
	for name, tc := range map[string]struct {
		running spec.Event
		want    []string
	}{
		"mid-hook": {spec.Event{At: 9 * time.Second, Name: "update-status", Running: true}, []string{"install", "update-status (interrupted)"}},
		"post-log": {spec.Event{At: time.Second, Name: "install", Running: true}, []string{"install"}},
	} {
		t.Run(name, func(t *testing.T) {
			tmp, pebble := fakePebble(t)
			pebble.Close()
			state := filepath.Join(tmp, "state")
			require.NoError(t, os.MkdirAll(state, 0o755))
			logged, err := json.Marshal(spec.Event{At: time.Second, Name: "install", Took: time.Second})
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(state, "events.jsonl"), append(logged, '\n'), 0o644))
			running, err := json.Marshal(tc.running)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(state, "running.json"), running, 0o644))

			c := startAgentOn(t, tmp)
			c.Freeze(context.Background())
			events, err := c.Events(context.Background())
			require.NoError(t, err)
			// The new agent's own hooks (a fresh lifecycle: the fake's
			// pod is new) begin within a second of its epoch.
			var got []string
			for _, e := range events {
				if e.At < time.Second {
					continue
				}
				if e.Interrupted {
					e.Name += " (interrupted)"
				}
				got = append(got, e.Name)
			}
			require.Equal(t, tc.want, got)
			_, err = os.Stat(filepath.Join(state, "running.json"))
			require.ErrorIs(t, err, os.ErrNotExist, "the next agent's own hooks must not be taken for the dead one's")
		})
	}
}
