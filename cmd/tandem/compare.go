package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// compareCommand replays a kept trace into the model and prints where
// they disagree, with both timelines; --timelines prints them anyway.
func compareCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timelines := fs.Bool("timelines", false, "print both timelines even when they agree")
	lateness := fs.Bool("lateness", false, "measure, over every trace given, how late each back-off restart came after its nominal delay")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *lateness {
		return latenessCommand(fs.Args(), stdout, stderr)
	}
	if fs.NArg() == 2 {
		return compareRuns(fs.Arg(0), fs.Arg(1), *timelines, stdout, stderr)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tandem compare: want one trace file, or two of one scenario: tandem compare tandem-artifacts/x.trace.jsonl [OTHER.trace.jsonl]")
		return exitUsage
	}
	run, err := spec.ReadTraceFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "tandem compare:", err)
		return exitUsage
	}
	model, err := simulator.Replay(run)
	if err != nil {
		fmt.Fprintln(stderr, "tandem compare:", err)
		return exitFailed
	}
	diffs := simulator.Compare(run, model)
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) > 0 || *timelines {
		fmt.Fprint(stdout, simulator.SideBySide(run, model))
	}
	if len(diffs) > 0 {
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s agrees with the model (%d records)\n", fs.Arg(0), len(run.Records))
	fmt.Fprintf(stdout, "not counted as agreement: %s\n", strings.Join(simulator.Uncounted(run), "; "))
	return exitOK
}

// compareRuns compares two runs of one scenario (on sim and on local,
// say) as a run is compared with the model, the second in the model's
// place, its profile's allowances the first's, but for the order of a
// unit's events across independent sources (simulator.CompareRuns).
func compareRuns(pathA, pathB string, timelines bool, stdout, stderr io.Writer) int {
	var runs [2]*spec.Trace
	for i, p := range []string{pathA, pathB} {
		t, err := spec.ReadTraceFile(p)
		if err != nil {
			fmt.Fprintln(stderr, "tandem compare:", err)
			return exitUsage
		}
		runs[i] = t
	}
	a, b := runs[0], runs[1]
	if a.Header.Scenario != b.Header.Scenario {
		fmt.Fprintf(stderr, "tandem compare: %s is a run of %q and %s of %q: give two runs of one scenario\n", pathA, a.Header.Scenario, pathB, b.Header.Scenario)
		return exitUsage
	}
	diffs := simulator.CompareRuns(a, b)
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) > 0 || timelines {
		fmt.Fprint(stdout, simulator.SideBySideRuns(a, b))
	}
	if len(diffs) > 0 {
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s's run and %s's run of %q agree\n", a.Header.Substrate, b.Header.Substrate, a.Header.Scenario)
	return exitOK
}

// latenessCommand prints the distribution of back-off restart lateness
// over many traces (a soak's, kept with --artifacts), against the bound
// the comparison allows: the evidence for a profile's allowance.
func latenessCommand(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "tandem compare --lateness: want trace files: tandem compare --lateness soak/run-*/*.trace.jsonl")
		return exitUsage
	}
	var all []time.Duration // beyond X + 10%
	allowance := map[string]time.Duration{}
	for _, f := range files {
		tr, err := spec.ReadTraceFile(f)
		if err != nil {
			fmt.Fprintln(stderr, "tandem compare:", err)
			return exitUsage
		}
		allowance[tr.Header.Substrate] = tr.Header.Profile.Allowance
		for _, l := range simulator.RestartLateness(tr) {
			all = append(all, l.Beyond())
		}
	}
	if len(all) == 0 {
		fmt.Fprintf(stdout, "no back-off restart in %d traces\n", len(files))
		return exitOK
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	fmt.Fprintf(stdout, "%d back-off restarts in %d traces, each after its nominal delay X plus Pebble's jitter (10%% of X) by: median %s, 99th percentile %s, max %s (min %s)\n",
		len(all), len(files), at(0.5), at(0.99), all[len(all)-1], all[0])
	for sub, a := range allowance {
		fmt.Fprintf(stdout, "the %s profile's allowance: %s\n", sub, a)
	}
	return exitOK
}
