package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/tandem-harness/tandem/conformance"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
)

// injectCommand prints the Service, StatefulSet and first pod Juju would
// make of a charm: a charm of your own (--charm, a directory or a packed
// .charm) from its metadata, or a charm spec file (YAML or JSON of
// spec.CharmSpec).
func injectCommand(args []string, stdout, stderr io.Writer) int {
	const want = "tandem inject: want a charm or one charm spec file: tandem inject --charm fixtures/charms/snappass, or tandem inject fixtures/snappass/charm.yaml"
	fs := flag.NewFlagSet("tandem inject", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one line for bad input; --help prints the flags
	units := fs.Int("units", 1, "how many units")
	charmPath := fs.String("charm", "", "a charm of your own: its directory or packed .charm")
	var overrides map[string]string
	imageFlag(fs, &overrides)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		} else {
			fmt.Fprintf(stderr, "tandem inject: %v (tandem inject --help lists the flags)\n", err)
		}
		return exitUsage
	}
	if *units < 1 {
		fmt.Fprintf(stderr, "tandem inject: --units %d: a StatefulSet of a charm has 1 unit or more: give --units 1 or more\n", *units)
		return exitUsage
	}
	if (*charmPath == "") == (fs.NArg() != 1) || fs.NArg() > 1 {
		fmt.Fprintln(stderr, want)
		return exitUsage
	}
	var cs spec.CharmSpec
	var notes []string
	var err error
	if *charmPath != "" {
		cs, notes, err = injectCharm(*charmPath, overrides)
	} else {
		cs, err = injectSpec(fs.Arg(0), overrides)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tandem inject:", err)
		return exitUsage
	}
	imgs := sidecar.Images{Init: "tandem/pebble-init", Charm: "tandem/charm", Workload: "tandem/workload"}
	if cs.Charm != nil {
		imgs.Charm = images.CharmRepository(cs.App)
	}
	ss := sidecar.StatefulSet(&cs, *units, imgs, "", nil)
	for _, n := range notes {
		fmt.Fprintln(stdout, "#", n)
	}
	for _, obj := range []any{sidecar.Service(&cs, nil), ss, sidecar.Pod(ss, 0)} {
		out, err := yaml.Marshal(obj)
		if err != nil {
			fmt.Fprintln(stderr, "tandem inject:", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "---\n%s", out)
	}
	return exitOK
}

// injectSpec reads a charm spec file; --image names its containers.
func injectSpec(path string, overrides map[string]string) (spec.CharmSpec, error) {
	var cs spec.CharmSpec
	data, err := os.ReadFile(path)
	if err != nil {
		return cs, fmt.Errorf("cannot read %s: %v", path, err)
	}
	if err := yaml.UnmarshalStrict(data, &cs); err != nil {
		return cs, fmt.Errorf("%s: %v", path, err)
	}
	if err := conformance.CheckSpec(&cs); err != nil {
		return cs, fmt.Errorf("%s: %v", path, err)
	}
	for name, ref := range overrides {
		if _, ok := cs.Container(name); !ok {
			return cs, fmt.Errorf("--image %s=%s: %s has no container %q (it has %s)", name, ref, path, name, strings.Join(cs.ContainerNames(), ", "))
		}
	}
	for i := range cs.Containers {
		if ref, ok := overrides[cs.Containers[i].Name]; ok {
			cs.Containers[i].Image = ref
		}
	}
	return cs, nil
}

// injectCharm reads a charm of your own's metadata. Each workload runs
// the image --image names (by container or by resource), else its
// resource's upstream-source, as Juju deploys it, else tandem's workload
// image; the notes say which and why, for the output's head.
func injectCharm(path string, overrides map[string]string) (spec.CharmSpec, []string, error) {
	c, err := charms.Open(path)
	if err != nil {
		return spec.CharmSpec{}, nil, err
	}
	cs := spec.CharmSpecOf(c)
	if err := c.Meta.CheckImageOverrides(overrides); err != nil {
		return cs, nil, err
	}
	notes := []string{
		fmt.Sprintf("the Service, StatefulSet and pod %s-0 Juju makes for charm %s", cs.App, c.Meta.Name),
		fmt.Sprintf("the charm container runs %s: tandem run --substrate docker builds it, tagged by its content (docker images %s); tag or load it where a cluster pulls from", images.CharmRepository(cs.App), images.CharmRepository(cs.App)),
	}
	for i := range cs.Containers {
		ct := &cs.Containers[i]
		image, why := c.Meta.WorkloadImage(ct.Name, overrides)
		if image == "" {
			notes = append(notes, fmt.Sprintf("%s runs tandem/workload: %s", ct.Name, why))
			continue
		}
		ct.Image = image
		notes = append(notes, fmt.Sprintf("%s runs %s (%s)", ct.Name, image, why))
	}
	return cs, notes, nil
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
