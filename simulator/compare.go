package simulator

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Disagreement is one way a run differs from the model.
type Disagreement struct {
	Rule string // which comparison rule
	What string
}

func (d Disagreement) String() string { return d.Rule + ": " + d.What }

// Compare checks a run's trace against the model's prediction for it
// (DESIGN "Traces and the reference"):
//   - per service, the same sequence of statuses and the same number of
//     starts; per unit, the same events in the same order; per container,
//     the same number of restarts; per check, the same up/down sequence;
//     per unit, the same pod phases;
//   - each back-off restart: the wait from Pebble's "waiting ~X before
//     restart" line to the next start lies in [X, 1.1·X) plus the
//     profile's allowance, and X is the model's X for that back-off;
//   - each file read: the same content, mode and owner;
//   - per container, the same answers to the scenario: each action's
//     outcome (ok, its error's kind, an exec's exit code and output) and
//     each health query's.
//
// Rules over records the run's header says tandem played (Played) are
// left out: they would be tandem agreeing with itself (Uncounted).
//
// It returns nothing when they agree.
func Compare(run, model *spec.Trace) []Disagreement { return compare(run, model, false) }

// CompareRuns compares two runs of one scenario (a charm of your own on
// local and on sim) by Compare's rules, b in the model's place, but for
// each unit's events: those its workloads' Pebbles give (pebble-ready,
// notices, checks) and the rest (the life cycle, the controller's, other
// units' doing) come from independent sources, which Juju's uniter
// interleaves as they come, so two runs are held to the same order within
// each, not across them (a unit added by scaling can have its peer's
// joined before or after its own pebble-ready).
func CompareRuns(a, b *spec.Trace) []Disagreement { return compare(a, b, true) }

func compare(run, model *spec.Trace, bySource bool) []Disagreement {
	var out []Disagreement
	add := func(rule, format string, args ...any) {
		out = append(out, Disagreement{Rule: rule, What: fmt.Sprintf(format, args...)})
	}
	// The model is never slower than a real run, so when the run ends it
	// may be a step ahead: records it has beyond the run's, all within the
	// allowance before the end, are not a disagreement.
	end := run.End()
	tail := end - run.Header.Profile.Allowance
	sameSeqs := func(rule, noun string, a, b map[string][]timed) {
		for _, k := range unionKeys(a, b) {
			r, m := a[k], b[k]
			if len(m) > len(r) && equalValues(r, m[:len(r)]) && allAfter(m[len(r):], tail) {
				continue
			}
			if !equalValues(r, m) {
				add(rule, "%s %s: run %s, model %s", noun, k, list(values(r)), list(values(m)))
			}
		}
	}
	sameCounts := func(rule, noun string, a, b map[string][]timed) {
		for _, k := range unionKeys(a, b) {
			r, m := a[k], b[k]
			if len(m) > len(r) && allAfter(m[len(r):], tail) {
				continue
			}
			if len(r) != len(m) {
				add(rule, "%s %s: run %d, model %d", noun, k, len(r), len(m))
			}
		}
	}
	svcKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, r.Service) }
	state := func(r spec.Record) string { return r.State }
	one := func(r spec.Record) string { return "1" }
	unitKey := func(r spec.Record) string { return string(r.Unit) }
	ctrKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s", r.Unit, r.Container) }
	chkKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, r.Check) }
	eventName := func(r spec.Record) string {
		if r.Key != "" {
			return r.Message + "(" + r.Key + ")"
		}
		return r.Message
	}
	sameSeqs("service states", "service", sequences(run, spec.RecService, svcKey, state, true), sequences(model, spec.RecService, svcKey, state, true))
	sameCounts("service starts", "service", sequences(run, spec.RecStart, svcKey, one, false), sequences(model, spec.RecStart, svcKey, one, false))
	if bySource {
		byUnitSource := func(r spec.Record) string {
			if fromPoll(r.Message) || fromNotice(r.Message) {
				return string(r.Unit) + " (its workloads' events)"
			}
			return string(r.Unit) + " (its other events)"
		}
		sameSeqs("events", "unit", sequences(run, spec.RecEvent, byUnitSource, eventName, false), sequences(model, spec.RecEvent, byUnitSource, eventName, false))
	} else {
		runEvents := sequences(run, spec.RecEvent, unitKey, eventName, false)
		for k, evs := range runEvents {
			runEvents[k] = inModelOrder(evs, sequences(model, spec.RecEvent, unitKey, eventName, false)[k], run.Header.Profile.Allowance)
		}
		sameSeqs("events", "unit", runEvents, sequences(model, spec.RecEvent, unitKey, eventName, false))
	}
	played := playedBy(run)
	if !played[spec.RecRestart] {
		sameCounts("container restarts", "container", sequences(run, spec.RecRestart, ctrKey, one, false), sequences(model, spec.RecRestart, ctrKey, one, false))
	}
	sameSeqs("check states", "check", sequences(run, spec.RecCheck, chkKey, state, true), sequences(model, spec.RecCheck, chkKey, state, true))
	if !played[spec.RecPod] {
		sameSeqs("pod phases", "unit", podPhases(run), podPhases(model))
	}
	answer := func(r spec.Record) string { return r.Message + " -> " + r.State }
	sameSeqs("answers", "container", sequences(run, spec.RecAnswer, ctrKey, answer, false), sequences(model, spec.RecAnswer, ctrKey, answer, false))
	compareBackoffs(run, model, tail, add)
	compareFiles(run, model, add)
	return out
}

// inModelOrder puts two adjacent events of a run in the model's order
// when nothing decides their order: one comes from the agent's boot-id
// poll (pebble-ready), the other from a workload's notices (custom
// notices, check-failed, check-recovered), and they came within the
// allowance of each other. Juju's uniter derives them from the same two
// independent sources, so a real unit sees them in either order; any
// other difference of order stays a disagreement.
func inModelOrder(run, model []timed, allow time.Duration) []timed {
	out := append([]timed(nil), run...)
	for i := 0; i+1 < len(out) && i+1 < len(model); i++ {
		a, b := out[i], out[i+1]
		if a.v == model[i].v || b.v != model[i].v || a.v != model[i+1].v {
			continue
		}
		independent := (fromPoll(a.v) && fromNotice(b.v)) || (fromNotice(a.v) && fromPoll(b.v))
		if independent && b.at-a.at <= allow {
			out[i], out[i+1] = b, a
		}
	}
	return out
}

// fromPoll says whether an event comes from the boot-id poll (as against
// a notice or the charm's life cycle).
func fromPoll(event string) bool { return strings.HasSuffix(event, "-pebble-ready") }

// fromNotice says whether an event comes from a workload's notices.
func fromNotice(event string) bool {
	return strings.Contains(event, "-pebble-custom-notice") || strings.Contains(event, "-pebble-check-")
}

func playedBy(run *spec.Trace) map[string]bool {
	played := map[string]bool{}
	for _, t := range run.Header.Played {
		played[t] = true
	}
	return played
}

// Uncounted says what of a run the comparison cannot count as the
// platform agreeing with the model: what tandem played itself, and what
// Replay takes from the run.
func Uncounted(run *spec.Trace) []string {
	played := playedBy(run)
	var out []string
	if played[spec.RecRestart] {
		out = append(out, "container restarts (tandem restarts containers here, by the model's own timing profile)")
	}
	if played[spec.RecPod] {
		out = append(out, "pod phases (tandem makes the pods here)")
	}
	out = append(out, "when each pod started and where it was placed (the model takes both from the run)")
	if tookTime(run) {
		out = append(out, "how long each hook of your charm ran, its waits on Pebble included (the model takes it from the run)")
	}
	if len(ObservedCheckFailures(run)) > 0 {
		out = append(out, "when a check's ticks fall (the model takes the phase from Pebble's log of a failure, and keeps Pebble's period)")
	}
	return out
}

// timed is one value of a sequence, with when it was observed.
type timed struct {
	at time.Duration
	v  string
}

// sequences collects, per key, the values of one record type in order;
// collapse drops a value equal to the one before.
func sequences(t *spec.Trace, typ string, key, val func(spec.Record) string, collapse bool) map[string][]timed {
	m := map[string][]timed{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation || r.Type != typ {
			continue
		}
		k, v := key(r), val(r)
		if collapse && len(m[k]) > 0 && m[k][len(m[k])-1].v == v {
			continue
		}
		m[k] = append(m[k], timed{r.At, v})
	}
	return m
}

// podPhases is each unit's pod phases; readiness is the prober's timing,
// which scenarios check themselves.
func podPhases(t *spec.Trace) map[string][]timed {
	all := sequences(t, spec.RecPod, func(r spec.Record) string { return string(r.Unit) }, func(r spec.Record) string { return r.State }, true)
	for k, v := range all {
		var keep []timed
		for _, s := range v {
			if s.v != "ready" && s.v != "not-ready" && (len(keep) == 0 || keep[len(keep)-1].v != s.v) {
				keep = append(keep, s)
			}
		}
		all[k] = keep
	}
	return all
}

func equalValues(a, b []timed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].v != b[i].v {
			return false
		}
	}
	return true
}

func allAfter(ts []timed, t time.Duration) bool {
	for _, x := range ts {
		if x.at <= t {
			return false
		}
	}
	return true
}

func values(ts []timed) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.v
	}
	return out
}

// backoffRE reads Pebble's own back-off line (servstate doBackoff).
var backoffRE = regexp.MustCompile(`^Service "([^"]+)" \S+ action is "[^"]+", waiting ~(\S+) before restart \(backoff (\d+)\)$`)

type backoff struct {
	key   string
	at    time.Duration
	delay time.Duration
	num   int
	next  time.Duration // the next start of the service, or -1
}

// cancelRE is Pebble's line for a back-off cut short by a stop.
var cancelRE = regexp.MustCompile(`^Service "([^"]+)" stopped while waiting for backoff$`)

// backoffsOf finds each back-off and the start that ended it. A back-off
// cut short (the service stopped, started or replanned, the container or
// pod gone) has none.
func backoffsOf(t *spec.Trace) map[string][]backoff {
	out := map[string][]backoff{}
	open := map[string]int{} // key -> index of its back-off awaiting a start, or -1
	cancel := func(match func(k string) bool) {
		for k, i := range open {
			if i >= 0 && match(k) {
				open[k] = -1
			}
		}
	}
	for _, r := range t.Records {
		unitCtr := fmt.Sprintf("%s/%s/", r.Unit, r.Container)
		if r.Kind == spec.KindAction {
			// A start, restart or replan during a back-off ends it early:
			// the start that follows is the action's, not the back-off's.
			if r.Type == spec.RecPebble && r.Action != nil {
				switch r.Action.Kind {
				case spec.ActReplan:
					cancel(func(k string) bool { return strings.HasPrefix(k, unitCtr) })
				case spec.ActStart, spec.ActRestart:
					cancel(func(k string) bool { return slices.Contains(r.Action.Services, strings.TrimPrefix(k, unitCtr)) })
				}
			}
			continue
		}
		switch r.Type {
		case spec.RecStart:
			k := unitCtr + r.Service
			if i, ok := open[k]; ok && i >= 0 {
				out[k][i].next = r.At
			}
			open[k] = -1
		case spec.RecRestart:
			cancel(func(k string) bool { return strings.HasPrefix(k, unitCtr) })
		case spec.RecPod:
			prefix := string(r.Unit) + "/"
			cancel(func(k string) bool { return strings.HasPrefix(k, prefix) })
		case spec.RecLog:
			if m := cancelRE.FindStringSubmatch(r.Message); m != nil {
				cancel(func(k string) bool { return k == unitCtr+m[1] })
				continue
			}
			m := backoffRE.FindStringSubmatch(r.Message)
			if m == nil {
				continue
			}
			d, err := time.ParseDuration(m[2])
			if err != nil {
				continue
			}
			n, _ := strconv.Atoi(m[3])
			k := unitCtr + m[1]
			out[k] = append(out[k], backoff{key: k, at: r.At, delay: d, num: n, next: -1})
			open[k] = len(out[k]) - 1
		}
	}
	return out
}

func compareBackoffs(run, model *spec.Trace, tail time.Duration, add func(string, string, ...any)) {
	allow := run.Header.Profile.Allowance
	rb, mb := backoffsOf(run), backoffsOf(model)
	for _, k := range unionKeys(rb, mb) {
		r, m := rb[k], mb[k]
		extraAtEnd := len(m) > len(r)
		for _, b := range m[min(len(r), len(m)):] {
			extraAtEnd = extraAtEnd && b.at > tail
		}
		if len(r) != len(m) && !extraAtEnd {
			add("back-off", "service %s: run backed off %d times, model %d", k, len(r), len(m))
		}
		for i := 0; i < len(r) && i < len(m); i++ {
			if r[i].delay != m[i].delay || r[i].num != m[i].num {
				add("back-off", "service %s back-off %d: run waits ~%s (backoff %d), model ~%s (backoff %d)", k, i+1, r[i].delay, r[i].num, m[i].delay, m[i].num)
			}
		}
		for i, b := range r {
			if b.next < 0 {
				continue // cut short, or the run ended inside it
			}
			got := b.next - b.at
			lo, hi := b.delay, b.delay+b.delay/10+allow
			if got < lo || got >= hi {
				add("restart interval", "service %s back-off %d: restarted after %s, want [%s, %s)", k, i+1, got, lo, hi)
			}
		}
		// The model keeps its own back-offs too, with no allowance: a start
		// it is a step ahead with at the end of a run is still its own
		// back-off's, and an early one is a fault of the model, not
		// agreement (the end-of-run allowance used to hide it).
		for i, b := range m {
			if b.next < 0 {
				continue
			}
			got := b.next - b.at
			if got < b.delay || got > b.delay+b.delay/10 {
				add("restart interval", "service %s back-off %d: the model restarted after %s, want [%s, %s]", k, i+1, got, b.delay, b.delay+b.delay/10)
			}
		}
	}
}

func compareFiles(run, model *spec.Trace, add func(string, string, ...any)) {
	files := func(t *spec.Trace) map[string][]spec.FileState {
		out := map[string][]spec.FileState{}
		for _, r := range t.Records {
			if r.Kind == spec.KindObservation && r.Type == spec.RecFile && r.File != nil {
				k := fmt.Sprintf("%s/%s:%s", r.Unit, r.Container, r.Path)
				out[k] = append(out[k], *r.File)
			}
		}
		return out
	}
	rf, mf := files(run), files(model)
	keys := map[string]bool{}
	for k := range rf {
		keys[k] = true
	}
	for k := range mf {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		r, m := rf[k], mf[k]
		if len(r) != len(m) {
			add("files", "%s: run read it %d times, model %d", k, len(r), len(m))
			continue
		}
		for i := range r {
			if r[i] != m[i] {
				add("files", "%s: run saw %s, model %s", k, fileString(r[i]), fileString(m[i]))
			}
		}
	}
}

func fileString(f spec.FileState) string {
	if f.Error != "" {
		return "error " + f.Error
	}
	return fmt.Sprintf("mode %s owner %s:%s content %q", f.Mode, f.User, f.Group, f.Content)
}

func list(v []string) string {
	if len(v) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(v, " ") + "]"
}

func unionKeys[V any](a, b map[string][]V) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return sortedKeys(keys)
}

// Describe renders one record in a line.
func Describe(r spec.Record) string {
	where := string(r.Unit)
	if r.Container != "" {
		where += "/" + r.Container
	}
	switch r.Type {
	case spec.RecService:
		return fmt.Sprintf("%s %s %s", where, r.Service, r.State)
	case spec.RecStart:
		return fmt.Sprintf("%s %s started", where, r.Service)
	case spec.RecLog:
		return fmt.Sprintf("%s: %s", where, r.Message)
	case spec.RecEvent:
		// Its key and state too: the event sequences compare both.
		ev := r.Message
		if r.Key != "" {
			ev += "(" + r.Key + ")"
		}
		if r.State != "" {
			ev += " [" + r.State + "]"
		}
		return fmt.Sprintf("%s event %s", where, ev)
	case spec.RecRestart:
		return fmt.Sprintf("%s restarted (%d)", where, r.Count)
	case spec.RecCheck:
		return fmt.Sprintf("%s check %s %s", where, r.Check, r.State)
	case spec.RecPod:
		return fmt.Sprintf("%s pod %s", where, r.State)
	case spec.RecPlacement:
		return fmt.Sprintf("%s on %s", where, r.Node)
	case spec.RecFile:
		return fmt.Sprintf("%s %s: %s", where, r.Path, fileString(*r.File))
	case spec.RecPebble:
		return fmt.Sprintf("%s %s (%s)", where, r.Action, r.Source)
	}
	return fmt.Sprintf("%s %s %s", where, r.Type, r.Message)
}

// Lateness is one back-off restart, measured: its nominal delay X (the
// one Pebble's log line names) and how long after the log line the
// service started again.
type Lateness struct {
	Delay, After time.Duration
}

// Beyond is how far the restart came after X plus Pebble's own jitter
// (up to 10% of X): what the profile's allowance must cover.
func (l Lateness) Beyond() time.Duration { return l.After - l.Delay - l.Delay/10 }

// RestartLateness measures every back-off restart in a trace: what the
// comparison's [X, 1.1·X) + allowance bound must hold.
func RestartLateness(t *spec.Trace) []Lateness {
	var out []Lateness
	for _, bs := range backoffsOf(t) {
		for _, b := range bs {
			if b.next >= 0 {
				out = append(out, Lateness{Delay: b.delay, After: b.next - b.at})
			}
		}
	}
	return out
}

// tookTime says whether the run timed a charm of your own's hooks.
func tookTime(run *spec.Trace) bool {
	for _, r := range run.Records {
		if r.Type == spec.RecEvent && r.Took > 0 {
			return true
		}
	}
	return false
}
