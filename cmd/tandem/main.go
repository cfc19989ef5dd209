// Command tandem runs Gherkin scenarios about Juju sidecar charms on a
// substrate (the model, real Pebble, Docker or a kind cluster) and checks
// every real run against the reference model.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `tandem tests and simulates Juju sidecar charms.

Usage:
  tandem run [flags] [PATH...]   run feature files (default: features/)
  tandem check [flags] CHARM     check a charm's duties in the sidecar pattern, with nothing to write
  tandem steps [--markdown]      list every step phrase with an example
  tandem compare TRACE [OTHER]   replay a kept trace into the model and compare; with
                                 OTHER, compare two runs of one scenario (sim's and local's)
  tandem inject [--units N] [--image NAME=REF] --charm PATH | SPEC
                                 the Service, StatefulSet and pod Juju makes of a charm
  tandem images build            build tandem's images (none is pulled)
  tandem images push --registry R
                                 push them to where a --kubeconfig cluster pulls from
  tandem node-image build        build kind's node image here, offline (cached)
  tandem cluster up|down|status  a kind cluster for the kind substrate
  tandem doctor                  what each substrate needs on this machine
  tandem clean [--kubeconfig F]  remove what killed runs left behind
  tandem help                    this text

Run "tandem run --help" for run's flags, "tandem check --help" for check's.
`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes: 0 every scenario that ran passed; 1 one failed, or none
// ran; 2 bad usage or a malformed file.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "check":
		return checkCommand(args[1:], stdout, stderr)
	case "steps":
		return stepsCommand(args[1:], stdout, stderr)
	case "compare":
		return compareCommand(args[1:], stdout, stderr)
	case "inject":
		return injectCommand(args[1:], stdout, stderr)
	case "images":
		return imagesCommand(args[1:], stdout, stderr)
	case "node-image":
		return nodeImageCommand(args[1:], stdout, stderr)
	case "cluster":
		return clusterCommand(args[1:], stdout, stderr)
	case "doctor":
		return doctorCommand(args[1:], stdout, stderr)
	case "clean":
		return cleanCommand(args[1:], stdout, stderr)
	case hogCommand:
		return hog(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "tandem: unknown command %q: want run, check, steps, compare, inject, images, node-image, cluster, doctor or clean (tandem help)\n", args[0])
	return exitUsage
}
