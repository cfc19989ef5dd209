package simulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// A disagreement's report shows the run's timeline and the model's as one
// listing, aligned as a diff aligns two files: an observation both made is
// one row with both times; one only the run made, or only the model, is
// marked so. Every line is whole: the cause of a disagreement is often at
// the end of a long log line.

// timelineLine is one observation, as a report shows it.
type timelineLine struct {
	at   time.Duration
	text string
}

// timeline is a trace's observations, in order, as lines. A charm of your
// own's reads stay in the trace file: the model has none to set beside
// them.
func timeline(t *spec.Trace) []timelineLine {
	var out []timelineLine
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation || r.Type == spec.RecCharmCall {
			continue
		}
		out = append(out, timelineLine{r.At, Describe(r)})
	}
	return out
}

// maxAligned bounds the alignment's table (run lines × model lines); past
// it, the two timelines are merged by time alone.
const maxAligned = 4_000_000

// Row marks of an aligned timeline.
const (
	markBoth  = " "
	markRun   = "<"
	markModel = ">"
)

// SideBySide renders two traces' observations as one aligned timeline,
// for a disagreement's report.
func SideBySide(run, model *spec.Trace) string {
	return sideBySide(run, model, fmt.Sprintf("the run (%s)", run.Header.Substrate), "the model", "run", "model")
}

// SideBySideRuns is two runs' timelines of one scenario side by side (a
// charm of your own on sim and on local, say), the first's column first.
func SideBySideRuns(a, b *spec.Trace) string {
	return sideBySide(a, b, a.Header.Substrate+"'s run", b.Header.Substrate+"'s run", a.Header.Substrate, b.Header.Substrate)
}

func sideBySide(run, model *spec.Trace, runName, modelName, runCol, modelCol string) string {
	a, b := timeline(run), timeline(model)
	var b2 strings.Builder
	fmt.Fprintf(&b2, "%s only in %s, %s only in %s; a line both saw shows both times\n", markRun, runName, markModel, modelName)
	fmt.Fprintf(&b2, "  %-10s %-10s %s\n", runCol, modelCol, "observation")
	row := func(mark string, runAt, modelAt *time.Duration, text string) {
		at := func(d *time.Duration) string {
			if d == nil {
				return ""
			}
			return d.Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b2, "%s %-10s %-10s %s\n", mark, at(runAt), at(modelAt), text)
	}
	for _, p := range align(a, b) {
		switch {
		case p.run >= 0 && p.model >= 0:
			row(markBoth, &a[p.run].at, &b[p.model].at, a[p.run].text)
		case p.run >= 0:
			row(markRun, &a[p.run].at, nil, a[p.run].text)
		default:
			row(markModel, nil, &b[p.model].at, b[p.model].text)
		}
	}
	return b2.String()
}

// pair is one row of an alignment: indexes into the run's lines and the
// model's, -1 where that side has none.
type pair struct{ run, model int }

// align pairs equal lines of the two timelines along their longest common
// subsequence, in order; the rest stand alone, each at its time.
func align(a, b []timelineLine) []pair {
	if len(a)*len(b) > maxAligned {
		return byTime(a, b)
	}
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i].text == b[j].text {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []pair
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i].text == b[j].text:
			out = append(out, pair{i, j})
			i, j = i+1, j+1
		case j == len(b) || (i < len(a) && lcs[i+1][j] > lcs[i][j+1]):
			out = append(out, pair{i, -1})
			i++
		case i == len(a) || lcs[i][j+1] > lcs[i+1][j]:
			out = append(out, pair{-1, j})
			j++
		case a[i].at <= b[j].at: // either may go first: the earlier does
			out = append(out, pair{i, -1})
			i++
		default:
			out = append(out, pair{-1, j})
			j++
		}
	}
	return out
}

// byTime merges the two timelines by time, pairing nothing.
func byTime(a, b []timelineLine) []pair {
	var out []pair
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || (i < len(a) && a[i].at <= b[j].at) {
			out = append(out, pair{i, -1})
			i++
		} else {
			out = append(out, pair{-1, j})
			j++
		}
	}
	return out
}
