package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/tandem-harness/tandem/steps"
)

func stepsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem steps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	markdown := fs.Bool("markdown", false, "print docs/steps.md")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *markdown {
		fmt.Fprint(stdout, steps.Markdown())
		return exitOK
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "tandem steps: give one filter at most (quote a filter with spaces)")
		return exitUsage
	}
	text := steps.Text(fs.Arg(0))
	if text == "" {
		fmt.Fprintf(stderr, "tandem steps: no step says %q (tandem steps lists them all)\n", fs.Arg(0))
		return exitFailed
	}
	fmt.Fprint(stdout, text)
	return exitOK
}
