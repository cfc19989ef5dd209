package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/tandem-harness/tandem/conformance"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
)

// injectCommand prints the StatefulSet and Service Juju would make of a
// charm spec file (YAML or JSON of spec.CharmSpec).
func injectCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	units := fs.Int("units", 1, "how many units")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tandem inject: want one charm spec file: tandem inject fixtures/snappass/charm.yaml")
		return exitUsage
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "tandem inject: cannot read %s: %v\n", path, err)
		return exitUsage
	}
	var cs spec.CharmSpec
	if err := yaml.UnmarshalStrict(data, &cs); err != nil {
		fmt.Fprintf(stderr, "tandem inject: %s: %v\n", path, err)
		return exitUsage
	}
	if err := conformance.CheckSpec(&cs); err != nil {
		fmt.Fprintf(stderr, "tandem inject: %s: %v\n", path, err)
		return exitUsage
	}
	imgs := sidecar.Images{Init: "tandem/pebble-init", Charm: "tandem/charm", Workload: "tandem/workload"}
	for _, obj := range []any{sidecar.Service(&cs, nil), sidecar.StatefulSet(&cs, *units, imgs, "", nil)} {
		out, err := yaml.Marshal(obj)
		if err != nil {
			fmt.Fprintln(stderr, "tandem inject:", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "---\n%s", out)
	}
	return exitOK
}

// imagesCommand builds tandem's images (tandem images build).
func imagesCommand(args []string, stdout, stderr io.Writer) int {
	const want = "tandem images: want: tandem images build, or tandem images push --registry HOST[:PORT][/PATH]"
	if len(args) == 0 || (args[0] != "build" && args[0] != "push") {
		fmt.Fprintln(stderr, want)
		return exitUsage
	}
	var registry images.Registry
	if args[0] == "push" {
		fs := flag.NewFlagSet("tandem images push", flag.ContinueOnError)
		fs.SetOutput(stderr)
		name := fs.String("registry", "", "the registry a cluster's nodes pull from, as docker push names it (MicroK8s' add-on: localhost:32000)")
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if *name == "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, want)
			return exitUsage
		}
		r, err := images.ParseRegistry(*name)
		if err != nil {
			fmt.Fprintln(stderr, "tandem images push: --registry:", err)
			return exitUsage
		}
		registry = r
	} else if len(args) > 1 {
		fmt.Fprintln(stderr, want)
		return exitUsage
	}
	ctx, stop := interruptible()
	defer stop()
	set, err := images.Build(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "tandem images "+args[0]+":", err)
		return exitFailed
	}
	tags := set.All()
	if registry != "" {
		// Scenario images built from these (files a scenario puts in an
		// image) are pushed by the run that builds them.
		if tags, err = registry.Push(ctx, tags); err != nil {
			fmt.Fprintln(stderr, "tandem images push:", err)
			return exitFailed
		}
	}
	for _, tag := range tags {
		fmt.Fprintln(stdout, tag)
	}
	return exitOK
}
