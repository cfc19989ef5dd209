package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/substrate/docker"
	"github.com/tandem-harness/tandem/substrate/kind"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
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
	report := func(name string, missing []string, ready string) {
		if len(missing) == 0 {
			fmt.Fprintf(stdout, "%-8s ready: %s\n", name, ready)
			return
		}
		ok = false
		fmt.Fprintf(stdout, "%-8s NOT READY:\n", name)
		for _, m := range missing {
			fmt.Fprintf(stdout, "           - %s\n", m)
		}
	}
	// The real substrates build their fixtures from tandem's source:
	// without it, none can run, whatever else is there.
	var noSource []string
	if _, err := binaries.SourceDir(); err != nil {
		noSource = []string{err.Error()}
	}
	report("sim", nil, "the model needs nothing")
	report("local", append(local.Requirements(), noSource...), "bubblewrap, nsenter, root; "+cacheState())
	report("docker", append(docker.Requirements(context.Background()), noSource...), "dockerd answers"+capabilityNote())
	report("kind", append(kindRequirements(), noSource...), kindState())
	if left, err := local.Leftovers(); err == nil && len(left) > 0 {
		fmt.Fprintf(stdout, "\n%d killed run(s) left things behind: run tandem clean\n", len(left))
	}
	if !ok {
		return exitFailed
	}
	return exitOK
}

// capabilityNote says what this machine's dockerd needed.
func capabilityNote() string {
	if docker.LacksSysResource() {
		return "; its default runtime strips CAP_SYS_RESOURCE, which this machine's capability bounding set lacks"
	}
	return ""
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
	kubeconfig := fs.String("kubeconfig", "", "also remove killed runs' namespaces from the cluster this kubeconfig names")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	left, err := local.Clean()
	if err == nil {
		// Before Docker's clean: a cluster's nodes go before its network.
		var clusters []string
		clusters, err = cluster.Clean(clustersDir())
		for _, name := range clusters {
			fmt.Fprintf(stdout, "removed kind cluster %q (its tandem is gone and it was not kept)\n", name)
			left = append(left, local.Leftover{})
		}
	}
	if err == nil {
		// Namespaces of killed runs on the clusters that stay.
		var found []cluster.Found
		found, err = cluster.List(clustersDir())
		for _, f := range found {
			if err != nil {
				break
			}
			c, ok := cluster.Get(clustersDir(), f.Name)
			if !ok {
				continue
			}
			var nss []string
			nss, err = kind.Clean(c.Kubeconfig)
			for _, ns := range nss {
				fmt.Fprintf(stdout, "removed namespace %s from kind cluster %q (its tandem is gone)\n", ns, f.Name)
				left = append(left, local.Leftover{})
			}
		}
	}
	if err == nil && *kubeconfig != "" {
		var nss []string
		nss, err = kind.Clean(*kubeconfig)
		for _, ns := range nss {
			fmt.Fprintf(stdout, "removed namespace %s from the cluster of %s (its tandem is gone)\n", ns, *kubeconfig)
			left = append(left, local.Leftover{})
		}
	}
	if err == nil {
		var removed docker.Removed
		removed, err = docker.Clean(context.Background())
		if n := removed.Containers + removed.Volumes + removed.Networks; n > 0 {
			fmt.Fprintf(stdout, "removed from Docker: %d containers, %d volumes, %d networks\n", removed.Containers, removed.Volumes, removed.Networks)
			left = append(left, local.Leftover{})
		}
	}
	for _, lo := range left {
		if lo.Dir == "" {
			continue
		}
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

// kindRequirements is what the kind substrate needs beyond Docker.
func kindRequirements() []string {
	missing := docker.Requirements(context.Background())
	if _, err := exec.LookPath("gcc"); err != nil {
		missing = append(missing, "gcc and libc6-dev, to build the node image (apt-get install -y gcc libc6-dev)")
	}
	return missing
}

// kindState says whether the node image is built and which clusters are up.
func kindState() string {
	state := "node image " + nodeimage.Default.Tag()
	if nodeimage.Exists(context.Background(), nodeimage.Default.Tag()) {
		state += " built"
	} else {
		state += " not built yet (tandem node-image build: about 12 minutes the first time, on 2 cores)"
	}
	found, err := cluster.List(clustersDir())
	if err != nil {
		return state + "; " + err.Error()
	}
	if len(found) == 0 {
		return state + "; no cluster up (tandem cluster up)"
	}
	for _, f := range found {
		how := "kept"
		if !f.Kept {
			how = fmt.Sprintf("made by tandem pid %d", f.Owner)
		}
		state += fmt.Sprintf("; cluster %q up (%s)", f.Name, how)
	}
	return state
}
