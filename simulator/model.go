package simulator

import (
	"fmt"
	"github.com/canonical/pebble/client"
	"math/rand"
	"sort"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Model is the reference model of one scenario: a cluster of nodes, the
// charm's units, the virtual clock, and the trace of everything done and
// seen.
type Model struct {
	Clock   *Clock
	profile spec.TimingProfile
	seed    int64
	rng     *rand.Rand
	epoch   time.Time
	spec    *spec.CharmSpec
	units   []*Unit
	nodes   []*node
	trace   []spec.Record
	// observed, when replaying a real run, is when each of a unit's pods
	// came up and was introduced there: how long a platform takes to
	// start a pod varies from run to run (image caches, the machine's
	// load), and every handler's timing, check tickers included, follows
	// from it.
	observed map[spec.UnitID][]PodTimes
	// placed is, when replaying a run, the nodes the run's scheduler put
	// each unit's pods on, in order: the model's scheduler is a simple
	// spread, a real one weighs more, and a node fault must hit the same
	// units in both.
	placed map[spec.UnitID][]string
	// runHooks is, when replaying a run of a charm of your own, how each
	// run of each hook went there: whether it succeeded, and how long it
	// ran.
	runHooks map[spec.UnitID]map[string][]RunHook
	// runTicks is, when replaying a run, when its Pebbles logged each
	// check's failures: the model's ticks of that check come then
	// (checkticks.go).
	runTicks map[string][]RunTick
	// runUnhealthy is, when replaying a run, its health queries that
	// Pebble answered unhealthy, per container: a check's tick taken from
	// its log line comes before the first it explains.
	runUnhealthy map[string][]UnhealthyAnswer
	// relationUnits are each relation's remote units, as related, and
	// relationEndpoints its endpoint, by id (peers are each unit's).
	relationUnits     map[int][]string
	relationEndpoints map[int]string
	// leader is the unit leadership moved to ("": unit 0).
	leader spec.UnitID
	// podspec is where DeployPodspec put the operator and workload pods.
	podspec *[2]string
	// runner runs a charm of your own's code (sim), rather than a replay
	// taking how its hooks went from a run (charmrunner.go); err is why
	// the model cannot go on.
	runner CharmRunner
	err    error
}

// PodTimes is when a pod incarnation was seen running and introduced.
type PodTimes struct {
	Running    time.Duration
	Introduced time.Duration
}

type node struct {
	name   string
	ready  bool
	failed bool
}

// New makes a model under a timing profile, with seed driving every
// random choice (back-off jitter, boot ids).
func New(profile spec.TimingProfile, seed int64) (*Model, error) {
	if err := profile.Validate(); err != nil {
		return nil, err
	}
	return &Model{
		Clock:   &Clock{},
		profile: profile,
		seed:    seed,
		rng:     rand.New(rand.NewSource(seed)),
		epoch:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}, nil
}

// Profile is the timing profile the model runs with.
func (m *Model) Profile() spec.TimingProfile { return m.profile }

// Seed is the model's seed.
func (m *Model) Seed() int64 { return m.seed }

func (m *Model) newUUID() string {
	b := make([]byte, 16)
	m.rng.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (m *Model) record(kind spec.RecordKind, r spec.Record) {
	r.At, r.Kind = m.Clock.Now(), kind
	m.trace = append(m.trace, r)
}

// Trace returns the model's trace so far.
func (m *Model) Trace() *spec.Trace {
	return &spec.Trace{
		Header:  spec.TraceHeader{Format: spec.TraceFormat, Version: spec.TraceVersion, Substrate: "sim", Profile: m.profile, Seed: m.seed},
		Records: append([]spec.Record(nil), m.trace...),
	}
}

// Deploy deploys the charm as count units on a cluster of nodes worker
// nodes. The spec must pass Check first.
func (m *Model) Deploy(cs *spec.CharmSpec, count, nodes int) error {
	if m.spec != nil {
		return fmt.Errorf("cannot deploy %q: the model already runs %q", cs.App, m.spec.App)
	}
	if err := CheckSpec(cs); err != nil {
		return err
	}
	if count < 1 {
		return fmt.Errorf("cannot deploy %q: want at least one unit, not %d", cs.App, count)
	}
	if nodes < 1 {
		nodes = 1
	}
	m.spec = cs
	for i := 1; i <= nodes; i++ {
		m.nodes = append(m.nodes, &node{name: fmt.Sprintf("worker-%d", i), ready: true})
	}
	m.record(spec.KindAction, spec.Record{Type: spec.RecDeploy, Source: spec.SourceScenario, Spec: cs, Count: count, Nodes: nodes})
	for i := 0; i < count; i++ {
		m.units = append(m.units, &Unit{m: m, id: spec.NewUnitID(cs.App, i), peers: spec.PeersOf(cs.App, count, i)})
	}
	for _, u := range m.units {
		u.createPod()
	}
	return nil
}

// Spec is the deployed charm spec.
func (m *Model) Spec() *spec.CharmSpec { return m.spec }

// Units lists the units in order.
func (m *Model) Units() []*Unit { return append([]*Unit(nil), m.units...) }

// Unit finds a unit by id.
func (m *Model) Unit(id spec.UnitID) (*Unit, error) {
	for _, u := range m.units {
		if u.id == id {
			return u, nil
		}
	}
	return nil, fmt.Errorf("cannot find unit %q", id)
}

// schedule picks a node for the unit's pod: the ready node with fewest
// pods (units have no affinity to each other, R1.6), or the node its
// local volume is bound to (R3.7).
func (m *Model) schedule(u *Unit) (string, bool) {
	if u.pinned != "" {
		for _, n := range m.nodes {
			if n.name == u.pinned && n.ready {
				return n.name, true
			}
		}
		return "", false
	}
	if want, ok := u.observedPlacement(); ok {
		for _, n := range m.nodes {
			if n.name == want && n.ready {
				if len(m.spec.Storage) > 0 {
					u.pinned = n.name
				}
				return n.name, true
			}
		}
	}
	load := map[string]int{}
	for _, other := range m.units {
		if other.pod != nil && other.pod.node != "" && other != u {
			load[other.pod.node]++
		}
	}
	var best *node
	for _, n := range m.nodes {
		if n.ready && (best == nil || load[n.name] < load[best.name]) {
			best = n
		}
	}
	if best == nil {
		return "", false
	}
	if len(m.spec.Storage) > 0 {
		u.pinned = best.name // local-path binds the volume on first use
	}
	return best.name, true
}

// DeployPodspec deploys the charm the older podspec way (R1.6): the
// operator pod on the first node, the workload pod, whose required
// anti-affinity keeps it off the operator's node, on the next; with one
// node it stays unscheduled.
func (m *Model) DeployPodspec(cs *spec.CharmSpec, nodes int) error {
	if err := CheckSpec(cs); err != nil {
		return err
	}
	if m.podspec != nil {
		return fmt.Errorf("cannot deploy %q the podspec way twice", cs.App)
	}
	m.record(spec.KindAction, spec.Record{Type: spec.RecDeployPodspec, Source: spec.SourceScenario, Spec: cs, Nodes: nodes})
	pods := [2]string{"worker-1", ""}
	if nodes > 1 {
		pods[1] = "worker-2"
	}
	m.podspec = &pods
	return nil
}

// PodspecNodes is where DeployPodspec's pods run.
func (m *Model) PodspecNodes() (string, string, error) {
	if m.podspec == nil {
		return "", "", fmt.Errorf("cannot find podspec pods: none is deployed")
	}
	return m.podspec[0], m.podspec[1], nil
}

// --- faults -----------------------------------------------------------

func (m *Model) fault(r spec.Record) {
	r.Source = spec.SourceScenario
	m.record(spec.KindAction, r)
}

// Do performs a Pebble action as the scenario (acting as the charm).
func (m *Model) Do(id spec.UnitID, a spec.Action) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	// The scenario's own call does not wait for its change.
	_, err = u.do(spec.SourceScenario, a)
	m.answer(id, a.Container, a.String(), spec.ActionAnswer(a, nil, err))
	return err
}

// answer records what the model's Pebble answered the scenario, as a real
// substrate records what Pebble did.
func (m *Model) answer(id spec.UnitID, container, question, answer string) {
	m.record(spec.KindObservation, spec.Record{Type: spec.RecAnswer, Unit: id, Container: container, Message: question, State: answer})
}

// Health answers a health query of a container's Pebble, recording it.
func (m *Model) Health(id spec.UnitID, container string, level client.CheckLevel) (bool, error) {
	u, err := m.Unit(id)
	if err != nil {
		return false, err
	}
	ok, err := u.Client(container).Health(&client.HealthOptions{Level: level})
	m.answer(id, container, spec.HealthQuestion(level), spec.HealthAnswer(ok, err))
	return ok, err
}

// Exec runs a command in a container through its Pebble as the scenario,
// recording it.
func (m *Model) Exec(id spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	u, err := m.Unit(id)
	if err != nil {
		return spec.ExecResult{}, err
	}
	a := spec.Action{Kind: spec.ActExec, Container: container, Command: command}
	m.record(spec.KindAction, spec.Record{Type: spec.RecPebble, Source: spec.SourceScenario, Unit: id, Container: container, Action: &a})
	res, err := u.Client(container).Run(command, 0)
	m.answer(id, container, a.String(), spec.ActionAnswer(a, &res, err))
	return res, err
}

// KillService kills a service's process with a signal, behind Pebble's
// back, as a crash would (R3.1).
func (m *Model) KillService(id spec.UnitID, container, service, signal string) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecKillService, Unit: id, Container: container, Service: service, Message: signal})
	c, err := u.container(container)
	if err != nil {
		return err
	}
	if c.pebble == nil {
		return fmt.Errorf("cannot kill service %q: container %q is not running", service, container)
	}
	s, ok := c.pebble.services[service]
	if !ok || !s.alive {
		return fmt.Errorf("cannot kill service %q in %s: it has no running process", service, container)
	}
	s.signal(signal)
	return nil
}

func (u *Unit) container(name string) (*container, error) {
	if u.pod == nil || u.pod.phase != "Running" {
		return nil, fmt.Errorf("cannot reach container %q of %s: its pod is not running", name, u.id)
	}
	c, ok := u.pod.containers[name]
	if !ok {
		return nil, fmt.Errorf("cannot find container %q in %s", name, u.id)
	}
	return c, nil
}

// KillContainer kills a container (its Pebble, PID 1): the kubelet
// restarts it (R3.2); the charm container's death is R3.5.
func (m *Model) KillContainer(id spec.UnitID, container string) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecKillContainer, Unit: id, Container: container})
	if container == spec.CharmContainer {
		if u.pod == nil || u.pod.charm == nil {
			return fmt.Errorf("cannot kill the charm container of %s: its pod is not running", id)
		}
		u.pod.charm.die("killed")
		return nil
	}
	c, err := u.container(container)
	if err != nil {
		return err
	}
	c.die("killed")
	return nil
}

// DeletePod deletes the unit's pod; the StatefulSet recreates it with the
// same name (R3.6).
func (m *Model) DeletePod(id spec.UnitID) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecDeletePod, Unit: id})
	if u.pod == nil {
		return fmt.Errorf("cannot delete the pod of %s: it has none", id)
	}
	m.stopBeforeDelete(u, func() {
		m.removePod(u)
		m.Clock.AfterFunc(m.profile.PodRecreate, func() {
			if u.pod == nil {
				u.createPod()
			}
		})
	})
	return nil
}

func (m *Model) removePod(u *Unit) {
	p := u.pod
	p.stopContainers()
	p.phase = "Deleted"
	u.pod = nil
	u.observe(spec.Record{Type: spec.RecPod, State: "Deleted"})
}

// FailNode stops a node: its pods stop with it; after NodeNotReady the node
// is NotReady and after the toleration its pods are Terminating, but the
// StatefulSet makes no replacement until the pod is force-deleted (R3.7).
func (m *Model) FailNode(name string) error {
	var n *node
	for _, x := range m.nodes {
		if x.name == name {
			n = x
		}
	}
	if n == nil {
		return fmt.Errorf("cannot find node %q", name)
	}
	m.fault(spec.Record{Type: spec.RecFailNode, Node: name})
	n.failed = true
	var victims []*Unit
	for _, u := range m.units {
		if u.pod != nil && u.pod.node == name {
			victims = append(victims, u)
			u.pod.stopContainers()
		}
	}
	m.Clock.AfterFunc(m.profile.NodeNotReady, func() {
		n.ready = false
		for _, u := range victims {
			if u.pod != nil && u.pod.node == name {
				u.pod.phase = "Unknown"
				u.observe(spec.Record{Type: spec.RecPod, State: "Unknown"})
			}
		}
		m.Clock.AfterFunc(m.profile.Toleration, func() {
			for _, u := range victims {
				if u.pod != nil && u.pod.node == name {
					u.pod.phase = "Terminating"
					u.observe(spec.Record{Type: spec.RecPod, State: "Terminating"})
				}
			}
		})
	})
	return nil
}

// ForceDelete removes a pod object whatever its node says, which is what
// lets the StatefulSet replace a pod on a dead node (R3.7).
func (m *Model) ForceDelete(id spec.UnitID) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecForceDelete, Unit: id})
	if u.pod == nil {
		return fmt.Errorf("cannot force-delete the pod of %s: it has none", id)
	}
	m.removePod(u)
	m.Clock.AfterFunc(m.profile.PodRecreate, func() {
		if u.pod == nil {
			u.createPod()
		}
	})
	return nil
}

// SetHealth flips the workload tool's health switch in a container: down
// creates the health file, up removes it.
func (m *Model) SetHealth(id spec.UnitID, container, path string, up bool) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	state := "down"
	if up {
		state = "up"
	}
	m.fault(spec.Record{Type: spec.RecHealth, Unit: id, Container: container, Path: path, State: state})
	c, err := u.container(container)
	if err != nil {
		return err
	}
	if c.fs == nil {
		return fmt.Errorf("cannot switch health in %s: container is not running", container)
	}
	if up {
		c.fs.removeTree(path)
	} else {
		c.fs.mkdirAll(parentDir(path), 0o755, 0, 0)
		c.fs.put(path, &fsNode{mode: 0o644})
	}
	return nil
}

// ReadFile reads a file from the container's own filesystem, not through
// Pebble, and records what it saw.
func (m *Model) ReadFile(id spec.UnitID, container, path string) (spec.FileState, error) {
	u, err := m.Unit(id)
	if err != nil {
		return spec.FileState{}, err
	}
	m.fault(spec.Record{Type: spec.RecReadFile, Unit: id, Container: container, Path: path})
	var fs *filesystem
	if container == spec.CharmContainer {
		if u.pod == nil || u.pod.phase != "Running" || u.pod.charm == nil || !u.pod.charm.up {
			return spec.FileState{}, fmt.Errorf("cannot read %s in %s: container is not running", path, container)
		}
		fs = u.pod.charmView()
	} else {
		c, err := u.container(container)
		if err != nil {
			return spec.FileState{}, err
		}
		if !c.up {
			return spec.FileState{}, fmt.Errorf("cannot read %s in %s: container is not running", path, container)
		}
		fs = c.fs
	}
	st := fs.state(path)
	u.observe(spec.Record{Type: spec.RecFile, Container: container, Path: path, File: &st})
	return st, nil
}

// End marks the scenario's last instant in the trace.
func (m *Model) End() {
	m.fault(spec.Record{Type: spec.RecEnd})
}

// --- observations -------------------------------------------------------

// PodInfo is what tandem can see of a unit's pod.
type PodInfo struct {
	Unit     spec.UnitID
	Name     string
	Node     string
	Phase    string
	Ready    bool
	Restarts map[string]int
}

// Pods lists each unit's current pod.
func (m *Model) Pods() []PodInfo {
	var out []PodInfo
	for _, u := range m.units {
		info := PodInfo{Unit: u.id, Name: u.id.PodName(), Phase: "Pending", Restarts: map[string]int{}}
		if u.pod != nil {
			info.Node, info.Phase, info.Ready = u.pod.node, u.pod.phase, u.pod.ready
			for n, c := range u.pod.containers {
				info.Restarts[n] = c.restarts
			}
			if u.pod.charm != nil {
				info.Restarts[spec.CharmContainer] = u.pod.charm.restarts
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out
}

// Nodes lists the worker nodes and whether each is Ready.
func (m *Model) Nodes() map[string]bool {
	out := map[string]bool{}
	for _, n := range m.nodes {
		out[n.name] = n.ready
	}
	return out
}

// StartCount reads the workload tool's start records for name in a
// container: how many times a service was started in the pod's life.
func (m *Model) StartCount(id spec.UnitID, container, name string) (int, error) {
	u, err := m.Unit(id)
	if err != nil {
		return 0, err
	}
	if u.pod == nil {
		return 0, fmt.Errorf("cannot count starts in %s: it has no pod", id)
	}
	shared, ok := u.pod.charmData[container]
	if !ok {
		return 0, fmt.Errorf("cannot find container %q in %s", container, id)
	}
	n := shared.get("/tandem-starts/" + name)
	if n == nil {
		return 0, nil
	}
	count := 0
	for _, c := range n.content {
		if c == '\n' {
			count++
		}
	}
	return count, nil
}
