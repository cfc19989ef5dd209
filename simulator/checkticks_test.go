package simulator

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// failingCheckModel deploys a unit whose check fails from the start, every
// 10 s, with the run's logged failures runTicks (none: nil), and returns
// when the model logged each failure in the first 45 s.
func failingCheckModel(t *testing.T, runTicks []RunTick) []time.Duration {
	cs := oneContainer()
	cs.Containers[0].Layers = map[string]string{"001-web.yaml": `
services:
  web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080 --health-file=/etc/hostname}
checks:
  up: {override: replace, level: ready, period: 10s, threshold: 9, http: {url: "http://localhost:8080/health"}}
`}
	m, err := New(loadedProfile(), 1)
	require.NoError(t, err)
	m.runTicks = map[string][]RunTick{"demo/0/app/up": runTicks}
	require.NoError(t, m.Deploy(cs, 1, 1))
	m.Clock.Sleep(45 * time.Second)
	var at []time.Duration
	for _, r := range m.Trace().Records {
		if r.Type == spec.RecLog && strings.HasPrefix(r.Message, `Check "up" failure`) {
			at = append(at, r.At)
		}
	}
	return at
}

// The model takes a check's phase from the run once, from the first
// failure the run's Pebble logged, and keeps its own period after it: a
// run whose ticks came every 6 s for a 10 s period is not followed.
func TestACheckTakesItsPhaseFromTheRunNotItsPeriod(t *testing.T) {
	own := failingCheckModel(t, nil)
	require.GreaterOrEqual(t, len(own), 4)
	require.Equal(t, 10*time.Second, own[1]-own[0])
	late := own[0] + 400*time.Millisecond
	got := failingCheckModel(t, []RunTick{{At: late}, {At: late + 6*time.Second}, {At: late + 12*time.Second}, {At: late + 18*time.Second}})
	require.Equal(t, late, got[0], "the first tick comes when the run's did")
	for i := 1; i < len(got); i++ {
		require.Equal(t, late+time.Duration(i)*10*time.Second, got[i], "tick %d stays on the grid", i)
	}
	// A run whose ticks lag a little behind the grid, as load makes
	// them, is followed within the allowance.
	jitter := loadedProfile().Allowance / 2
	got = failingCheckModel(t, []RunTick{{At: late}, {At: late + 10*time.Second + jitter}})
	require.Equal(t, late+10*time.Second+jitter, got[1])
	require.Equal(t, late+20*time.Second, got[2], "and the grid stays where the first tick put it")
}

// loadedProfile is the model's profile with a real substrate's allowance
// for load (local's).
func loadedProfile() spec.TimingProfile {
	p := testProfile()
	p.Allowance = spec.Profiles["local"].Allowance
	return p
}
