package local

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// sandbox is one container of a pod, across its restarts.
type sandbox struct {
	pod  *pod
	name string // the workload container's name, or "charm"
	// root is the container's own filesystem; shared is its charm-data
	// directory (mounted at /charm/container).
	root, shared string
	port         int

	mu       sync.Mutex
	cmd      *exec.Cmd
	pid      int // Pebble's host pid
	up       bool
	starting bool // restarting: waitDown waits for it to be up, then down
	stopping bool // torn down on purpose: do not restart
	restarts int
	crashes  spec.Restarts // tandem plays the kubelet's back-off
	started  time.Time
}

// bwrapArgs is the sandbox's command: Pebble as PID 1 with its own root,
// in the pod's network namespace.
func (s *sandbox) command() []string {
	p := s.pod
	args := []string{"nsenter", "--net=" + p.netns, "--",
		"bwrap", "--unshare-pid", "--as-pid-1", "--die-with-parent", "--clearenv",
		"--bind", s.root, "/", "--proc", "/proc", "--dev", "/dev",
		"--ro-bind", p.l.bins.Pebble, "/charm/bin/pebble",
		"--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"--setenv", "HOME", "/root",
		"--setenv", "JUJU_CONTAINER_NAMES", strings.Join(p.l.charm.ContainerNames(), ","),
		"--info-fd", "3",
	}
	if s.name == spec.CharmContainer {
		if p.l.charm.Charm != nil {
			args = append(args, p.charmBinds()...)
		}
		workloads := spec.CharmContainersDir
		if p.l.charm.Charm != nil {
			// The charm's sockets are the agent's recording proxies; the
			// workloads' own are where only the agent looks.
			workloads = sidecar.WorkloadSocketsDir
			args = append(args, "--bind", filepath.Join(p.dir, "cd", "proxy"), spec.CharmContainersDir)
		}
		args = append(args,
			"--ro-bind", p.l.bins.CharmAgent, "/charm/agent/charm-agent",
			"--bind", filepath.Join(p.dir, "cd", "c"), workloads,
			"--bind", filepath.Join(p.dir, "cd", "agent"), "/charm/agent-state",
			"--", "/charm/bin/pebble", "run", "--http", ":38812", "--verbose")
		return args
	}
	args = append(args,
		"--ro-bind", p.l.bins.Workload, spec.WorkloadTool,
		"--bind", s.shared, spec.WorkloadSharedDir,
		"--setenv", "JUJU_CONTAINER_NAME", s.name,
		"--setenv", "PEBBLE_SOCKET", spec.WorkloadSharedDir+"/pebble.socket",
		"--setenv", "PEBBLE", spec.WorkloadSharedDir+"/pebble",
		"--setenv", "PEBBLE_COPY_ONCE", spec.PebbleCopyOnceDir,
		"--", "/charm/bin/pebble", "run", "--create-dirs", "--hold", "--http", fmt.Sprintf(":%d", s.port), "--verbose")
	return args
}

// makeRoot lays out the image: a fresh root each start, as a restarted
// container's own writes are gone (R3.2).
func (s *sandbox) makeRoot() error {
	if err := os.RemoveAll(s.root); err != nil {
		return err
	}
	files := map[string]string{}
	for p, c := range spec.BaseImageFiles {
		files[p] = c
	}
	files["/etc/hosts"] = spec.PodHosts
	dirs := append([]string{"/charm/bin"}, spec.BaseImageDirs...)
	if s.name == spec.CharmContainer {
		cfg, err := json.Marshal(s.pod.agentConfig())
		if err != nil {
			return err
		}
		files["/charm/agent/config.json"] = string(cfg)
		files[spec.PebbleCopyOnceDir+"/layers/001-charm-agent.yaml"] = "services:\n  charm-agent:\n    override: replace\n    startup: enabled\n    command: /charm/agent/charm-agent --config /charm/agent/config.json --listen unix:/charm/agent-state/agent.socket\n"
	} else {
		cs, _ := s.pod.l.charm.Container(s.name)
		for p, c := range cs.Files {
			files[p] = c
		}
		for name, c := range cs.Layers {
			files[spec.PebbleCopyOnceDir+"/layers/"+name] = c
		}
		dirs = append(dirs, spec.WorkloadSharedDir)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(s.root, d), 0o755); err != nil {
			return err
		}
	}
	if s.name == spec.CharmContainer && s.pod.l.charm.Charm != nil {
		// A real charm's Python is this machine's, under /usr.
		for link, target := range realpod.UsrLinks {
			if err := os.Symlink(target, filepath.Join(s.root, link)); err != nil {
				return err
			}
		}
	}
	if err := os.Chmod(filepath.Join(s.root, "tmp"), 0o1777|os.ModeSticky); err != nil {
		return err
	}
	for p, c := range files {
		full := filepath.Join(s.root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// start makes the root and runs the sandbox.
func (s *sandbox) start() error {
	if err := s.makeRoot(); err != nil {
		return fmt.Errorf("cannot make the root of %s: %w", s.name, err)
	}
	args := s.command()
	cmd := exec.Command(args[0], args[1:]...)
	info, infoW, err := os.Pipe()
	if err != nil {
		return err
	}
	out, outW, err := os.Pipe()
	if err != nil {
		info.Close()
		infoW.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{infoW}
	// Its own process group, so a Ctrl-C reaches tandem, which tears down;
	// killed with tandem if tandem is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	infoW.Close()
	outW.Close()
	if err != nil {
		info.Close()
		out.Close()
		return fmt.Errorf("cannot start the sandbox of %s: %w", s.name, err)
	}
	var childInfo struct {
		ChildPid int `json:"child-pid"`
	}
	err = json.NewDecoder(info).Decode(&childInfo)
	info.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		return fmt.Errorf("cannot start the sandbox of %s: bwrap said nothing of its child", s.name)
	}
	s.mu.Lock()
	s.cmd, s.pid, s.up, s.started = cmd, childInfo.ChildPid, true, time.Now()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		// Torn down while it started: it must not outlive the pod.
		s.kill(true)
	}
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		defer out.Close()
		if s.name == spec.CharmContainer {
			io.Copy(io.Discard, out) // the charm's Pebble is not the workloads'
			return
		}
		s.pod.l.ReadPebblePipe(out, s.pod.u.id, s.name)
	}()
	go func() {
		cmd.Wait()
		<-logsDone
		s.exited()
	}()
	return nil
}

// exited is the kubelet's part (R3.2): a container that was not torn down
// on purpose is restarted after the profile's back-off.
func (s *sandbox) exited() {
	s.mu.Lock()
	s.up = false
	stopping := s.stopping
	ran := time.Since(s.started)
	s.mu.Unlock()
	if stopping || s.pod.gone() {
		return
	}
	s.mu.Lock()
	delay := s.crashes.Next(s.pod.l.profile, ran)
	s.mu.Unlock()
	time.AfterFunc(delay, func() {
		if s.pod.gone() {
			return
		}
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			return
		}
		s.restarts++
		s.starting = true
		count := s.restarts
		s.mu.Unlock()
		s.pod.l.Observe(spec.Record{Type: spec.RecRestart, Unit: s.pod.u.id, Container: s.name, Count: count})
		err := s.start()
		s.mu.Lock()
		s.starting = false
		stopping := s.stopping
		s.mu.Unlock()
		if err != nil {
			if !stopping && !s.pod.gone() { // torn down meanwhile: nothing to restart
				s.pod.l.Failf("cannot restart container %s of %s: %v", s.name, s.pod.u.id, err)
			}
			return
		}
	})
}

// kill kills the sandbox's Pebble (and so everything in it); stop says
// whether it is for good.
func (s *sandbox) kill(stop bool) {
	s.mu.Lock()
	if stop {
		s.stopping = true
	}
	cmd, up := s.cmd, s.up
	pid := s.pid
	s.mu.Unlock()
	if !up || cmd == nil {
		return
	}
	// Pebble is PID 1 of the sandbox's pid namespace: when it dies, the
	// kernel kills everything else in it, and Pebble reaps them. bwrap,
	// its parent, then reaps Pebble and exits, and tandem reaps bwrap:
	// killing bwrap too would leave Pebble a zombie for the host's init.
	syscall.Kill(pid, syscall.SIGKILL)
}

// waitDown waits until the sandbox's processes are gone and reaped; a
// bwrap that outlives its Pebble by timeout is killed.
func (s *sandbox) waitDown(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	killed := false
	for {
		s.mu.Lock()
		up, starting, cmd := s.up, s.starting, s.cmd
		s.mu.Unlock()
		if !up && !starting {
			return
		}
		if time.Now().After(deadline) {
			if killed || cmd == nil {
				return
			}
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			killed, deadline = true, time.Now().Add(timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
