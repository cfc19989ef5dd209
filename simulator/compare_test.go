package simulator

import (
	"bytes"
	"github.com/canonical/pebble/client"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// referenceRun is a scenario touching every comparison rule: a failing
// service backing off, a pushed file read back, a killed container.
func referenceRun(t testing.TB) *spec.Trace {
	m, err := New(spec.Profiles["sim"], 42)
	require.NoError(t, err)
	cs := readyCharm("app")
	cs.Handlers[0].Actions[0].Layer = svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1 --record=srv")
	require.NoError(t, m.Deploy(cs, 1, 1))
	m.Clock.Sleep(10 * time.Second)
	require.NoError(t, m.Do("demo/0", spec.Action{Kind: spec.ActPush, Container: "app", Path: "/etc/app.conf", Content: "x=1\n", Permissions: "640"}))
	_, err = m.ReadFile("demo/0", "app", "/etc/app.conf")
	require.NoError(t, err)
	require.NoError(t, m.KillContainer("demo/0", "app"))
	m.Clock.Sleep(20 * time.Second)
	m.End()
	return m.Trace()
}

func TestModelTraceReplaysToItself(t *testing.T) {
	orig := referenceRun(t)
	var buf bytes.Buffer
	require.NoError(t, spec.WriteTrace(&buf, orig))
	read, err := spec.ReadTrace(&buf, "ref.trace")
	require.NoError(t, err)
	replayed, err := Replay(read)
	require.NoError(t, err)
	require.Empty(t, Compare(read, replayed))
	require.Equal(t, len(orig.Records), len(replayed.Records), "the same records, one for one")
	for i := range orig.Records {
		require.Equal(t, orig.Records[i].At, replayed.Records[i].At, "record %d: %s", i, Describe(orig.Records[i]))
		require.Equal(t, orig.Records[i].Type, replayed.Records[i].Type, "record %d", i)
	}
}

// mutate returns a copy of t with f applied to its records.
func mutate(t *spec.Trace, f func([]spec.Record) []spec.Record) *spec.Trace {
	recs := append([]spec.Record(nil), t.Records...)
	for i := range recs {
		if recs[i].File != nil {
			f := *recs[i].File
			recs[i].File = &f
		}
	}
	return &spec.Trace{Header: t.Header, Records: f(recs)}
}

// nth finds the nth (1-based) record matching pred.
func nth(recs []spec.Record, n int, pred func(spec.Record) bool) int {
	for i, r := range recs {
		if pred(r) {
			n--
			if n == 0 {
				return i
			}
		}
	}
	panic("no such record")
}

func find(recs []spec.Record, pred func(spec.Record) bool) int {
	for i, r := range recs {
		if pred(r) {
			return i
		}
	}
	panic("no such record")
}

// comparisonRules is every rule Compare reports under.
var comparisonRules = []string{"service states", "service starts", "events", "container restarts", "check states", "pod phases", "back-off", "restart interval", "files", "answers"}

func TestComparatorFailsWrongTraces(t *testing.T) {
	orig := referenceRun(t)
	model, err := Replay(orig)
	require.NoError(t, err)
	tests := []struct {
		name string
		rule string
		f    func([]spec.Record) []spec.Record
	}{
		{"a restart delay off", "restart interval", func(r []spec.Record) []spec.Record {
			// The second start comes 40% late: outside [X, 1.1X) + allowance.
			i := nth(r, 2, func(x spec.Record) bool { return x.Type == spec.RecStart })
			b := find(r, func(x spec.Record) bool { return x.Type == spec.RecLog && strings.Contains(x.Message, "(backoff 1)") })
			r[i].At = r[b].At + 700*time.Millisecond
			return r
		}},
		{"a nominal delay off", "back-off", func(r []spec.Record) []spec.Record {
			b := find(r, func(x spec.Record) bool { return x.Type == spec.RecLog && strings.Contains(x.Message, "(backoff 2)") })
			r[b].Message = strings.Replace(r[b].Message, "~1s", "~2s", 1)
			return r
		}},
		{"an event missing", "events", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecEvent && x.Message == "config-changed" })
			return append(r[:i], r[i+1:]...)
		}},
		{"an extra restart", "container restarts", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecRestart })
			extra := r[i]
			extra.At += time.Second
			extra.Count++
			return append(r[:i+1], append([]spec.Record{extra}, r[i+1:]...)...)
		}},
		{"a wrong mode", "files", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecFile })
			r[i].File.Mode = "644"
			return r
		}},
		{"a wrong service state", "service states", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecService && x.State == "backoff" })
			r[i].State = "error"
			return r
		}},
		{"an extra service start", "service starts", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecStart })
			extra := r[i]
			extra.At += time.Millisecond
			return append(r[:i+1], append([]spec.Record{extra}, r[i+1:]...)...)
		}},
		{"a check down the model keeps up", "check states", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecStart })
			down := spec.Record{At: r[i].At, Kind: spec.KindObservation, Type: spec.RecCheck, Unit: r[i].Unit, Container: r[i].Container, Check: "alive", State: "down"}
			return append(r[:i+1], append([]spec.Record{down}, r[i+1:]...)...)
		}},
		{"an action Pebble refused that the model did", "answers", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecAnswer })
			r[i].State = "failed (not-found)"
			return r
		}},
		{"a pod phase the model never had", "pod phases", func(r []spec.Record) []spec.Record {
			i := find(r, func(x spec.Record) bool { return x.Type == spec.RecPod && x.State == "Running" })
			r[i].State = "Pending"
			return r
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.rule] = true
	}
	for _, rule := range comparisonRules {
		require.True(t, covered[rule], "no wrong trace for the rule %q", rule)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrong := mutate(orig, tt.f)
			diffs := Compare(wrong, model)
			require.NotEmpty(t, diffs, "the comparator passed a wrong trace")
			var rulesHit []string
			for _, d := range diffs {
				rulesHit = append(rulesHit, d.Rule)
			}
			require.Contains(t, rulesHit, tt.rule, "%v", diffs)
			out := SideBySide(wrong, model)
			require.Contains(t, out, "only in the run")
		})
	}
}

func TestAllowanceWidensTheBound(t *testing.T) {
	orig := referenceRun(t)
	model, _ := Replay(orig)
	late := mutate(orig, func(r []spec.Record) []spec.Record {
		i := nth(r, 2, func(x spec.Record) bool { return x.Type == spec.RecStart })
		b := find(r, func(x spec.Record) bool { return x.Type == spec.RecLog && strings.Contains(x.Message, "(backoff 1)") })
		r[i].At = r[b].At + 600*time.Millisecond // 500ms nominal: 20% late
		return r
	})
	require.NotEmpty(t, Compare(late, model))
	late.Header.Profile.Allowance = 100 * time.Millisecond
	require.Empty(t, Compare(late, model), "within [X, 1.1X) + allowance")
}

func TestTraceReaderErrors(t *testing.T) {
	_, err := spec.ReadTrace(strings.NewReader(`{"format":"tandem-trace","version":9}`+"\n"), "x.trace")
	require.EqualError(t, err, "x.trace:1: cannot read trace version 9: this tandem reads version 1")
	_, err = spec.ReadTrace(strings.NewReader(`{"format":"tandem-trace","version":1}`+"\n{bad\n"), "x.trace")
	require.ErrorContains(t, err, "x.trace:2: cannot read trace record")
	_, err = spec.ReadTrace(strings.NewReader(""), "x.trace")
	require.ErrorContains(t, err, "empty trace")
}

func TestModelMayBeAheadOnlyAtTheEnd(t *testing.T) {
	orig := referenceRun(t)
	model, _ := Replay(orig)
	end := orig.End()
	late := func(at time.Duration) *spec.Trace {
		return mutate(model, func(r []spec.Record) []spec.Record {
			return append(r, spec.Record{At: at, Kind: spec.KindObservation, Type: spec.RecRestart, Unit: "demo/0", Container: "app", Count: 9})
		})
	}
	run := mutate(orig, func(r []spec.Record) []spec.Record { return r })
	run.Header.Profile.Allowance = 100 * time.Millisecond
	require.Empty(t, Compare(run, late(end-50*time.Millisecond)), "a model restart 50ms before the end, within the 100ms allowance")
	require.NotEmpty(t, Compare(run, late(end-time.Second)), "a model restart well before the end is a disagreement")
	require.NotEmpty(t, Compare(late(end-50*time.Millisecond), model), "the run having more than the model is a disagreement")
}

func TestCancelledBackoffIsNotARestart(t *testing.T) {
	mk := func(cancel bool) *spec.Trace {
		recs := []spec.Record{
			{At: 0, Kind: spec.KindObservation, Type: spec.RecLog, Unit: "demo/0", Container: "app", Message: `Service "srv" on-failure action is "restart", waiting ~200ms before restart (backoff 1)`},
		}
		if cancel {
			recs = append(recs, spec.Record{At: 100 * time.Millisecond, Kind: spec.KindObservation, Type: spec.RecLog, Unit: "demo/0", Container: "app", Message: `Service "srv" stopped while waiting for backoff`})
		}
		recs = append(recs, spec.Record{At: 5 * time.Second, Kind: spec.KindObservation, Type: spec.RecStart, Unit: "demo/0", Container: "app", Service: "srv"})
		return &spec.Trace{Header: spec.TraceHeader{Profile: spec.Profiles["local"]}, Records: recs}
	}
	var got []Disagreement
	compareBackoffs(mk(false), mk(false), 0, func(rule, f string, a ...any) { got = append(got, Disagreement{rule, f}) })
	require.NotEmpty(t, got, "a start 5s after a 200ms back-off is out of bounds")
	got = nil
	compareBackoffs(mk(true), mk(true), 0, func(rule, f string, a ...any) { got = append(got, Disagreement{rule, f}) })
	require.Empty(t, got, "the back-off was cut short; the later start is another matter")
}

// TestRestartLatenessOfTheModel: the model restarts within Pebble's own
// jitter, so nothing of its lateness is left for an allowance.
func TestRestartLatenessOfTheModel(t *testing.T) {
	ls := RestartLateness(referenceRun(t))
	require.NotEmpty(t, ls)
	for _, l := range ls {
		require.GreaterOrEqual(t, l.After, l.Delay)
		require.LessOrEqual(t, l.Beyond(), time.Duration(0), "%+v", l)
	}
}

// TestWhatTandemPlayedIsNotCompared: a run whose header says tandem made
// its container restarts and pods is not compared on them, and Uncounted
// says so; the same wrong records from a platform are disagreements.
func TestWhatTandemPlayedIsNotCompared(t *testing.T) {
	orig := referenceRun(t)
	model, err := Replay(orig)
	require.NoError(t, err)
	wrong := mutate(orig, func(r []spec.Record) []spec.Record {
		i := find(r, func(x spec.Record) bool { return x.Type == spec.RecRestart })
		extra := r[i]
		extra.At += time.Second
		return append(r[:i+1], append([]spec.Record{extra}, r[i+1:]...)...)
	})
	require.NotEmpty(t, Compare(wrong, model), "a platform's extra restart disagrees")
	wrong.Header.Played = []string{spec.RecRestart, spec.RecPod}
	require.Empty(t, Compare(wrong, model), "tandem's own restarts are not compared")
	require.Contains(t, strings.Join(Uncounted(wrong), "; "), "container restarts")
	require.NotContains(t, strings.Join(Uncounted(orig), "; "), "container restarts")
}

// TestAStartDuringABackoffIsNotItsRestart: a scenario that starts a
// service while it backs off ends the back-off early; the start that
// follows is not a restart interval outside its window.
func TestAStartDuringABackoffIsNotItsRestart(t *testing.T) {
	for _, kind := range []spec.ActionKind{spec.ActStart, spec.ActReplan} {
		t.Run(string(kind), func(t *testing.T) {
			m, err := New(spec.Profiles["local"], 3)
			require.NoError(t, err)
			cs := readyCharm("app")
			cs.Handlers[0].Actions[0].Layer = svcLayer("srv", tool+" --exit-after=1100ms --exit-code=1", "backoff-delay: 2s")
			require.NoError(t, m.Deploy(cs, 1, 1))
			m.Clock.Sleep(1500 * time.Millisecond) // exited at about 1.1 s: backing off for 2 s
			a := spec.Action{Kind: kind, Container: "app"}
			if kind == spec.ActStart {
				a.Services = []string{"srv"}
			}
			require.NoError(t, m.Do("demo/0", a))
			m.Clock.Sleep(500 * time.Millisecond)
			m.End()
			run := m.Trace()
			starts := 0
			for _, r := range run.Records {
				if r.Type == spec.RecStart {
					starts++
				}
			}
			require.Equal(t, 2, starts, "started, then started again by the %s during the back-off", kind)
			model, err := Replay(run)
			require.NoError(t, err)
			require.Empty(t, Compare(run, model))
		})
	}
}

// TestTheModelAheadAtTheEndKeepsItsOwnBackoff: the model may be a start
// ahead when a run ends inside a back-off, but only with a start its own
// back-off allows; an early one is a disagreement the end-of-run
// allowance does not hide.
func TestTheModelAheadAtTheEndKeepsItsOwnBackoff(t *testing.T) {
	orig := referenceRun(t)
	b := find(orig.Records, func(x spec.Record) bool { return x.Type == spec.RecLog && strings.Contains(x.Message, "(backoff 2)") })
	at, delay := orig.Records[b].At, time.Second // "waiting ~1s before restart (backoff 2)"
	run := &spec.Trace{Header: orig.Header, Records: append(append([]spec.Record(nil), orig.Records[:b+1]...),
		spec.Record{At: at + delay + 50*time.Millisecond, Kind: spec.KindAction, Type: spec.RecEnd, Source: spec.SourceScenario})}
	run.Header.Profile.Allowance = 500 * time.Millisecond
	model := func(restartAt time.Duration) *spec.Trace {
		m := &spec.Trace{Header: orig.Header, Records: append([]spec.Record(nil), orig.Records[:b+1]...)}
		st := find(orig.Records, func(x spec.Record) bool { return x.Type == spec.RecStart })
		start := orig.Records[st]
		start.At = restartAt
		m.Records = append(m.Records, start)
		return m
	}
	require.Empty(t, Compare(run, model(at+delay+10*time.Millisecond)), "one start ahead, when its back-off allowed it")
	diffs := Compare(run, model(at+delay-100*time.Millisecond))
	require.NotEmpty(t, diffs, "a start before its back-off ended is not the model being ahead")
	require.Contains(t, diffs[0].What, "the model restarted after 900ms")
}

// TestHealthAnswersAreAskedOfTheModel: a health query in a run's trace is
// asked of the model at the same instant on replay, and a different
// answer is a disagreement.
func TestHealthAnswersAreAskedOfTheModel(t *testing.T) {
	m, err := New(spec.Profiles["sim"], 7)
	require.NoError(t, err)
	require.NoError(t, m.Deploy(readyCharm("app"), 1, 1))
	m.Clock.Sleep(5 * time.Second)
	ok, err := m.Health("demo/0", "app", client.ReadyLevel)
	require.NoError(t, err)
	require.True(t, ok)
	m.End()
	run := m.Trace()
	model, err := Replay(run)
	require.NoError(t, err)
	require.Empty(t, Compare(run, model))
	wrong := mutate(run, func(r []spec.Record) []spec.Record {
		i := find(r, func(x spec.Record) bool { return x.Type == spec.RecAnswer && x.Message == "health ready" })
		r[i].State = "unhealthy"
		return r
	})
	diffs := Compare(wrong, model)
	require.Len(t, diffs, 1)
	require.Equal(t, "answers", diffs[0].Rule)
	require.Contains(t, diffs[0].What, "health ready -> unhealthy")
}

// TestEventsFromThePollAndFromNoticesMaySwap: a pebble-ready (the boot-id
// poll) and a check-recovered (a notice) within the allowance of each
// other come in either order on a real unit; two events of one source, or
// further apart, may not.
func TestEventsFromThePollAndFromNoticesMaySwap(t *testing.T) {
	ev := func(at time.Duration, v string) timed { return timed{at: at, v: v} }
	model := []timed{ev(0, "start"), ev(time.Second, "app-pebble-check-recovered(up)"), ev(1500*time.Millisecond, "app-pebble-ready")}
	near := []timed{ev(0, "start"), ev(1100*time.Millisecond, "app-pebble-ready"), ev(1600*time.Millisecond, "app-pebble-check-recovered(up)")}
	require.Equal(t, values(model), values(inModelOrder(near, model, time.Second)))
	far := []timed{ev(0, "start"), ev(1100*time.Millisecond, "app-pebble-ready"), ev(3*time.Second, "app-pebble-check-recovered(up)")}
	require.NotEqual(t, values(model), values(inModelOrder(far, model, time.Second)))
	lifecycle := []timed{ev(0, "config-changed"), ev(10*time.Millisecond, "start")}
	require.Equal(t, []string{"config-changed", "start"}, values(inModelOrder(lifecycle, []timed{ev(0, "start"), ev(0, "config-changed")}, time.Second)))
}

// Two runs of one scenario may interleave a unit's workload events
// (pebble-ready) with its other events (a new peer's joined) in either
// order, as Juju's uniter takes them as they come; within each source
// the order is held, and the model's comparison holds it across too.
func TestTwoRunsAgreeOnEachSourcesOrderNotOnTheirInterleaving(t *testing.T) {
	events := func(names ...string) *spec.Trace {
		tr := &spec.Trace{Header: spec.TraceHeader{Profile: testProfile()}}
		for i, n := range names {
			tr.Records = append(tr.Records, spec.Record{At: time.Duration(i) * time.Second, Kind: spec.KindObservation,
				Type: spec.RecEvent, Unit: "snappass/1", Message: n})
		}
		return tr
	}
	a := events("install", "start", "peers-relation-joined", "redis-pebble-ready", "app-pebble-ready")
	interleaved := events("install", "start", "redis-pebble-ready", "app-pebble-ready", "peers-relation-joined")
	require.Empty(t, CompareRuns(a, interleaved))
	require.NotEmpty(t, Compare(a, interleaved), "against the model the order holds across sources")
	require.NotEmpty(t, CompareRuns(a, events("start", "install", "peers-relation-joined", "redis-pebble-ready", "app-pebble-ready")), "the life cycle's order holds")
	require.NotEmpty(t, CompareRuns(a, events("install", "start", "peers-relation-joined", "app-pebble-ready", "redis-pebble-ready")), "the workloads' order holds")
	require.NotEmpty(t, CompareRuns(a, events("install", "start", "redis-pebble-ready", "app-pebble-ready")), "every event is there")
}
