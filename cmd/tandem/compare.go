package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// compareCommand replays a kept trace into the model and prints where
// they disagree, with both timelines; --timelines prints them anyway.
func compareCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timelines := fs.Bool("timelines", false, "print both timelines even when they agree")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tandem compare: want one trace file: tandem compare tandem-artifacts/x.trace.jsonl")
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
	return exitOK
}
