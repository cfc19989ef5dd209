package spec

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParsePebbleLogLine(t *testing.T) {
	at, msg, ok := ParsePebbleLogLine(`2026-11-25T02:53:46.494Z [pebble] Service "srv" starting: /usr/bin/workload`)
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 11, 25, 2, 53, 46, 494_000_000, time.UTC), at)
	require.Equal(t, `Service "srv" starting: /usr/bin/workload`, msg)
	_, _, ok = ParsePebbleLogLine(`2026-11-25T02:53:46.494Z [srv] some output`)
	require.False(t, ok, "a service's output is not Pebble's own line")
	require.False(t, IsLifecycleLog("GET /v1/services 183µs 200"))
	require.True(t, IsLifecycleLog(`Check "up" failure 1/3: x`))
}

// TestLogDeriver reads a real Pebble's lines (local substrate, v1.26.0).
func TestLogDeriver(t *testing.T) {
	var d LogDeriver
	lines := []struct {
		msg  string
		want []Record
	}{
		{`Service "srv" starting: /usr/bin/workload --exit-after=1100ms --exit-code=1`, []Record{{Type: RecStart, Service: "srv"}, {Type: RecService, Service: "srv", State: "active"}}},
		{`Service "srv" stopped unexpectedly with code 1`, nil},
		{`Service "srv" on-failure action is "restart", waiting ~200ms before restart (backoff 1)`, []Record{{Type: RecService, Service: "srv", State: "backoff"}}},
		{`Service "srv" stopped while waiting for backoff`, []Record{{Type: RecService, Service: "srv", State: "inactive"}}},
		{`Service "q" stopped unexpectedly with code 4`, nil},
		{`Service "q" on-failure action is "ignore", not doing anything further`, []Record{{Type: RecService, Service: "q", State: "error"}}},
		{`Service "z" stopped unexpectedly with code 0`, nil},
		{`Service "z" on-success action is "ignore", not doing anything further`, []Record{{Type: RecService, Service: "z", State: "inactive"}}},
		{`Service "f" on-success action is "shutdown", triggering success shutdown`, []Record{{Type: RecService, Service: "f", State: "error"}}},
		{`Service "w" on-check-failure action is "shutdown", triggering failure shutdown`, nil},
		{`Service "w" on-check-failure action is "restart", terminating process before restarting`, []Record{{Type: RecService, Service: "w", State: "inactive"}}},
		{`Service "w" stopped`, []Record{{Type: RecService, Service: "w", State: "inactive"}}},
		{`Check "up" threshold 3 hit, triggering action and recovering`, []Record{{Type: RecCheck, Check: "up", State: "down"}}},
		{`Check "up" failure 1/3: boom`, nil},
	}
	for _, l := range lines {
		require.Equal(t, l.want, d.Derive(l.msg), l.msg)
	}
}
