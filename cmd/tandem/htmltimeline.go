package main

import (
	"fmt"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// A scenario's timeline as a picture (SVG): a lane per pod, per unit's
// events, per service and per check, each state a coloured bar over the
// time it held, each event, start or restart a tick whose name shows on
// hover. The report draws the run's and the model's on one time axis.

// lane is one row of a timeline picture.
type lane struct {
	label string
	spans []span
	marks []mark
}

// span is a state held from one instant to the next.
type span struct {
	from, to time.Duration
	state    string
}

// mark is an instant: an event, a process start, a restart.
type mark struct {
	at   time.Duration
	text string
}

// stateColours are the bars' colours; a state not named here is grey.
var stateColours = map[string]string{
	"active": "#2e9e44", "up": "#2e9e44", "Running": "#3b7dd8", "ready": "#3b7dd8",
	"backoff": "#f0a020", "error": "#d33c3c", "down": "#d33c3c", "not-ready": "#a6c3ea",
	"inactive": "#b5b5b5", "Pending": "#d8d8d8", "Terminating": "#8a8a8a", "Deleted": "#8a8a8a",
}

// markColour is the colour of every tick.
const markColour = "#1b2a6b"

// lanesOf reads a trace's observations into lanes, in the order they
// first appear; end closes the last span of each.
func lanesOf(t *spec.Trace, end time.Duration) []lane {
	var order []string
	byKey := map[string]*lane{}
	get := func(key, label string) *lane {
		if l, ok := byKey[key]; ok {
			return l
		}
		order = append(order, key)
		byKey[key] = &lane{label: label}
		return byKey[key]
	}
	setState := func(l *lane, at time.Duration, state string) {
		if n := len(l.spans); n > 0 {
			if l.spans[n-1].state == state {
				return
			}
			l.spans[n-1].to = at
		}
		l.spans = append(l.spans, span{from: at, to: end, state: state})
	}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation {
			continue
		}
		switch r.Type {
		case spec.RecPod:
			state := r.State
			if state == "not ready" {
				state = "not-ready"
			}
			setState(get("pod|"+string(r.Unit), string(r.Unit)+" pod"), r.At, state)
		case spec.RecEvent:
			l := get("events|"+string(r.Unit), string(r.Unit)+" events")
			text := r.Message
			if r.Key != "" {
				text += " (" + r.Key + ")"
			}
			if r.State != "" {
				text += " [" + r.State + "]"
			}
			l.marks = append(l.marks, mark{r.At, text})
		case spec.RecService:
			setState(get("svc|"+string(r.Unit)+"/"+r.Container+"/"+r.Service, fmt.Sprintf("%s/%s %s", r.Unit, r.Container, r.Service)), r.At, r.State)
		case spec.RecStart:
			l := get("svc|"+string(r.Unit)+"/"+r.Container+"/"+r.Service, fmt.Sprintf("%s/%s %s", r.Unit, r.Container, r.Service))
			l.marks = append(l.marks, mark{r.At, r.Service + " started"})
		case spec.RecRestart:
			l := get("ctr|"+string(r.Unit)+"/"+r.Container, fmt.Sprintf("%s/%s container", r.Unit, r.Container))
			l.marks = append(l.marks, mark{r.At, fmt.Sprintf("container restarted (%d)", r.Count)})
		case spec.RecCheck:
			setState(get("chk|"+string(r.Unit)+"/"+r.Container+"/"+r.Check, fmt.Sprintf("%s/%s check %s", r.Unit, r.Container, r.Check)), r.At, r.State)
		}
	}
	out := make([]lane, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out
}

// Geometry of a timeline picture, in pixels.
const (
	pictureWidth = 1100
	labelWidth   = 280
	laneHeight   = 22
	axisHeight   = 24
	titleHeight  = 22
)

// timelineSVG draws named traces' lanes, one panel each, on one time axis
// from 0 to end.
func timelineSVG(panels []string, lanes [][]lane, end time.Duration) string {
	if end <= 0 {
		end = time.Second
	}
	plot := float64(pictureWidth - labelWidth - 10)
	x := func(d time.Duration) float64 { return labelWidth + plot*float64(d)/float64(end) }
	height := axisHeight
	for _, ls := range lanes {
		height += titleHeight + laneHeight*len(ls)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, pictureWidth, height)
	step := axisStep(end)
	for t := time.Duration(0); t <= end; t += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`, x(t), axisHeight-4, x(t), height)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`, x(t), axisHeight-8, t)
	}
	y := axisHeight
	for i, ls := range lanes {
		fmt.Fprintf(&b, `<text x="4" y="%d" font-weight="bold">%s</text>`, y+15, html.EscapeString(panels[i]))
		y += titleHeight
		for _, l := range ls {
			fmt.Fprintf(&b, `<text x="4" y="%d" fill="#222">%s</text>`, y+15, html.EscapeString(l.label))
			for _, s := range l.spans {
				colour, ok := stateColours[s.state]
				if !ok {
					colour = "#cccccc"
				}
				w := max(x(s.to)-x(s.from), 1)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s from %s to %s</title></rect>`,
					x(s.from), y+4, w, laneHeight-8, colour, html.EscapeString(s.state), s.from.Round(time.Millisecond), s.to.Round(time.Millisecond))
			}
			for _, m := range l.marks {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="3" height="%d" fill="%s"><title>%s at %s</title></rect>`,
					x(m.at)-1, y+2, laneHeight-4, markColour, html.EscapeString(m.text), m.at.Round(time.Millisecond))
			}
			y += laneHeight
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// axisStep is a round interval that puts 5 to 12 ticks on the axis.
func axisStep(end time.Duration) time.Duration {
	steps := []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
		2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}
	i := sort.Search(len(steps), func(i int) bool { return end/steps[i] <= 12 })
	if i == len(steps) {
		return end / 10
	}
	return steps[i]
}
