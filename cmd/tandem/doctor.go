package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/substrate/local"
)

// doctorCommand says, per substrate, whether this machine can run it and
// exactly what to install or change where it cannot.
func doctorCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	ok := true
	fmt.Fprintf(stdout, "%-8s ready: the model needs nothing\n", "sim")
	if missing := local.Requirements(); len(missing) > 0 {
		ok = false
		fmt.Fprintf(stdout, "%-8s NOT READY:\n", "local")
		for _, m := range missing {
			fmt.Fprintf(stdout, "           - %s\n", m)
		}
	} else {
		fmt.Fprintf(stdout, "%-8s ready: bubblewrap, nsenter, root; %s\n", "local", cacheState())
	}
	fmt.Fprintf(stdout, "%-8s not in this version of tandem\n", "docker")
	fmt.Fprintf(stdout, "%-8s not in this version of tandem\n", "kind")
	if left, err := local.Leftovers(); err == nil && len(left) > 0 {
		fmt.Fprintf(stdout, "\n%d killed run(s) left things behind: run tandem clean\n", len(left))
	}
	if !ok {
		return exitFailed
	}
	return exitOK
}

func cacheState() string {
	src, err := binaries.SourceDir()
	if err != nil {
		return "binaries: " + err.Error()
	}
	version, err := binaries.PebbleVersion(src)
	if err != nil {
		return "binaries: " + err.Error()
	}
	if _, err := os.Stat(filepath.Join(binaries.CacheDir(), "bin", "pebble-"+version)); err != nil {
		return fmt.Sprintf("pebble %s not built yet (the first local run builds it into %s)", version, binaries.CacheDir())
	}
	return fmt.Sprintf("pebble %s built in %s", version, binaries.CacheDir())
}

// cleanCommand removes what killed runs left: processes and directories.
func cleanCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem clean", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	left, err := local.Clean()
	for _, lo := range left {
		procs := ""
		if len(lo.Processes) > 0 {
			procs = fmt.Sprintf(" and killed %d process(es)", len(lo.Processes))
		}
		fmt.Fprintf(stdout, "removed %s%s\n", lo.Dir, procs)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tandem clean:", err)
		return exitFailed
	}
	if len(left) == 0 {
		fmt.Fprintln(stdout, "nothing to clean")
	}
	return exitOK
}
