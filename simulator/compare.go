package simulator

import (
	"fmt"
	"regexp"
	"sort"
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
//   - each file read: the same content, mode and owner.
//
// It returns nothing when they agree.
func Compare(run, model *spec.Trace) []Disagreement {
	var out []Disagreement
	add := func(rule, format string, args ...any) {
		out = append(out, Disagreement{Rule: rule, What: fmt.Sprintf(format, args...)})
	}
	seq := func(t *spec.Trace, typ string, key func(spec.Record) string, val func(spec.Record) string, collapse bool) map[string][]string {
		m := map[string][]string{}
		for _, r := range t.Records {
			if r.Kind != spec.KindObservation || r.Type != typ {
				continue
			}
			k, v := key(r), val(r)
			if collapse && len(m[k]) > 0 && m[k][len(m[k])-1] == v {
				continue
			}
			m[k] = append(m[k], v)
		}
		return m
	}
	sameSeqs := func(rule, noun string, a, b map[string][]string) {
		for _, k := range unionKeys(a, b) {
			if strings.Join(a[k], ",") != strings.Join(b[k], ",") {
				add(rule, "%s %s: run %s, model %s", noun, k, list(a[k]), list(b[k]))
			}
		}
	}
	svcKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, r.Service) }
	state := func(r spec.Record) string { return r.State }
	sameSeqs("service states", "service", seq(run, spec.RecService, svcKey, state, true), seq(model, spec.RecService, svcKey, state, true))
	count := func(r spec.Record) string { return "start" }
	sameCounts("service starts", "service", seq(run, spec.RecStart, svcKey, count, false), seq(model, spec.RecStart, svcKey, count, false), add)
	unitKey := func(r spec.Record) string { return string(r.Unit) }
	eventName := func(r spec.Record) string {
		if r.Key != "" {
			return r.Message + "(" + r.Key + ")"
		}
		return r.Message
	}
	sameSeqs("events", "unit", seq(run, spec.RecEvent, unitKey, eventName, false), seq(model, spec.RecEvent, unitKey, eventName, false))
	ctrKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s", r.Unit, r.Container) }
	sameCounts("container restarts", "container", seq(run, spec.RecRestart, ctrKey, count, false), seq(model, spec.RecRestart, ctrKey, count, false), add)
	chkKey := func(r spec.Record) string { return fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, r.Check) }
	sameSeqs("check states", "check", seq(run, spec.RecCheck, chkKey, state, true), seq(model, spec.RecCheck, chkKey, state, true))
	phase := func(r spec.Record) string { return r.State }
	podPhases := func(t *spec.Trace) map[string][]string {
		all := seq(t, spec.RecPod, unitKey, phase, true)
		for k, v := range all {
			var keep []string
			for _, s := range v {
				if s != "ready" && s != "not-ready" { // readiness timing is the prober's, compared by scenarios
					if len(keep) == 0 || keep[len(keep)-1] != s {
						keep = append(keep, s)
					}
				}
			}
			all[k] = keep
		}
		return all
	}
	sameSeqs("pod phases", "unit", podPhases(run), podPhases(model))
	compareBackoffs(run, model, add)
	compareFiles(run, model, add)
	return out
}

func sameCounts(rule, noun string, a, b map[string][]string, add func(string, string, ...any)) {
	for _, k := range unionKeys(a, b) {
		if len(a[k]) != len(b[k]) {
			add(rule, "%s %s: run %d, model %d", noun, k, len(a[k]), len(b[k]))
		}
	}
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

func backoffsOf(t *spec.Trace) map[string][]backoff {
	out := map[string][]backoff{}
	starts := map[string][]time.Duration{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation {
			continue
		}
		switch r.Type {
		case spec.RecStart:
			k := fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, r.Service)
			starts[k] = append(starts[k], r.At)
		case spec.RecLog:
			m := backoffRE.FindStringSubmatch(r.Message)
			if m == nil {
				continue
			}
			d, err := time.ParseDuration(m[2])
			if err != nil {
				continue
			}
			n, _ := strconv.Atoi(m[3])
			k := fmt.Sprintf("%s/%s/%s", r.Unit, r.Container, m[1])
			out[k] = append(out[k], backoff{key: k, at: r.At, delay: d, num: n, next: -1})
		}
	}
	for k, bs := range out {
		for i := range bs {
			for _, s := range starts[k] {
				if s >= bs[i].at {
					bs[i].next = s
					break
				}
			}
		}
	}
	return out
}

func compareBackoffs(run, model *spec.Trace, add func(string, string, ...any)) {
	allow := run.Header.Profile.Allowance
	rb, mb := backoffsOf(run), backoffsOf(model)
	for _, k := range unionKeysB(rb, mb) {
		r, m := rb[k], mb[k]
		if len(r) != len(m) {
			add("back-off", "service %s: run backed off %d times, model %d", k, len(r), len(m))
		}
		for i := 0; i < len(r) && i < len(m); i++ {
			if r[i].delay != m[i].delay || r[i].num != m[i].num {
				add("back-off", "service %s back-off %d: run waits ~%s (backoff %d), model ~%s (backoff %d)", k, i+1, r[i].delay, r[i].num, m[i].delay, m[i].num)
			}
		}
		for i, b := range r {
			if b.next < 0 {
				continue // the run ended inside this back-off
			}
			got := b.next - b.at
			lo, hi := b.delay, b.delay+b.delay/10+allow
			if got < lo || got >= hi {
				add("restart interval", "service %s back-off %d: restarted after %s, want [%s, %s)", k, i+1, got, lo, hi)
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

func unionKeys(a, b map[string][]string) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return sortedKeys(keys)
}

func unionKeysB(a, b map[string][]backoff) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return sortedKeys(keys)
}

// SideBySide renders two traces' observations as two timelines, the run on
// the left and the model on the right, for a disagreement's report.
func SideBySide(run, model *spec.Trace) string {
	type line struct {
		at   time.Duration
		side int
		text string
	}
	var lines []line
	for side, t := range []*spec.Trace{run, model} {
		for _, r := range t.Records {
			if r.Kind != spec.KindObservation {
				continue
			}
			lines = append(lines, line{r.At, side, Describe(r)})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at < lines[j].at })
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %-58s | %s\n", "at", "run ("+run.Header.Substrate+")", "model")
	for _, l := range lines {
		left, right := "", ""
		if l.side == 0 {
			left = l.text
		} else {
			right = l.text
		}
		fmt.Fprintf(&b, "%-10s %-58.58s | %s\n", l.at.Round(time.Millisecond), left, right)
	}
	return b.String()
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
		return fmt.Sprintf("%s %s started (#%d)", where, r.Service, r.Count)
	case spec.RecLog:
		return fmt.Sprintf("%s: %s", where, r.Message)
	case spec.RecEvent:
		return fmt.Sprintf("%s event %s", where, r.Message)
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
