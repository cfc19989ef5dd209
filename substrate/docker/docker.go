package docker

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canonical/pebble/client"
	moby "github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

func init() {
	substrate.Register("docker", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return New(ctx, opts)
	})
}

// Labels on everything tandem makes in Docker.
const (
	LabelRun   = "tandem"       // the run id
	LabelOwner = "tandem.owner" // the pid of the tandem that made it
	LabelPod   = "tandem.pod"   // the pod a charm-data volume belongs to
)

// Docker runs a scenario's units as sidecar pods on Docker.
type Docker struct {
	*realpod.Recorder
	// Controller plays Juju's controller for the units, from the deploy:
	// it serves substrate.CharmOperator.
	*realpod.Controller
	cli     *testcontainers.DockerClient
	imgs    images.Set
	profile spec.TimingProfile
	clock   *spec.WallClock
	runID   string
	charm   *spec.CharmSpec
	units   []*unit
	// charmImage is the charm container's image of a charm of your own.
	charmImage string

	mu     sync.Mutex
	closed bool
}

var (
	_ substrate.Substrate  = (*Docker)(nil)
	_ substrate.PodDeleter = (*Docker)(nil)
)

// Configure sets what testcontainers-go needs on this machine: no reaper
// (its image cannot be pulled; tandem removes what it made), and the
// Docker host on loopback (this machine has /.dockerenv, and traffic may go
// nowhere but loopback and tandem's own containers).
func Configure() {
	// Its banner on every client would bury tandem's own output.
	tclog.SetDefault(quiet{})
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// Requirements says what this machine lacks for the docker substrate.
func Requirements(ctx context.Context) []string {
	Configure()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return []string{fmt.Sprintf("cannot reach Docker (%v): run scripts/setup-docker, or install docker.io and start dockerd", err)}
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, moby.PingOptions{}); err != nil {
		return []string{fmt.Sprintf("dockerd does not answer (%v): run scripts/setup-docker, or start dockerd", err)}
	}
	if LacksSysResource() {
		info, err := cli.Info(ctx, moby.InfoOptions{})
		if err == nil && info.Info.DefaultRuntime != "nosysres" {
			return []string{fmt.Sprintf("this machine's capability bounding set lacks CAP_SYS_RESOURCE and dockerd's default runtime is %q, so privileged containers (kind's nodes) fail: stop dockerd and run scripts/setup-docker, which starts it with a runtime that strips it", info.Info.DefaultRuntime)}
		}
	}
	return nil
}

// LacksSysResource reads this process's capability bounding set: where
// CAP_SYS_RESOURCE (bit 24) is missing, runc cannot grant a privileged
// container every capability.
func LacksSysResource() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && bits&(1<<24) == 0
		}
	}
	return false
}

// New reaches Docker and makes sure tandem's images are built.
func New(ctx context.Context, opts substrate.Options) (*Docker, error) {
	if missing := Requirements(ctx); len(missing) > 0 {
		return nil, fmt.Errorf("cannot run the docker substrate: %s", strings.Join(missing, "; "))
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	imgs, err := images.Build(ctx, os.Stderr)
	if err != nil {
		cli.Close()
		return nil, err
	}
	profile := spec.Profiles["docker"]
	runID := opts.RunID + "-" + randomHex(3)
	rec := realpod.NewRecorder("docker", profile, opts.Seed, opts.Scenario)
	// Docker's restart policy restarts containers; tandem plays the
	// StatefulSet (a pod made again, on the one "node").
	rec.Plays(spec.RecPod, spec.RecPlacement)
	return &Docker{Recorder: rec, cli: cli, imgs: imgs,
		profile: profile, clock: spec.NewWallClock(), runID: runID}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (d *Docker) Name() string                    { return "docker" }
func (d *Docker) Capabilities() []spec.Capability { return substrate.Declared["docker"] }
func (d *Docker) Clock() spec.Clock               { return d.clock }

func (d *Docker) labels() map[string]string {
	return map[string]string{LabelRun: d.runID, LabelOwner: strconv.Itoa(os.Getpid())}
}

func (d *Docker) Deploy(ctx context.Context, cs *spec.CharmSpec, units, nodes int) error {
	if d.charm != nil {
		return fmt.Errorf("cannot deploy %q: this run already has %q", cs.App, d.charm.App)
	}
	if cs.Charm != nil {
		if err := d.prepareCharm(ctx, cs.Charm); err != nil {
			return err
		}
	}
	d.Act(spec.Record{Type: spec.RecDeploy, Spec: cs, Count: units, Nodes: nodes})
	// tandem's own images are named without their content tags.
	resolved := *cs
	resolved.Containers = append([]spec.Container(nil), cs.Containers...)
	for i := range resolved.Containers {
		resolved.Containers[i].Image = d.imgs.Resolve(resolved.Containers[i].Image)
	}
	d.charm = &resolved
	// A unit's address is the pod's loopback, as the model has it.
	d.Controller = realpod.NewController(d.Recorder, d, d.charm, "127.0.0.1")
	for _, cu := range d.Controller.Deploy(units) {
		u := &unit{d: d, id: cu.ID, ctl: cu}
		d.units = append(d.units, u)
		d.startPod(u)
	}
	return nil
}

func (d *Docker) unit(id spec.UnitID) (*unit, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range d.units {
		if u.id == id {
			return u, nil
		}
	}
	return nil, fmt.Errorf("cannot find unit %q", id)
}

// running returns the unit's pod if it is running.
func (d *Docker) running(id spec.UnitID) (*pod, error) {
	u, err := d.unit(id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	p := u.pod
	d.mu.Unlock()
	if p == nil || p.gone() {
		return nil, fmt.Errorf("the pod of %s is not running", id)
	}
	return p, nil
}

func (d *Docker) Pebble(id spec.UnitID, container string) (spec.PebbleClient, error) {
	p, err := d.running(id)
	if err != nil {
		return nil, err
	}
	return p.client(container)
}

func (d *Docker) Do(id spec.UnitID, a spec.Action) error { return d.Recorder.Do(d.Pebble, id, a) }

func (d *Docker) Exec(id spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	return d.Recorder.Exec(d.Pebble, id, container, command)
}

func (d *Docker) KillService(id spec.UnitID, container, service, signal string) error {
	d.Act(spec.Record{Type: spec.RecKillService, Unit: id, Container: container, Service: service, Message: signal})
	p, err := d.running(id)
	if err != nil {
		return err
	}
	pc, err := p.client(container)
	if err != nil {
		return err
	}
	pid, err := p.pid(container)
	if err != nil {
		return err
	}
	return realpod.KillService(pc, pid, service, signal)
}

// KillContainer kills the container's PID 1 (its Pebble) from the host,
// so Docker sees it die, as the kubelet would, and restarts it.
func (d *Docker) KillContainer(id spec.UnitID, container string) error {
	d.Act(spec.Record{Type: spec.RecKillContainer, Unit: id, Container: container})
	p, err := d.running(id)
	if err != nil {
		return err
	}
	pid, err := p.pid(container)
	if err != nil {
		return err
	}
	return killPID(pid)
}

// SetHealth flips the health switch through the container's Pebble: the
// image need hold nothing for it.
func (d *Docker) SetHealth(id spec.UnitID, container, path string, up bool) error {
	state := map[bool]string{true: "up", false: "down"}[up]
	d.Act(spec.Record{Type: spec.RecHealth, Unit: id, Container: container, Path: path, State: state})
	pc, err := d.Pebble(id, container)
	if err != nil {
		return err
	}
	return realpod.SetHealth(pc, path, up)
}

// ReadFile copies a file out of the container with Docker's archive API:
// nothing is needed in the image, and it works on a stopped container.
func (d *Docker) ReadFile(id spec.UnitID, container, path string) (spec.FileState, error) {
	d.Act(spec.Record{Type: spec.RecReadFile, Unit: id, Container: container, Path: path})
	p, err := d.running(id)
	if err != nil {
		return spec.FileState{}, err
	}
	cid, err := p.containerID(container)
	if err != nil {
		return spec.FileState{}, err
	}
	st := spec.FileState{Path: path}
	hdr, content, err := d.copyOut(cid, path)
	switch {
	case err != nil && isNotFound(err):
		st.Error = client.ErrorKindNotFound
	case err != nil:
		return st, err
	default:
		_, passwd, _ := d.copyOut(cid, "/etc/passwd")
		_, group, _ := d.copyOut(cid, "/etc/group")
		st.Mode = fmt.Sprintf("%03o", os.FileMode(hdr.Mode).Perm())
		st.User = realpod.NameOf(passwd, hdr.Uid)
		st.Group = realpod.NameOf(group, hdr.Gid)
		if hdr.Typeflag == tar.TypeReg {
			st.Content = content
		}
	}
	d.Observe(spec.Record{Type: spec.RecFile, Unit: id, Container: container, Path: path, File: &st})
	return st, nil
}

func (d *Docker) copyOut(cid, path string) (*tar.Header, string, error) {
	res, err := d.cli.CopyFromContainer(context.Background(), cid, moby.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, "", err
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	hdr, err := tr.Next()
	if err != nil {
		return nil, "", err
	}
	data, err := io.ReadAll(tr)
	return hdr, string(data), err
}

func (d *Docker) StartCount(id spec.UnitID, container, name string) (int, error) {
	p, err := d.running(id)
	if err != nil {
		return 0, err
	}
	cid, err := p.containerID(container)
	if err != nil {
		return 0, err
	}
	_, content, err := d.copyOut(cid, spec.StartRecordDir+"/"+name)
	if err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	return strings.Count(content, "\n"), nil
}

func (d *Docker) Pods() ([]substrate.Pod, error) {
	var out []substrate.Pod
	for _, u := range d.units {
		pod := substrate.Pod{Unit: u.id, Name: u.id.PodName(), Phase: "Pending", Restarts: map[string]int{}}
		d.mu.Lock()
		p := u.pod
		d.mu.Unlock()
		if p != nil && !p.gone() && p.started() {
			pod.Node, pod.Phase, pod.Ready = "docker", "Running", true
			for name := range p.ctrs {
				info, err := p.inspect(name)
				if err != nil {
					return nil, err
				}
				pod.Restarts[name] = info.RestartCount
				pod.Ready = pod.Ready && info.State != nil && info.State.Running
			}
		}
		out = append(out, pod)
	}
	return out, nil
}

func (d *Docker) Events(id spec.UnitID) ([]spec.Event, error) {
	if _, err := d.unit(id); err != nil {
		return nil, err
	}
	return d.Recorder.Events(id), nil
}

// DeletePod deletes the unit's pod; after the profile's delay a new one
// comes with the same name, and the controller introduces it (R3.6).
func (d *Docker) DeletePod(id spec.UnitID) error {
	d.Act(spec.Record{Type: spec.RecDeletePod, Unit: id})
	p, err := d.running(id)
	if err != nil {
		return fmt.Errorf("cannot delete the pod of %s: %w", id, err)
	}
	u, _ := d.unit(id)
	// A pod still starting has no agent yet (p.agent is set before
	// started is): its charm has run no hook to stop.
	if p.started() {
		d.Controller.Terminate(u.ctl, p.agent)
	}
	p.teardown()
	d.Observe(spec.Record{Type: spec.RecPod, Unit: id, State: "Deleted"})
	time.AfterFunc(d.profile.PodRecreate, func() {
		d.mu.Lock()
		closed := d.closed
		d.mu.Unlock()
		if !closed {
			d.startPod(u)
		}
	})
	return nil
}

// Close removes every container and volume of the run.
func (d *Docker) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	units := append([]*unit(nil), d.units...)
	d.mu.Unlock()
	if d.Controller != nil {
		d.Controller.Close()
	}
	d.Act(spec.Record{Type: spec.RecEnd})
	d.Controller.EndQueues()
	var wg sync.WaitGroup
	for _, u := range units {
		d.mu.Lock()
		p := u.pod
		d.mu.Unlock()
		if p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); p.teardown() }()
		}
	}
	wg.Wait()
	_, err := RemoveLabelled(context.Background(), d.cli, LabelRun+"="+d.runID)
	d.cli.Close()
	if err != nil {
		return err
	}
	return d.Err()
}

// isNotFound reads Docker's archive API's "no such path" in its forms.
func isNotFound(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no such") || strings.Contains(msg, "could not find")
}
