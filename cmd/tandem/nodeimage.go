package main

import (
	"context"

	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// nodeImageCommand builds kind's node image here, offline.
func nodeImageCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "build" {
		fmt.Fprintln(stderr, "tandem node-image: want build: tandem node-image build")
		return exitUsage
	}
	fs := flag.NewFlagSet("tandem node-image build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	ctx, stop := interruptible()
	defer stop()
	tag, err := nodeimage.Build(ctx, nodeimage.Options{Cache: binaries.CacheDir(), Progress: stderr})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "tandem node-image build: interrupted; the finished steps are kept, and the next build resumes from them")
			return 130
		}
		fmt.Fprintln(stderr, "tandem node-image build:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, tag)
	return exitOK
}

// interruptible is a context cancelled by Ctrl-C or SIGTERM, so a long
// command tears down what it made before it exits.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
