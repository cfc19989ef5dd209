package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
	"github.com/tandem-harness/tandem/substrate/internal/rundir"
)

func init() {
	substrate.Register("local", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return New(ctx, opts)
	})
}

// BaseDir holds every local run's directories; `tandem clean` empties it.
func BaseDir() string { return rundir.Base() }

// Local runs a scenario's units on real Pebble in sandboxes.
type Local struct {
	*realpod.Recorder
	// Controller plays Juju's controller for the units, from the deploy:
	// it serves substrate.CharmOperator.
	*realpod.Controller
	bins    binaries.Set
	profile spec.TimingProfile
	clock   *spec.WallClock
	dir     string
	charm   *spec.CharmSpec
	units   []*unit
	venv    string // a real charm's Python environment

	mu     sync.Mutex
	closed bool
}

var (
	_ substrate.Substrate  = (*Local)(nil)
	_ substrate.PodDeleter = (*Local)(nil)
)

// Requirements says what this machine lacks for the local substrate, one
// line each, with what to do.
func Requirements() []string {
	var missing []string
	for _, prog := range []string{"bwrap", "nsenter"} {
		if _, err := exec.LookPath(prog); err != nil {
			pkg := map[string]string{"bwrap": "bubblewrap", "nsenter": "util-linux"}[prog]
			missing = append(missing, fmt.Sprintf("%s is missing: apt-get install -y %s", prog, pkg))
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "the local substrate makes network namespaces and runs Pebble as root: run tandem as root")
	}
	if _, err := exec.LookPath("go"); err != nil {
		missing = append(missing, "go is missing: tandem builds Pebble and its fixtures with it (https://go.dev/dl/)")
	}
	return missing
}

// New prepares a local run: the binaries (built once) and a run directory.
func New(ctx context.Context, opts substrate.Options) (*Local, error) {
	if missing := Requirements(); len(missing) > 0 {
		return nil, fmt.Errorf("cannot run the local substrate: %s", strings.Join(missing, "; "))
	}
	bins, err := binaries.Ensure(ctx, os.Stderr)
	if err != nil {
		return nil, err
	}
	dir, err := rundir.New(opts.RunID)
	if err != nil {
		return nil, err
	}
	profile := spec.Profiles["local"]
	rec := realpod.NewRecorder("local", profile, opts.Seed, opts.Scenario)
	// tandem plays the kubelet (container restarts, by the profile's
	// back-off) and the StatefulSet (a pod and its placement): what it
	// records of them is its own doing, not a platform's.
	rec.Plays(spec.RecRestart, spec.RecPod, spec.RecPlacement)
	return &Local{Recorder: rec, bins: bins, profile: profile, clock: spec.NewWallClock(), dir: dir}, nil
}

func (l *Local) Name() string                    { return "local" }
func (l *Local) Capabilities() []spec.Capability { return substrate.Declared["local"] }
func (l *Local) Clock() spec.Clock               { return l.clock }

func (l *Local) Deploy(ctx context.Context, cs *spec.CharmSpec, units, nodes int) error {
	if l.charm != nil {
		return fmt.Errorf("cannot deploy %q: this run already has %q", cs.App, l.charm.App)
	}
	l.charm = cs
	if cs.Charm != nil {
		if err := l.prepareCharm(ctx, cs.Charm); err != nil {
			return err
		}
	}
	l.Act(spec.Record{Type: spec.RecDeploy, Spec: cs, Count: units, Nodes: nodes})
	l.Controller = realpod.NewController(l.Recorder, l, cs, "127.0.0.1")
	for _, cu := range l.Controller.Deploy(units) {
		u := &unit{id: cu.ID, ctl: cu}
		l.units = append(l.units, u)
		if err := l.startPod(u); err != nil {
			return err
		}
	}
	return nil
}

func (l *Local) unit(id spec.UnitID) (*unit, error) {
	for _, u := range l.units {
		if u.id == id {
			return u, nil
		}
	}
	return nil, fmt.Errorf("cannot find unit %q", id)
}

// sandbox finds a running pod's container.
func (l *Local) sandbox(id spec.UnitID, name string) (*sandbox, error) {
	u, err := l.unit(id)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	p := u.pod
	l.mu.Unlock()
	if p == nil || p.gone() {
		return nil, fmt.Errorf("cannot reach container %q of %s: its pod is not running", name, id)
	}
	if name == spec.CharmContainer {
		return p.charm, nil
	}
	s, ok := p.ctrs[name]
	if !ok {
		return nil, fmt.Errorf("cannot find container %q in %s", name, id)
	}
	return s, nil
}

func (l *Local) Pebble(id spec.UnitID, container string) (spec.PebbleClient, error) {
	u, err := l.unit(id)
	if err != nil {
		return nil, err
	}
	if u.pod == nil {
		return nil, fmt.Errorf("unit %s has no pod", id)
	}
	return u.pod.client(container)
}

func (l *Local) Do(id spec.UnitID, a spec.Action) error { return l.Recorder.Do(l.Pebble, id, a) }

func (l *Local) Exec(id spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	return l.Recorder.Exec(l.Pebble, id, container, command)
}

// KillService signals a service's process directly, behind Pebble's back.
func (l *Local) KillService(id spec.UnitID, container, service, signal string) error {
	l.Act(spec.Record{Type: spec.RecKillService, Unit: id, Container: container, Service: service, Message: signal})
	s, err := l.sandbox(id, container)
	if err != nil {
		return err
	}
	pc, err := l.Pebble(id, container)
	if err != nil {
		return err
	}
	s.mu.Lock()
	pid := s.pid
	s.mu.Unlock()
	return realpod.KillService(pc, pid, service, signal)
}

func (l *Local) KillContainer(id spec.UnitID, container string) error {
	l.Act(spec.Record{Type: spec.RecKillContainer, Unit: id, Container: container})
	s, err := l.sandbox(id, container)
	if err != nil {
		return err
	}
	s.kill(false)
	return nil
}

// path maps a path inside a container to the host: the shared directory
// for a workload's /charm/container, every workload's for the charm's
// /charm/containers, the container's root otherwise.
func (s *sandbox) hostPath(p string) string {
	under := func(dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	switch {
	case s.shared != "" && under(spec.WorkloadSharedDir):
		return filepath.Join(s.shared, strings.TrimPrefix(p, spec.WorkloadSharedDir))
	case s.name == spec.CharmContainer && under(spec.CharmContainersDir):
		return filepath.Join(s.pod.dir, "cd", "c", strings.TrimPrefix(p, spec.CharmContainersDir))
	}
	return filepath.Join(s.root, p)
}

func (l *Local) SetHealth(id spec.UnitID, container, path string, up bool) error {
	state := map[bool]string{true: "up", false: "down"}[up]
	l.Act(spec.Record{Type: spec.RecHealth, Unit: id, Container: container, Path: path, State: state})
	s, err := l.sandbox(id, container)
	if err != nil {
		return err
	}
	host := s.hostPath(path)
	if up {
		if err := os.Remove(host); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return err
	}
	return os.WriteFile(host, nil, 0o644)
}

// ReadFile reads a file from the container's root on the host, naming
// owners from the container's own /etc/passwd and /etc/group.
func (l *Local) ReadFile(id spec.UnitID, container, path string) (spec.FileState, error) {
	l.Act(spec.Record{Type: spec.RecReadFile, Unit: id, Container: container, Path: path})
	s, err := l.sandbox(id, container)
	if err != nil {
		return spec.FileState{}, err
	}
	st := spec.FileState{Path: path}
	host := s.hostPath(path)
	fi, err := os.Lstat(host)
	switch {
	case os.IsNotExist(err):
		st.Error = client.ErrorKindNotFound
	case err != nil:
		return st, err
	default:
		sys := fi.Sys().(*syscall.Stat_t)
		st.Mode = fmt.Sprintf("%03o", fi.Mode().Perm())
		passwd, _ := os.ReadFile(filepath.Join(s.root, "etc/passwd"))
		group, _ := os.ReadFile(filepath.Join(s.root, "etc/group"))
		st.User = realpod.NameOf(string(passwd), int(sys.Uid))
		st.Group = realpod.NameOf(string(group), int(sys.Gid))
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(host)
			if err != nil {
				return st, err
			}
			st.Content = string(data)
		}
	}
	l.Observe(spec.Record{Type: spec.RecFile, Unit: id, Container: container, Path: path, File: &st})
	return st, nil
}

func (l *Local) StartCount(id spec.UnitID, container, name string) (int, error) {
	s, err := l.sandbox(id, container)
	if err != nil {
		return 0, err
	}
	data, err := os.ReadFile(filepath.Join(s.shared, "tandem-starts", name))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strings.Count(string(data), "\n"), nil
}

func (l *Local) Pods() ([]substrate.Pod, error) {
	var out []substrate.Pod
	for _, u := range l.units {
		p := substrate.Pod{Unit: u.id, Name: u.id.PodName(), Phase: "Pending", Restarts: map[string]int{}}
		if u.pod != nil && !u.pod.gone() {
			p.Node, p.Phase, p.Ready = "local", "Running", true
			for _, s := range append([]*sandbox{u.pod.charm}, sortedSandboxes(u.pod.ctrs)...) {
				s.mu.Lock()
				p.Restarts[s.name] = s.restarts
				p.Ready = p.Ready && s.up
				s.mu.Unlock()
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func sortedSandboxes(m map[string]*sandbox) []*sandbox {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*sandbox
	for _, n := range names {
		out = append(out, m[n])
	}
	return out
}

func (l *Local) Events(id spec.UnitID) ([]spec.Event, error) {
	if _, err := l.unit(id); err != nil {
		return nil, err
	}
	return l.Recorder.Events(id), nil
}

// DeletePod deletes the unit's pod; after the profile's delay a new one
// comes with the same name, and the controller introduces it (R3.6).
func (l *Local) DeletePod(id spec.UnitID) error {
	l.Act(spec.Record{Type: spec.RecDeletePod, Unit: id})
	u, err := l.unit(id)
	if err != nil {
		return err
	}
	if u.pod == nil || u.pod.gone() {
		return fmt.Errorf("cannot delete the pod of %s: it has none", id)
	}
	l.Controller.Terminate(u.ctl, u.pod.agent)
	u.pod.teardown()
	l.Observe(spec.Record{Type: spec.RecPod, Unit: id, State: "Deleted"})
	time.AfterFunc(l.profile.PodRecreate, func() {
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return
		}
		if err := l.startPod(u); err != nil {
			l.Failf("cannot recreate the pod of %s: %v", id, err)
		}
	})
	return nil
}

// Close ends the scenario: every process killed (whatever ignores
// SIGTERM), every directory removed.
func (l *Local) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	if l.Controller != nil {
		l.Controller.Close()
	}
	l.Act(spec.Record{Type: spec.RecEnd})
	for _, u := range l.units {
		if p := u.pod; p != nil && !p.gone() {
			l.EndQueue(p.agent, u.id)
		}
	}
	l.CatchUp()
	var wg sync.WaitGroup
	for _, u := range l.units {
		if u.pod != nil {
			wg.Add(1)
			go func(p *pod) { defer wg.Done(); p.teardown() }(u.pod)
		}
	}
	wg.Wait()
	if err := os.RemoveAll(l.dir); err != nil {
		return err
	}
	return l.Err()
}
