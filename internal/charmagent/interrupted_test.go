package charmagent_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
)

// TestAHookTheAgentDiedInIsListedByTheNext: a charm container killed
// while a hook runs takes the agent with it, maybe before the harness
// asked what ran (a loaded CI run lost an update-status begun 16 ms
// before the kill, which the model counted). The next agent in the pod
// lists it, once, in its log, and takes the dead agent's mark away.
func TestAHookTheAgentDiedInIsListedByTheNext(t *testing.T) {
	for name, tc := range map[string]struct {
		running string // running.json as the dead agent left it
		want    []string
	}{
		"mid-hook": {`{"at":9000000000,"name":"update-status","running":true}`, []string{"install", "update-status (interrupted)"}},
		// It died after logging the hook, before taking the mark away.
		"post-log": {`{"at":1000000000,"name":"install","running":true}`, []string{"install"}},
		// It died before its write was whole.
		"cut-short": {`{"at":9000000000,"na`, []string{"install"}},
	} {
		t.Run(name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state")
			require.NoError(t, os.MkdirAll(state, 0o755))
			logged, err := json.Marshal(spec.Event{At: time.Second, Name: "install", Took: time.Second})
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(state, "events.jsonl"), append(logged, '\n'), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(state, "running.json"), []byte(tc.running), 0o644))

			cs := spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
			_, err = charmagent.New(charmagent.Config{Unit: spec.NewUnitID("demo", 0), Spec: cs, Epoch: time.Now(),
				SocketDir: filepath.Join(t.TempDir(), "containers"), StateDir: state})
			require.NoError(t, err)

			f, err := os.ReadFile(filepath.Join(state, "events.jsonl"))
			require.NoError(t, err)
			var got []string
			for _, line := range splitLines(f) {
				var e spec.Event
				require.NoError(t, json.Unmarshal(line, &e))
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

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		if i < len(b) {
			i++
		}
		b = b[i:]
	}
	return out
}
