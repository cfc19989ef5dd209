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
	} else {
		fmt.Fprint(stdout, steps.Text())
	}
	return exitOK
}
