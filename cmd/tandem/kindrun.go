package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	kindfixtures "github.com/tandem-harness/tandem/fixtures/kind"
	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/kind"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// exitError carries the exit code of a run that could not start.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// prepareKind points the kind substrate at its cluster for the run: the
// one --kubeconfig names, or tandem's kind cluster, brought up (node image
// built first) when it is not up. It returns what takes a cluster this
// run brought up down again, unless --keep.
func prepareKind(f *runFlags, stderr io.Writer) (func(), error) {
	// Where a charm of your own does not run yet, every scenario of a
	// run given one is skipped with the reason: no cluster to bring up.
	if f.charm != "" && !slices.Contains(substrate.Declared["kind"], spec.CapRealCharm) {
		return func() {}, nil
	}
	if f.kubeconfig != "" {
		if _, err := clientcmd.LoadFromFile(f.kubeconfig); err != nil {
			fmt.Fprintf(stderr, "tandem run: cannot read --kubeconfig %s: %v\n", f.kubeconfig, err)
			return nil, exitError{exitUsage}
		}
		kind.Use(kind.Target{Kubeconfig: f.kubeconfig, Cluster: kindClusterOf(f.kubeconfig), Registry: f.registry})
		return func() {}, nil
	}
	if c, ok := cluster.Get(clustersDir(), cluster.DefaultName); ok {
		kind.Use(kind.Target{Kubeconfig: c.Kubeconfig, Cluster: c.Name})
		return func() {}, nil
	}
	ctx, stop := interruptible()
	defer stop()
	image, err := nodeimage.Build(ctx, nodeimage.Options{Cache: binaries.CacheDir(), Progress: stderr})
	if err != nil {
		return nil, exitError{interruptedOr(ctx.Err() != nil, stderr, "tandem run:", err)}
	}
	fmt.Fprintf(stderr, "tandem: bringing up kind cluster %q for this run\n", cluster.DefaultName)
	c, err := cluster.Up(ctx, cluster.Options{Workers: 2, Image: image, Config: kindfixtures.ClusterConfig,
		Dir: clustersDir(), Keep: f.keep, Log: stderr})
	if err != nil {
		return nil, exitError{interruptedOr(ctx.Err() != nil, stderr, "tandem run:", err)}
	}
	kind.Use(kind.Target{Kubeconfig: c.Kubeconfig, Cluster: c.Name})
	if f.keep {
		return func() {}, nil
	}
	return func() {
		if err := cluster.Down(clustersDir(), c.Name); err != nil {
			fmt.Fprintln(stderr, "tandem run:", err)
		}
	}, nil
}

// kindClusterOf is the tandem kind cluster a kubeconfig's current context
// names ("kind-<name>", as kind names it) when its nodes are on this
// machine; "" for any other cluster.
func kindClusterOf(kubeconfig string) string {
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		return ""
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return ""
	}
	name, ok := strings.CutPrefix(ctx.Cluster, "kind-")
	if !ok {
		return ""
	}
	if _, up := cluster.Get(clustersDir(), name); !up {
		return ""
	}
	return name
}
