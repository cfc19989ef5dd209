package docker

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"

	moby "github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Removed is what a clean-up removed from Docker.
type Removed struct {
	Containers, Volumes, Networks int
}

// RemoveLabelled removes every container, volume and network carrying
// the label filter (key=value).
func RemoveLabelled(ctx context.Context, cli *testcontainers.DockerClient, label string) (Removed, error) {
	var r Removed
	f := make(moby.Filters).Add("label", label)
	cs, err := cli.ContainerList(ctx, moby.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return r, fmt.Errorf("cannot list containers: %w", err)
	}
	for _, c := range cs.Items {
		if _, err := cli.ContainerRemove(ctx, c.ID, moby.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err == nil {
			r.Containers++
		}
	}
	vs, err := cli.VolumeList(ctx, moby.VolumeListOptions{Filters: f})
	if err != nil {
		return r, fmt.Errorf("cannot list volumes: %w", err)
	}
	for _, v := range vs.Items {
		if _, err := cli.VolumeRemove(ctx, v.Name, moby.VolumeRemoveOptions{Force: true}); err == nil {
			r.Volumes++
		}
	}
	ns, err := cli.NetworkList(ctx, moby.NetworkListOptions{Filters: f})
	if err != nil {
		return r, fmt.Errorf("cannot list networks: %w", err)
	}
	for _, n := range ns.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, moby.NetworkRemoveOptions{}); err == nil {
			r.Networks++
		}
	}
	return r, nil
}

// Clean removes what runs whose tandem is gone left in Docker; a live
// run's objects are left alone. It does nothing where Docker is not
// running.
func Clean(ctx context.Context) (Removed, error) {
	var total Removed
	Configure()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return total, nil
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, moby.PingOptions{}); err != nil {
		return total, nil
	}
	owners := map[string]bool{}
	cs, err := cli.ContainerList(ctx, moby.ContainerListOptions{All: true, Filters: make(moby.Filters).Add("label", LabelOwner)})
	if err != nil {
		return total, err
	}
	for _, c := range cs.Items {
		owners[c.Labels[LabelOwner]] = true
	}
	vs, err := cli.VolumeList(ctx, moby.VolumeListOptions{Filters: make(moby.Filters).Add("label", LabelOwner)})
	if err != nil {
		return total, err
	}
	for _, v := range vs.Items {
		owners[v.Labels[LabelOwner]] = true
	}
	for owner := range owners {
		pid, err := strconv.Atoi(owner)
		if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == nil {
			continue // its tandem is still running
		}
		r, err := RemoveLabelled(ctx, cli, LabelOwner+"="+owner)
		total.Containers += r.Containers
		total.Volumes += r.Volumes
		total.Networks += r.Networks
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
