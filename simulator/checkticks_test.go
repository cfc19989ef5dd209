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

// A run whose check ticked later in its period than the model's (its
// layer came later) and passed a tick the model would have failed: the
// model takes the run's phase from the check's start, so its first
// failure is the run's first, not one of its own between two of the
// run's (a loaded local soak: a 0.5 s check whose run ticks fell 0.38 s
// after the model's).
func TestACheckTakesItsPhaseFromTheRunFromItsStart(t *testing.T) {
	cs := oneContainer()
	cs.Containers[0].Layers = map[string]string{"001-web.yaml": `
services:
  web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080}
checks:
  up: {override: replace, level: ready, period: 10s, threshold: 1, http: {url: "http://localhost:8080/health"}}
`}
	run := func(runTicks []RunTick, unhealthyAt time.Duration, answers ...UnhealthyAnswer) []time.Duration {
		m, err := New(loadedProfile(), 1)
		require.NoError(t, err)
		m.runTicks = map[string][]RunTick{"demo/0/app/up": runTicks}
		m.runUnhealthy = map[string][]UnhealthyAnswer{"demo/0/app": answers}
		require.NoError(t, m.Deploy(cs, 1, 1))
		m.Clock.RunUntil(3 * time.Second) // the pod runs
		require.NoError(t, m.Do("demo/0", spec.Action{Kind: spec.ActReplan, Container: "app"}))
		m.Clock.RunUntil(unhealthyAt)
		require.NoError(t, m.SetHealth("demo/0", "app", spec.DefaultHealthFile, false))
		m.Clock.Sleep(60 * time.Second)
		var at []time.Duration
		for _, r := range m.Trace().Records {
			if r.Type == spec.RecLog && strings.HasPrefix(r.Message, `Check "up" failure`) {
				at = append(at, r.At)
			}
		}
		return at
	}
	own := run(nil, 4*time.Second) // unhealthy before the first tick
	require.NotEmpty(t, own)
	first := own[0] // the model's own first tick, on its own phase
	// The run's ticks: 7.6 s after the model's (0.76 of a period); it
	// turns unhealthy 1 s before the model's third tick, which the run's
	// third tick (2.4 s before it) passed; the run logs its fourth.
	runFail := first + 30*time.Second + 7600*time.Millisecond - 10*time.Second
	got := run([]RunTick{{At: runFail}}, first+19*time.Second)
	require.NotEmpty(t, got)
	require.Equal(t, runFail, got[0], "the model's first failure is the run's")

	// The run's line came late, after a health query had seen the check
	// down (14 ms, in a loaded soak): the grid is the query's, so a tick
	// just after the workload went unhealthy, which the run's passed just
	// before, is not the model's first failure.
	shown := runFail - 14*time.Millisecond
	got = run([]RunTick{{At: runFail}}, shown-10*time.Second+5*time.Millisecond, UnhealthyAnswer{At: shown, Level: "ready"})
	require.NotEmpty(t, got)
	require.Equal(t, shown-time.Nanosecond, got[0], "the first failure is at the run's tick, just before the query saw it")
}
