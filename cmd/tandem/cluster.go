package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	kindfixtures "github.com/tandem-harness/tandem/fixtures/kind"
	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// clustersDir is where the kubeconfigs of tandem's clusters are kept.
func clustersDir() string { return filepath.Join(binaries.CacheDir(), "kind", "clusters") }

// clusterCommand brings tandem's kind cluster up, down, or reports it.
func clusterCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "tandem cluster: want up, down or status: tandem cluster up")
		return exitUsage
	}
	fs := flag.NewFlagSet("tandem cluster "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", cluster.DefaultName, "the cluster's name")
	workers := fs.Int("workers", 2, "worker nodes beside the control plane (up)")
	wait := fs.Duration("wait", 3*time.Minute, "how long to wait for every node and CoreDNS to be Ready (up)")
	retain := fs.Bool("retain", false, "on a failed up, leave the nodes to look into (up)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if *workers < 0 || *workers > 8 {
		fmt.Fprintf(stderr, "tandem cluster: --workers %d: want 0 to 8\n", *workers)
		return exitUsage
	}
	switch args[0] {
	case "up":
		ctx, stop := interruptible()
		defer stop()
		image, err := nodeimage.Build(ctx, nodeimage.Options{Cache: binaries.CacheDir(), Progress: stderr})
		if err != nil {
			return interruptedOr(ctx.Err() != nil, stderr, "tandem cluster up:", err)
		}
		t0 := time.Now()
		c, err := cluster.Up(ctx, cluster.Options{Name: *name, Workers: *workers, Image: image, Config: kindfixtures.ClusterConfig,
			Dir: clustersDir(), Wait: *wait, Keep: true, Retain: *retain, Log: stderr})
		if err != nil {
			return interruptedOr(ctx.Err() != nil, stderr, "tandem cluster up:", err)
		}
		fmt.Fprintf(stderr, "cluster %q is up in %s: 1 control plane, %d workers, every node and CoreDNS Ready; it stays up until tandem cluster down\n",
			c.Name, time.Since(t0).Round(100*time.Millisecond), *workers)
		fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", c.Kubeconfig)
		return exitOK
	case "down":
		if err := cluster.Down(clustersDir(), *name); err != nil {
			fmt.Fprintln(stderr, "tandem cluster down:", err)
			return exitFailed
		}
		fmt.Fprintf(stderr, "cluster %q is down\n", *name)
		return exitOK
	case "status":
		c, ok := cluster.Get(clustersDir(), *name)
		if !ok {
			fmt.Fprintf(stdout, "cluster %q is not up (tandem cluster up)\n", *name)
			return exitFailed
		}
		ctx, stop := interruptible()
		defer stop()
		st, err := c.Status(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "tandem cluster status: cluster %q does not answer: %v\n", *name, err)
			return exitFailed
		}
		kept := "belongs to a run"
		if c.Kept {
			kept = "kept"
		}
		fmt.Fprintf(stdout, "cluster %q (%s), kubeconfig %s\n", c.Name, kept, c.Kubeconfig)
		for _, n := range st.Nodes {
			state := "NotReady"
			if n.Ready {
				state = "Ready"
			}
			fmt.Fprintf(stdout, "  %-28s %-14s %s\n", n.Name, n.Role, state)
		}
		fmt.Fprintf(stdout, "  CoreDNS %d/%d ready\n", st.CoreDNSReady, st.CoreDNSWant)
		if !st.Ready() {
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "tandem cluster: unknown %q: want up, down or status\n", args[0])
	return exitUsage
}

// interruptedOr reports a failure, or an interruption as exit 130.
func interruptedOr(interrupted bool, stderr io.Writer, prefix string, err error) int {
	if interrupted {
		fmt.Fprintln(stderr, prefix, "interrupted; what it made is taken down")
		return 130
	}
	fmt.Fprintln(stderr, prefix, err)
	return exitFailed
}
