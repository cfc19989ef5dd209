package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	moby "github.com/moby/moby/client"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

type unit struct {
	d   *Docker
	id  spec.UnitID
	gen int
	pod *pod
	ctl *realpod.Unit
}

// pod is one incarnation of a unit's pod.
type pod struct {
	d     *Docker
	u     *unit
	gen   int
	name  string
	token string

	mu        sync.Mutex
	pauseID   string
	ids       map[string]string // container name -> Docker id
	ctrs      map[string]bool
	ports     map[string]int // container name (or "agent") -> host port on 127.0.0.1
	clients   map[string]*client.Client
	deleted   bool
	isStarted bool
	stop      chan struct{}
	agent     *charmagent.Client
}

func (p *pod) gone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deleted
}

func (p *pod) started() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.isStarted
}

// startPod makes the unit's next pod and starts it in the background, as a
// StatefulSet's pod comes up after the deploy returns (R2.6).
func (d *Docker) startPod(u *unit) {
	u.gen++
	p := &pod{d: d, u: u, gen: u.gen, name: fmt.Sprintf("tandem-%s-%s-%d-p%d", d.runID, d.charm.App, u.id.Index(), u.gen),
		token: randomHex(16), ids: map[string]string{}, ctrs: map[string]bool{}, ports: map[string]int{},
		clients: map[string]*client.Client{}, stop: make(chan struct{})}
	d.mu.Lock()
	// A pod due after Close began would come after its sweep: none comes.
	if d.closed {
		d.mu.Unlock()
		return
	}
	u.pod = p
	d.mu.Unlock()
	go func() {
		if err := p.run(); err != nil && !p.gone() {
			d.Failf("cannot start the pod of %s: %v", u.id, err)
		}
	}()
}

func (p *pod) agentConfig() (string, error) {
	ports := map[string]int{}
	for i, name := range p.d.charm.ContainerNames() {
		ports[name] = sidecar.WorkloadProxyPort(i)
	}
	cfg := charmagent.Config{Unit: p.u.id, Spec: *p.d.charm, PollInterval: p.d.profile.PollInterval, Epoch: p.d.Epoch,
		SocketDir: spec.CharmContainersDir, StateDir: sidecar.AgentStateDir, Token: p.token, ProxyPorts: ports}
	if p.d.charm.Charm != nil {
		cfg.Charm = realpod.CharmAgent(p.d.charm, p.u.id, true)
		cfg.SocketDir, cfg.ProxyDir = sidecar.WorkloadSocketsDir, spec.CharmContainersDir
	}
	data, err := json.Marshal(cfg)
	return string(data), err
}

// run realises sidecar.PodSpec: the pause container holding the pod's
// network namespace, the init container to completion, then every
// container at once; then it introduces the pod to the agent.
func (p *pod) run() error {
	ctx := context.Background()
	cfg, err := p.agentConfig()
	if err != nil {
		return err
	}
	charmImage := p.d.imgs.Charm
	if p.d.charmImage != "" {
		charmImage = p.d.charmImage
	}
	ps := sidecar.PodSpec(p.d.charm, sidecar.Images{Init: p.d.imgs.Init, Charm: charmImage, Workload: p.d.imgs.Workload}, cfg)
	if err := p.startPause(ctx); err != nil {
		return err
	}
	for _, c := range ps.InitContainers {
		if err := p.runToCompletion(ctx, c); err != nil {
			return err
		}
	}
	// Then every container at once, as the kubelet starts them.
	errs := make(chan error, len(ps.Containers))
	for _, c := range ps.Containers {
		go func() {
			_, err := p.create(ctx, c, true)
			errs <- err
		}()
	}
	for range ps.Containers {
		if err := <-errs; err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.isStarted = true
	p.mu.Unlock()
	p.d.Observe(spec.Record{Type: spec.RecPlacement, Unit: p.u.id, Node: "docker"})
	p.d.Observe(spec.Record{Type: spec.RecPod, Unit: p.u.id, State: "Running"})
	for _, name := range p.d.charm.ContainerNames() {
		go p.followLogs(name)
		go p.watchRestarts(name)
	}
	go p.watchRestarts(spec.CharmContainer)
	return p.introduce()
}

// introduce plays the controller once the agent and every workload's
// Pebble answer (see the local substrate's introduce for why then).
func (p *pod) introduce() error {
	deadline := time.Now().Add(60 * time.Second)
	for !p.agent.Healthy() {
		if p.gone() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the charm agent of %s did not answer within 60s", p.u.id)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, name := range p.d.charm.ContainerNames() {
		c, err := p.client(name)
		if err != nil {
			return err
		}
		for !spec.CanConnect(c) {
			if p.gone() {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the Pebble of %s in %s did not answer within 60s", name, p.u.id)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := p.d.Controller.Introduce(p.u.ctl, p.agent); err != nil {
		return err
	}
	p.d.PollEvents(p.agent, p.u.id, p.d.charm.ContainerNames(), p.d.charm.Charm != nil, p.stop)
	return nil
}

// client is a workload's Pebble through the agent's proxy for it: a real
// client, through the charm container, as the charm reaches it.
func (p *pod) client(name string) (*client.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[name]; ok {
		return c, nil
	}
	port, ok := p.ports[name]
	if !ok {
		return nil, fmt.Errorf("cannot reach container %q of %s", name, p.u.id)
	}
	c, err := client.New(&client.Config{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port), BasicUsername: "tandem", BasicPassword: p.token})
	if err != nil {
		return nil, err
	}
	p.clients[name] = c
	return c, nil
}

func (p *pod) containerID(name string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, ok := p.ids[name]
	if !ok {
		return "", fmt.Errorf("cannot find container %q in %s", name, p.u.id)
	}
	return id, nil
}

func (p *pod) inspect(name string) (container.InspectResponse, error) {
	id, err := p.containerID(name)
	if err != nil {
		return container.InspectResponse{}, err
	}
	res, err := p.d.cli.ContainerInspect(context.Background(), id, moby.ContainerInspectOptions{})
	return res.Container, err
}

// pid is the host pid of a container's PID 1: its Pebble.
func (p *pod) pid(name string) (int, error) {
	info, err := p.inspect(name)
	if err != nil {
		return 0, err
	}
	if info.State == nil || !info.State.Running || info.State.Pid == 0 {
		return 0, fmt.Errorf("container %s of %s is not running", name, p.u.id)
	}
	return info.State.Pid, nil
}

func killPID(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("cannot kill pid %d: %w", pid, err)
	}
	return nil
}

// dockerLog is how far a workload's log has been read: Docker's
// timestamp of the last line taken, and what earlier lines said.
type dockerLog struct {
	p    *pod
	name string
	id   string

	mu     sync.Mutex // the follower and a catch-up both take lines
	last   string
	derive spec.LogDeriver
}

// followLogs reads a workload's Pebble log lines across its restarts:
// Docker ends a followed log when the container stops, so it follows
// again from the last line's timestamp.
func (p *pod) followLogs(name string) {
	id, err := p.containerID(name)
	if err != nil {
		return
	}
	l := &dockerLog{p: p, name: name, id: id}
	// A check's catch-up reads what Docker has that the follow has not
	// yet delivered.
	forget := p.d.Follow(func(ctx context.Context) {
		if !p.gone() {
			l.read(ctx, false)
		}
	})
	defer forget()
	for !p.gone() {
		l.read(context.Background(), true)
		time.Sleep(10 * time.Millisecond)
	}
}

// read takes the lines of one log request that are newer than the last
// taken; a followed request lasts until the container stops.
func (l *dockerLog) read(ctx context.Context, follow bool) {
	l.mu.Lock()
	since := l.last
	l.mu.Unlock()
	res, err := l.p.d.cli.ContainerLogs(ctx, l.id, moby.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true, Since: since})
	if err != nil {
		time.Sleep(10 * time.Millisecond)
		return
	}
	pr, pw := io.Pipe()
	go func() {
		stdcopy.StdCopy(pw, pw, res)
		res.Close()
		pw.Close()
	}()
	defer pr.Close()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		ts, line, ok := strings.Cut(sc.Text(), " ")
		l.mu.Lock()
		if ok && ts > l.last { // else taken before
			l.last = ts
			l.p.d.PebbleLogLine(&l.derive, line, l.p.u.id, l.name)
		}
		l.mu.Unlock()
	}
}

// watchRestarts records each restart Docker makes of a container, when
// the container is running again (by Docker's own start time): Docker
// counts a restart when it decides on it, before its back-off delay.
func (p *pod) watchRestarts(name string) {
	started := ""
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		info, err := p.inspect(name)
		if err != nil || info.State == nil || !info.State.Running {
			continue
		}
		if started != "" && info.State.StartedAt != started {
			at := p.d.Now()
			if ts, err := time.Parse(time.RFC3339Nano, info.State.StartedAt); err == nil {
				at = ts.Sub(p.d.Epoch)
			}
			p.d.Observe(spec.Record{At: at, Type: spec.RecRestart, Unit: p.u.id, Container: name, Count: info.RestartCount})
		}
		started = info.State.StartedAt
	}
}

// teardown removes the pod's containers and its charm-data volume (the
// unit's storage volumes outlive it).
func (p *pod) teardown() {
	p.mu.Lock()
	if p.deleted {
		p.mu.Unlock()
		return
	}
	p.deleted = true
	close(p.stop)
	ids := []string{}
	for _, id := range p.ids {
		ids = append(ids, id)
	}
	if p.pauseID != "" {
		ids = append(ids, p.pauseID)
	}
	p.mu.Unlock()
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.d.cli.ContainerRemove(ctx, id, moby.ContainerRemoveOptions{Force: true})
		}()
	}
	wg.Wait()
	RemoveLabelled(ctx, p.d.cli, LabelPod+"="+p.name)
}
