package local

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// pod is one incarnation of a unit's pod: a network namespace held by a
// pause process, the charm container, the workload containers, and the
// charm-data directory they share.
type pod struct {
	l      *Local
	u      *unit
	gen    int
	dir    string
	holder *exec.Cmd
	// holderChild is the first process of the holder's pid namespace.
	holderChild int
	netns       string
	charm       *sandbox
	ctrs        map[string]*sandbox
	agent       *charmagent.Client

	mu       sync.Mutex
	deleted  bool
	clients  map[string]*client.Client
	stopPoll chan struct{}
}

// unit is what outlives a unit's pods: its id, its current pod, and
// what the controller holds of it.
type unit struct {
	id  spec.UnitID
	pod *pod
	gen int
	ctl *realpod.Unit
}

func (p *pod) gone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deleted
}

func (p *pod) agentConfig() charmagent.Config {
	cfg := charmagent.Config{
		Unit: p.u.id, Spec: *p.l.charm, PollInterval: p.l.profile.PollInterval, Epoch: p.l.Epoch,
		SocketDir: spec.CharmContainersDir, StateDir: "/charm/agent-state",
	}
	if p.l.charm.Charm != nil {
		cfg.Charm = realpod.CharmAgent(p.l.charm, p.u.id, false)
		cfg.SocketDir, cfg.ProxyDir = sidecar.WorkloadSocketsDir, spec.CharmContainersDir
	}
	return cfg
}

// startPod creates the unit's next pod and starts it in the background:
// a deploy returns before the pod's containers answer, as Juju's does,
// so what a charm sees before Pebble is up can be observed (R2.6).
func (l *Local) startPod(u *unit) error {
	u.gen++
	p := &pod{l: l, u: u, gen: u.gen, dir: filepath.Join(l.dir, fmt.Sprintf("u%d", u.id.Index()), fmt.Sprintf("p%d", u.gen)),
		ctrs: map[string]*sandbox{}, clients: map[string]*client.Client{}, stopPoll: make(chan struct{})}
	for _, d := range []string{"cd/agent", "cd/c", "cd/juju", "cd/proxy", "roots"} {
		if err := os.MkdirAll(filepath.Join(p.dir, d), 0o755); err != nil {
			return fmt.Errorf("cannot make pod directory: %w", err)
		}
	}
	if l.charm.Charm != nil {
		if err := p.layCharm(); err != nil {
			return err
		}
	}
	for i, name := range l.charm.ContainerNames() {
		shared := filepath.Join(p.dir, "cd", "c", name)
		if err := os.MkdirAll(shared, 0o755); err != nil {
			return err
		}
		p.ctrs[name] = &sandbox{pod: p, name: name, root: filepath.Join(p.dir, "roots", name), shared: shared, port: 38813 + i}
	}
	p.charm = &sandbox{pod: p, name: spec.CharmContainer, root: filepath.Join(p.dir, "roots", spec.CharmContainer)}
	p.agent = charmagent.NewUnixClient(filepath.Join(p.dir, "cd", "agent", "agent.socket"))
	l.mu.Lock()
	u.pod = p
	l.mu.Unlock()
	go func() {
		if err := p.run(); err != nil && !p.gone() {
			l.Failf("%v", err)
		}
	}()
	return nil
}

// run starts the pod: its network namespace, then every container at
// once (the init container's part is the roots laid out), then the
// introduction.
func (p *pod) run() error {
	if err := p.startHolder(); err != nil {
		return err
	}
	for _, name := range p.l.charm.ContainerNames() {
		if err := p.ctrs[name].start(); err != nil {
			return err
		}
	}
	if err := p.charm.start(); err != nil {
		return err
	}
	p.l.Observe(spec.Record{Type: spec.RecPlacement, Unit: p.u.id, Node: "local"})
	p.l.Observe(spec.Record{Type: spec.RecPod, Unit: p.u.id, State: "Running"})
	p.introduce()
	return nil
}

// introduce plays the controller once the pod is up: it introduces the
// pod to the charm agent when the agent and every workload's Pebble
// answer. Juju gives no such order (R2.6), but the model's timeline has
// the workloads up before the charm's first hook, and a run must follow
// one timeline to be compared; scenarios about the race deploy "without
// waiting" and check can-connect.
func (p *pod) introduce() {
	if err := p.waitReady(); err != nil {
		if !p.gone() {
			p.l.Failf("%v", err)
		}
		return
	}
	u := p.u
	if err := p.l.Controller.Introduce(u.ctl, p.agent); err != nil {
		if !p.gone() {
			p.l.Failf("cannot introduce %s: %v", u.id, err)
		}
		return
	}
	p.l.PollEvents(p.agent, u.id, p.l.charm.ContainerNames(), p.l.charm.Charm != nil, p.stopPoll)
}

// waitReady waits until the agent and every workload's Pebble answer.
func (p *pod) waitReady() error {
	if err := p.waitAgent(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, name := range p.l.charm.ContainerNames() {
		c, err := p.client(name)
		if err != nil {
			return err
		}
		for {
			if spec.CanConnect(c) {
				break
			}
			if p.gone() {
				return fmt.Errorf("the pod of %s was deleted while starting", p.u.id)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the Pebble of %s in %s did not answer within 20s", name, p.u.id)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}

// startHolder starts the pause process holding the pod's network
// namespace; bwrap brings its loopback up.
func (p *pod) startHolder() error {
	info, infoW, err := os.Pipe()
	if err != nil {
		return err
	}
	// TANDEM_POD names the pod's directory on the command line, where
	// `tandem clean` looks for what a killed run left.
	cmd := exec.Command("bwrap", "--unshare-net", "--unshare-pid", "--die-with-parent",
		"--ro-bind", p.l.bins.Workload, "/pause", "--proc", "/proc", "--dev", "/dev",
		"--setenv", "TANDEM_POD", p.dir+"/", "--info-fd", "3", "--", "/pause")
	cmd.ExtraFiles = []*os.File{infoW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	infoW.Close()
	if err != nil {
		info.Close()
		return fmt.Errorf("cannot start the pod's network namespace: %w", err)
	}
	var child struct {
		ChildPid int `json:"child-pid"`
	}
	err = json.NewDecoder(info).Decode(&child)
	info.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("cannot start the pod's network namespace: bwrap said nothing of its child")
	}
	p.mu.Lock()
	p.holder, p.holderChild, p.netns = cmd, child.ChildPid, fmt.Sprintf("/proc/%d/ns/net", child.ChildPid)
	deleted := p.deleted
	p.mu.Unlock()
	if deleted {
		stopHolder(cmd, child.ChildPid)
		return fmt.Errorf("the pod of %s was deleted while starting", p.u.id)
	}
	return nil
}

// stopHolder ends the pause process's sandbox and reaps bwrap: the first
// process of its pid namespace killed, bwrap reaps it and exits (killing
// bwrap first would leave that process a zombie for the host's init);
// a bwrap still there after 5 s is killed.
func stopHolder(holder *exec.Cmd, child int) {
	syscall.Kill(child, syscall.SIGKILL)
	done := make(chan struct{})
	go func() { holder.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-holder.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func (p *pod) waitAgent() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !p.gone() {
		if p.agent.Healthy() {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("the charm agent of %s did not answer within 20s", p.u.id)
}

// client is the Pebble of a workload container, through the socket the
// charm uses (R1.2).
func (p *pod) client(name string) (*client.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[name]; ok {
		return c, nil
	}
	s, ok := p.ctrs[name]
	if !ok {
		return nil, fmt.Errorf("cannot find container %q in %s", name, p.u.id)
	}
	c, err := client.New(&client.Config{Socket: filepath.Join(s.shared, "pebble.socket")})
	if err != nil {
		return nil, err
	}
	p.clients[name] = c
	return c, nil
}

// teardown kills every process of the pod and removes its directory.
func (p *pod) teardown() {
	p.mu.Lock()
	if p.deleted {
		p.mu.Unlock()
		return
	}
	p.deleted = true
	close(p.stopPoll)
	p.mu.Unlock()
	all := []*sandbox{p.charm}
	for _, s := range p.ctrs {
		all = append(all, s)
	}
	for _, s := range all {
		if s != nil {
			s.kill(true)
		}
	}
	for _, s := range all {
		if s != nil {
			s.waitDown(5 * time.Second)
		}
	}
	p.mu.Lock()
	holder, child := p.holder, p.holderChild
	p.mu.Unlock()
	if holder != nil {
		stopHolder(holder, child)
	}
	os.RemoveAll(p.dir)
}
