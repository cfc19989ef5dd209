package docker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	moby "github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	corev1 "k8s.io/api/core/v1"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
)

// A pod's containers as Docker makes them: the pause container that
// holds the pod's network, the init container run to completion, and
// each container of the pod spec with its charm-data volumes.

// runToCompletion runs an init container and waits for it to succeed.
func (p *pod) runToCompletion(ctx context.Context, c corev1.Container) error {
	id, err := p.create(ctx, c, false)
	if err != nil {
		return err
	}
	res := p.d.cli.ContainerWait(ctx, id, moby.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-res.Result:
		if r.StatusCode != 0 {
			return fmt.Errorf("init container %s of %s exited with %d", c.Name, p.u.id, r.StatusCode)
		}
	case err := <-res.Error:
		return fmt.Errorf("cannot wait for init container %s: %w", c.Name, err)
	}
	return nil
}

// startPause starts the container that holds the pod's network namespace
// and publishes the agent's ports, on 127.0.0.1 only.
func (p *pod) startPause(ctx context.Context) error {
	loopback := netip.MustParseAddr("127.0.0.1")
	var exposed []string
	bindings := network.PortMap{}
	ports := []int{sidecar.AgentPort}
	for i := range p.d.charm.ContainerNames() {
		ports = append(ports, sidecar.WorkloadProxyPort(i))
	}
	for _, port := range ports {
		pp := network.MustParsePort(fmt.Sprintf("%d/tcp", port))
		exposed = append(exposed, fmt.Sprintf("%d/tcp", port))
		bindings[pp] = []network.PortBinding{{HostIP: loopback, HostPort: ""}}
	}
	req := testcontainers.ContainerRequest{
		Name: p.name + "-pause", Image: p.d.imgs.Workload, Entrypoint: []string{spec.WorkloadTool}, Cmd: []string{},
		Labels: p.d.labels(), ExposedPorts: exposed,
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.PortBindings = bindings
			hc.NetworkMode = "bridge"
		},
	}
	tc, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		return fmt.Errorf("cannot start the pod's pause container: %w", err)
	}
	p.mu.Lock()
	p.pauseID = tc.GetContainerID()
	p.mu.Unlock()
	info, err := p.d.cli.ContainerInspect(ctx, p.pauseID, moby.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	names := append([]string{"agent"}, p.d.charm.ContainerNames()...)
	for i, port := range ports {
		bs := info.Container.NetworkSettings.Ports[network.MustParsePort(fmt.Sprintf("%d/tcp", port))]
		if len(bs) == 0 {
			return fmt.Errorf("Docker published no port for %d", port)
		}
		host, _ := strconv.Atoi(bs[0].HostPort)
		p.mu.Lock()
		p.ports[names[i]] = host
		p.mu.Unlock()
	}
	p.agent = charmagent.NewTCPClient(fmt.Sprintf("127.0.0.1:%d", p.ports["agent"]), p.token)
	return nil
}

// create runs one container of the pod spec in the pod: its image, its
// command as the entrypoint, its env, and each charm-data subPath as a
// volume of its own. Debian's Docker (20.10, API 1.41) cannot mount a
// volume's subpath (API 1.45 can, and 1.41 ignores it silently), so the
// pod's charm-data is one volume per subPath: charm/bin, each
// charm/containers/<name>, the agent's state. Kubernetes mounts only
// /charm/bin/pebble in a workload; Docker cannot mount one file of a
// volume, so a workload gets /charm/bin read-only (Pebble and the agent).
func (p *pod) create(ctx context.Context, c corev1.Container, always bool) (string, error) {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	volume := func(source, target string, readOnly bool) mount.Mount {
		labels := p.d.labels()
		labels[LabelPod] = p.name
		return mount.Mount{Type: mount.TypeVolume, Source: source, Target: target, ReadOnly: readOnly,
			VolumeOptions: &mount.VolumeOptions{Labels: labels}}
	}
	var mounts []mount.Mount
	for _, vm := range c.VolumeMounts {
		switch {
		case vm.Name != sidecar.CharmDataVolume:
			// Storage: the unit's own volume, which outlives its pods.
			m := volume(fmt.Sprintf("tandem-%s-%s-%d-%s", p.d.runID, p.d.charm.App, p.u.id.Index(), vm.Name), vm.MountPath, vm.ReadOnly)
			delete(m.VolumeOptions.Labels, LabelPod)
			mounts = append(mounts, m)
		case vm.SubPath == "charm/bin/pebble":
			mounts = append(mounts, volume(p.subPathVolume("charm/bin"), "/charm/bin", true))
		case vm.SubPath == "charm/containers":
			for _, name := range p.d.charm.ContainerNames() {
				mounts = append(mounts, volume(p.subPathVolume("charm/containers/"+name), vm.MountPath+"/"+name, vm.ReadOnly))
			}
		default:
			mounts = append(mounts, volume(p.subPathVolume(vm.SubPath), vm.MountPath, vm.ReadOnly))
		}
	}
	p.mu.Lock()
	pauseID := p.pauseID
	p.mu.Unlock()
	req := testcontainers.ContainerRequest{
		Name: p.name + "-" + c.Name, Image: c.Image, Entrypoint: c.Command, Cmd: c.Args, Env: env, Labels: p.d.labels(),
		Files: imageFiles(p.d.charm, c.Name),
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = container.NetworkMode("container:" + pauseID)
			hc.Mounts = mounts
			if always {
				hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyAlways}
			}
		},
	}
	tc, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		// A container made and not started is the caller's to remove.
		if tc != nil {
			tc.Terminate(context.Background())
		}
		return "", fmt.Errorf("cannot start container %s of %s: %w", c.Name, p.u.id, err)
	}
	id := tc.GetContainerID()
	p.mu.Lock()
	p.ids[c.Name] = id
	if always {
		p.ctrs[c.Name] = true
	}
	p.mu.Unlock()
	return id, nil
}

// imageFiles are the files and layers a scenario says a workload's image
// holds, laid into the container before it starts.
func imageFiles(cs *spec.CharmSpec, name string) []testcontainers.ContainerFile {
	ct, ok := cs.Container(name)
	if !ok {
		return nil
	}
	var out []testcontainers.ContainerFile
	add := func(path, content string) {
		out = append(out, testcontainers.ContainerFile{Reader: strings.NewReader(content), ContainerFilePath: path, FileMode: 0o644})
	}
	for path, content := range ct.Files {
		add(path, content)
	}
	for file, content := range ct.Layers {
		add(spec.PebbleCopyOnceDir+"/layers/"+file, content)
	}
	return out
}

// subPathVolume names the volume standing for a charm-data subPath.
func (p *pod) subPathVolume(sub string) string {
	return p.name + "-" + strings.NewReplacer("charm/", "", "/", "-").Replace(sub)
}
