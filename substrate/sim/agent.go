package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/pebbleapi"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// agentProc is a unit's charm agent, in a sandbox laid out as the charm
// container of local (Juju's layout under /var/lib/juju, the hook tools,
// this machine's Python under /usr, the charm's venv) without a Pebble of
// its own: each workload's Pebble is the model's API, served from here.
type agentProc struct {
	dir       string
	cmd       *exec.Cmd
	exited    chan struct{}
	stopOnce  sync.Once
	client    *charmagent.Client
	listeners []net.Listener
	// ctx ends the agent's hook runs when it stops.
	ctx    context.Context
	cancel context.CancelFunc
}

// startAgent serves the unit's workloads' Pebble API and starts its
// agent, answering, in the pod's directory.
func startAgent(r *charmRunner, unit spec.UnitID, pod int) (*agentProc, error) {
	dir := r.podDir(unit, pod)
	a := &agentProc{dir: dir, exited: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		// A new pod: its charm-data is new, and Juju lays the charm in it.
		if err := realpod.LayCharm(r.cs, unit, filepath.Join(dir, "juju")); err != nil {
			return nil, err
		}
	}
	if err := a.serveWorkloads(r, unit); err != nil {
		a.stop()
		return nil, err
	}
	if err := a.start(r, unit); err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

// serveWorkloads answers each workload's Pebble API on its socket, where
// the agent looks for it; calls hold the model's lock.
func (a *agentProc) serveWorkloads(r *charmRunner, unit spec.UnitID) error {
	u, err := r.s.m.Unit(unit)
	if err != nil {
		return err
	}
	for _, name := range r.cs.ContainerNames() {
		socket := filepath.Join(a.dir, "sockets", name, "pebble.socket")
		if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
			return err
		}
		os.Remove(socket)
		l, err := net.Listen("unix", socket)
		if err != nil {
			return fmt.Errorf("cannot serve %s's Pebble API: %w", name, err)
		}
		a.listeners = append(a.listeners, l)
		srv := pebbleapi.New(hookPebble{Client: u.Client(name), r: r, unit: unit})
		srv.UseLock(&r.s.mu)
		// The trace holds the charm's calls as a real run's does, at the
		// instant the model answered each.
		srv.OnCall(func(c pebbleapi.Call) {
			var act *spec.Action
			if c.Method == http.MethodPost {
				act = charmagent.CallAction(name, strings.SplitN(c.Path, "?", 2)[0], c.ContentType, c.Body)
			}
			r.s.mu.Lock()
			defer r.s.mu.Unlock()
			r.s.m.CharmCall(unit, name, c.Method, c.Path, c.Status, act)
		})
		go srv.Serve(l)
	}
	return nil
}

// start runs the agent in its sandbox and waits for it to answer.
func (a *agentProc) start(r *charmRunner, unit spec.UnitID) error {
	root := filepath.Join(a.dir, "root")
	if err := makeRoot(root); err != nil {
		return fmt.Errorf("cannot make %s's charm container: %w", unit, err)
	}
	cfg := charmagent.Config{Unit: unit, Spec: *r.cs, Epoch: time.Now(), Driven: true,
		SocketDir: sidecar.WorkloadSocketsDir, ProxyDir: spec.CharmContainersDir, StateDir: "/charm/agent-state",
		Charm: realpod.CharmAgent(r.cs, unit, false)}
	cfg.Charm.Zygote = true
	data, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "charm", "agent", "config.json"), data, 0o644); err != nil {
		return err
	}
	for _, d := range []string{"juju", "agent", "proxy"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return err
		}
	}
	charmDir := spec.CharmDir(r.cs.App, unit)
	args := []string{"bwrap", "--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session", "--clearenv",
		"--bind", root, "/", "--proc", "/proc", "--dev", "/dev",
		"--ro-bind", "/usr", "/usr",
		"--ro-bind", r.bins.Jujuc, sidecar.Jujuc,
		"--bind", filepath.Join(a.dir, "juju"), spec.JujuDir,
		"--ro-bind", r.venv, filepath.Join(charmDir, "venv"),
		"--ro-bind", r.bins.CharmAgent, "/charm/agent/charm-agent",
		"--bind", filepath.Join(a.dir, "sockets"), sidecar.WorkloadSocketsDir,
		"--bind", filepath.Join(a.dir, "proxy"), spec.CharmContainersDir,
		"--bind", filepath.Join(a.dir, "agent"), "/charm/agent-state",
		"--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"--setenv", "HOME", "/root",
		"--", "/charm/agent/charm-agent", "--config", "/charm/agent/config.json", "--listen", "unix:/charm/agent-state/agent.socket"}
	a.cmd = exec.Command(args[0], args[1:]...)
	log, err := os.Create(filepath.Join(a.dir, "agent.log"))
	if err != nil {
		return fmt.Errorf("cannot start %s's charm agent: %w", unit, err)
	}
	a.cmd.Stdout, a.cmd.Stderr = log, log
	// Its own process group, so a Ctrl-C reaches tandem, which tears down;
	// killed with tandem if tandem is killed.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = a.cmd.Start()
	log.Close()
	if err != nil {
		return fmt.Errorf("cannot start %s's charm agent: %w", unit, err)
	}
	go func() { a.cmd.Wait(); close(a.exited) }()
	a.client = charmagent.NewUnixClient(filepath.Join(a.dir, "agent", "agent.socket"))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		select {
		case <-a.exited:
			log, _ := os.ReadFile(filepath.Join(a.dir, "agent.log"))
			return fmt.Errorf("cannot start %s's charm agent: it exited: %s", unit, strings.TrimSpace(string(log)))
		default:
		}
		if a.client.Healthy() {
			return nil
		}
	}
	return fmt.Errorf("cannot start %s's charm agent: it did not answer within 20s", unit)
}

// stop kills the agent (its hook with it) and stops serving its Pebbles,
// once: its process group is gone after, and its pid may be another's.
func (a *agentProc) stop() {
	a.stopOnce.Do(func() {
		a.cancel()
		if a.cmd != nil && a.cmd.Process != nil {
			syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.exited
		}
		for _, l := range a.listeners {
			l.Close()
		}
	})
}

// makeRoot is the charm container's own filesystem: tandem's base image
// over this machine's /usr (a Debian root's merged-/usr links).
func makeRoot(root string) error {
	files := map[string]string{"/etc/hosts": spec.PodHosts}
	for p, c := range spec.BaseImageFiles {
		files[p] = c
	}
	for _, d := range append([]string{"/charm/agent", "/usr", "/tmp"}, spec.BaseImageDirs...) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777|os.ModeSticky); err != nil {
		return err
	}
	for link, target := range realpod.UsrLinks {
		if _, err := os.Lstat(filepath.Join(root, link)); err == nil {
			continue
		}
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			return err
		}
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}
