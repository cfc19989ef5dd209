package main

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/conformance"
	"github.com/tandem-harness/tandem/steps"
)

// The HTML report (--format html:FILE) is one file that opens offline:
// no script, no font or style from elsewhere. Failures come first, open;
// each scenario shows its error, the run's timeline and the model's as
// one picture, and, for a failure, what each hook printed and what the
// containers logged, each a click away.

// maxKeptOutput bounds what the report quotes of one output file.
const maxKeptOutput = 64 << 10

// writeHTML writes the results as the HTML report to path.
func writeHTML(path, substrateName string, all []steps.Result) error {
	if err := os.WriteFile(path, []byte(htmlReport(substrateName, all)), 0o644); err != nil {
		return fmt.Errorf("cannot write the HTML report: %w", err)
	}
	return nil
}

// statusRank orders the report: failures first.
var statusRank = map[string]int{"failed": 0, "passed": 1, "skipped": 2}

func htmlReport(substrateName string, all []steps.Result) string {
	results := append([]steps.Result(nil), all...)
	sort.SliceStable(results, func(i, j int) bool {
		if a, b := statusRank[results[i].Status], statusRank[results[j].Status]; a != b {
			return a < b
		}
		if results[i].URI != results[j].URI {
			return results[i].URI < results[j].URI
		}
		return lessIDs(results[i].ID, results[j].ID)
	})
	count := map[string]int{}
	for _, r := range results {
		count[r.Status]++
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>tandem report</title><style>` + reportCSS + `</style></head><body>`)
	fmt.Fprintf(&b, `<h1>tandem on %s</h1><p class="tally"><span class="failed">%d failed</span> <span class="passed">%d passed</span> <span class="skipped">%d skipped</span></p>`,
		html.EscapeString(substrateName), count["failed"], count["passed"], count["skipped"])
	b.WriteString(`<p class="legend">Bars are states (` + legend() + `); ticks are events, process starts and restarts: hover for their names and times.</p>`)
	for _, r := range results {
		writeScenario(&b, substrateName, r)
	}
	b.WriteString(`</body></html>`)
	return b.String()
}

func legend() string {
	var parts []string
	for _, s := range []string{"active", "backoff", "error", "inactive", "up", "down", "Running"} {
		parts = append(parts, fmt.Sprintf(`<span class="swatch" style="background:%s"></span>%s`, stateColours[s], s))
	}
	return strings.Join(parts, " ")
}

// writeScenario writes one scenario: open if it failed.
func writeScenario(b *strings.Builder, substrateName string, r steps.Result) {
	open := ""
	if r.Status == "failed" {
		open = " open"
	}
	fmt.Fprintf(b, `<details class="scenario %s"%s><summary><span class="status">%s</span> %s <span class="where">%s · %s</span></summary>`,
		r.Status, open, r.Status, html.EscapeString(r.Name), html.EscapeString(r.URI), r.Duration.Round(time.Millisecond))
	switch {
	case r.Status == "skipped":
		fmt.Fprintf(b, `<p>%s</p>`, html.EscapeString(r.Reason))
	case r.Err != nil:
		fmt.Fprintf(b, `<pre class="error">%s</pre>`, html.EscapeString(r.Err.Error()))
	}
	if r.Recorded != nil {
		b.WriteString(`<div class="timeline">` + timelinePicture(substrateName, r) + `</div>`)
	}
	if r.Status == "failed" {
		writeOutputs(b, r)
	}
	if r.Trace != "" {
		fmt.Fprintf(b, `<p class="where">trace: %s</p>`, html.EscapeString(r.Trace))
	}
	b.WriteString(`</details>`)
}

// timelinePicture draws the run's timeline and, on a real substrate, the
// model's prediction for it, on one time axis.
func timelinePicture(substrateName string, r steps.Result) string {
	run := r.Recorded
	end := run.End()
	panels := []string{"the run (" + substrateName + ")"}
	if substrateName == "sim" {
		panels[0] = "the model (sim)"
	}
	traces := [][]lane{nil}
	var model []lane
	if substrateName != "sim" {
		if predicted, err := conformance.Predict(run); err == nil {
			end = max(end, predicted.End())
			model = lanesOf(predicted, end)
			panels = append(panels, "the model's prediction")
		}
	}
	traces[0] = lanesOf(run, end)
	if model != nil {
		traces = append(traces, model)
	}
	return timelineSVG(panels, traces, end)
}

// writeOutputs quotes what a failed scenario's hooks printed and its
// containers logged, from the files kept beside its trace.
func writeOutputs(b *strings.Builder, r steps.Result) {
	if r.Logs == "" {
		return
	}
	var files []string
	filepath.WalkDir(r.Logs, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		return
	}
	b.WriteString(`<div class="outputs"><p>What each hook printed and each container logged:</p>`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || len(data) == 0 {
			continue
		}
		cut := ""
		if len(data) > maxKeptOutput {
			data, cut = data[len(data)-maxKeptOutput:], fmt.Sprintf(" (its last %d KB)", maxKeptOutput>>10)
		}
		rel, _ := filepath.Rel(r.Logs, f)
		fmt.Fprintf(b, `<details class="output"><summary>%s%s</summary><pre>%s</pre></details>`, html.EscapeString(rel), cut, html.EscapeString(string(data)))
	}
	b.WriteString(`</div>`)
}

const reportCSS = `body{font-family:sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}
.tally span{margin-right:1em;font-weight:bold}
.failed .status,.tally .failed{color:#c62828}
.passed .status,.tally .passed{color:#2e7d32}
.skipped .status,.tally .skipped{color:#777}
.scenario{border:1px solid #ddd;border-radius:4px;margin:.5em 0;padding:.3em .6em}
.scenario.failed{border-color:#e57373}
.scenario summary{cursor:pointer}
.status{font-weight:bold;text-transform:uppercase;font-size:.85em;margin-right:.4em}
.where{color:#777;font-size:.85em}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:12px;white-space:pre-wrap}
pre.error{background:#fdecea}
.timeline{overflow-x:auto;margin:.5em 0}
.swatch{display:inline-block;width:.9em;height:.9em;margin:0 .2em 0 .6em;vertical-align:middle}
.output summary{font-family:monospace;font-size:12px}`
