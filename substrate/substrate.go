package substrate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tandem-harness/tandem/spec"
)

// Substrate runs one scenario's units. Each method is one action on, or
// one observation of, a unit addressed as "<app>/<n>".
type Substrate interface {
	// Name is the substrate's name: sim, local, docker or kind.
	Name() string
	// Capabilities lists what it can do beyond the basics.
	Capabilities() []spec.Capability
	// Clock is what waits go through: virtual on sim, wall time elsewhere.
	Clock() spec.Clock

	// Deploy runs the charm as units units on nodes worker nodes (where
	// the substrate has nodes). The spec has passed CheckSpec.
	Deploy(ctx context.Context, cs *spec.CharmSpec, units, nodes int) error
	// Pebble is container's Pebble as the charm reaches it, through the
	// charm container.
	Pebble(unit spec.UnitID, container string) (spec.PebbleClient, error)
	// Do performs a Pebble action as the charm would, recording it.
	Do(unit spec.UnitID, a spec.Action) error
	// Exec runs a command in a workload container through its Pebble.
	Exec(unit spec.UnitID, container string, command []string) (spec.ExecResult, error)

	// KillService kills a service's process with a signal, behind Pebble's back.
	KillService(unit spec.UnitID, container, service, signal string) error
	// KillContainer kills a container's PID 1 ("charm" for the charm container).
	KillContainer(unit spec.UnitID, container string) error
	// SetHealth flips the workload tool's health switch in a container.
	SetHealth(unit spec.UnitID, container, path string, up bool) error

	// ReadFile reads a file from the container's own filesystem, not
	// through Pebble, needing nothing in the image.
	ReadFile(unit spec.UnitID, container, path string) (spec.FileState, error)
	// StartCount reads the workload tool's start records for name.
	StartCount(unit spec.UnitID, container, name string) (int, error)
	// Pods lists each unit's current pod.
	Pods() ([]Pod, error)
	// Events is the charm-side event log of a unit.
	Events(unit spec.UnitID) ([]spec.Event, error)
	// Trace is the run's trace so far.
	Trace() *spec.Trace
	// Close tears everything down; it is safe to call more than once.
	Close() error
}

// PodDeleter is a substrate whose pods are recreated when deleted (R3.6).
type PodDeleter interface {
	DeletePod(unit spec.UnitID) error
}

// NodeFailer is a substrate with nodes that can fail (R3.7).
type NodeFailer interface {
	FailNode(node string) error
	ForceDelete(unit spec.UnitID) error
}

// Stuck is a substrate that can know a scenario cannot go on (a pod whose
// image its node cannot pull): waiting for the units to settle stops at
// once, with the reason, rather than at its timeout.
type Stuck interface {
	Err() error
}

// CatchUpper is a substrate whose observations come through streams
// (Pebble's output, the charm agent's event log) that lag what they
// observe: a check made at once must not see less than happened before
// it, so it catches them up first.
type CatchUpper interface {
	// CatchUp returns once every stream holds what its source had
	// produced when CatchUp was called (or after a bound, for a stream
	// whose source is gone).
	CatchUp()
}

// LogKeeper is a substrate that can keep, for a failed scenario, what its
// platform holds beyond the trace: each container's whole log as the
// platform serves it, with the platform's own timestamps. When the trace
// and the platform disagree (a line the trace lacks), that says whether
// tandem's reading lost it or the platform never had it.
type LogKeeper interface {
	// KeepLogs writes the logs into dir, before Close, and returns the
	// files written.
	KeepLogs(dir string) []string
}

// CharmOperator is a substrate that runs a charm author's own charm
// (spec.CharmSpec.Charm) and plays Juju's controller for it.
type CharmOperator interface {
	// UnitView is the unit as the controller shows it: status, version,
	// ports, relation data, the charm's log, a hook it is in error on.
	UnitView(unit spec.UnitID) (spec.UnitView, error)
	// SetConfig sets config options, as `juju config`: every unit gets
	// config-changed.
	SetConfig(values map[string]any) error
	// RunAction runs an action on a unit, as `juju run`, and waits for it.
	RunAction(unit spec.UnitID, name string, params map[string]any) (spec.ActionResult, error)
	// Relation plays what a related application did (its ID is the
	// substrate's to give for a relate): every unit gets its hooks.
	Relation(op spec.RelationOp) (spec.RelationOp, error)
	// MoveLeader gives leadership to a unit: it gets leader-elected, the
	// old leader no hook.
	MoveLeader(unit spec.UnitID) error
	// Scale sets the unit count, as juju scale-application: new units
	// come as at deploy, numbered on, and the others get joined for
	// them; the last go through their dying hooks.
	Scale(units int) error
}

// Answerer is a substrate that records what Pebble answered a query the
// scenario made outside an action (its health), so the comparison sees
// it; actions' answers each substrate records itself.
type Answerer interface {
	Answer(unit spec.UnitID, container, question, answer string)
}

// ContainerPlacer is a substrate that can tell, from outside the pod,
// the node each of a unit's containers runs on, the charm's included: the
// co-location the sidecar pattern promises, seen where the processes are
// (R1.6).
type ContainerPlacer interface {
	ContainerNodes(unit spec.UnitID) (map[string]string, error)
}

// PodspecDeployer is a substrate that can also deploy a charm the older
// "podspec" way, the contrast to sidecars (R1.6): the charm in an operator
// pod, the workload in a pod of its own that required anti-affinity keeps
// off the operator's node.
type PodspecDeployer interface {
	DeployPodspec(ctx context.Context, cs *spec.CharmSpec, nodes int) error
	// PodspecNodes is where the two pods run ("" while one is unscheduled).
	PodspecNodes() (operator, workload string, err error)
}

// EndpointReader is a substrate whose units are behind Juju's headless
// <app>-endpoints Service: it reads a unit's address there (R3.4).
type EndpointReader interface {
	// Endpoint says whether the unit's pod is listed in the Service's
	// endpoints, and whether it is serving there.
	Endpoint(unit spec.UnitID) (listed, serving bool, err error)
}

// Pod is what can be seen of a unit's pod.
type Pod struct {
	Unit     spec.UnitID    `json:"unit"`
	Name     string         `json:"name"`
	Node     string         `json:"node"`
	Phase    string         `json:"phase"`
	Ready    bool           `json:"ready"`
	Restarts map[string]int `json:"restarts"`
}

// Options configure a substrate for one scenario.
type Options struct {
	// Seed drives the model's random choices.
	Seed int64
	// Scenario names the scenario, for traces and object names.
	Scenario string
	// RunID labels everything the run creates (tandem=<run id>).
	RunID string
}

// Factory makes a substrate for one scenario.
type Factory func(ctx context.Context, opts Options) (Substrate, error)

var (
	mu        sync.Mutex
	factories = map[string]Factory{}
)

// Register makes a substrate available by name; implementations call it
// from init.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	factories[name] = f
}

// live holds every substrate New made and Forget has not dropped, so an
// interrupted run can tear them all down.
var (
	live        = map[Substrate]bool{}
	interrupted bool
)

// New makes the named substrate.
func New(ctx context.Context, name string, opts Options) (Substrate, error) {
	mu.Lock()
	f, ok := factories[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("cannot find substrate %q: want one of %s", name, strings.Join(Names(), ", "))
	}
	mu.Lock()
	stop := interrupted
	mu.Unlock()
	if stop {
		return nil, fmt.Errorf("cannot start a substrate: the run was interrupted")
	}
	s, err := f(ctx, opts)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	live[s] = true
	mu.Unlock()
	return s, nil
}

// Forget drops a closed substrate from those CloseAll closes.
func Forget(s Substrate) {
	mu.Lock()
	delete(live, s)
	mu.Unlock()
}

// CloseAll closes every live substrate, for a run that was interrupted;
// no substrate can be made after it.
func CloseAll() {
	mu.Lock()
	interrupted = true
	all := make([]Substrate, 0, len(live))
	for s := range live {
		all = append(all, s)
	}
	live = map[Substrate]bool{}
	mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	wg.Wait()
}

// Names lists the registered substrates.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Declared is what each substrate can do, known even where it is not
// built, so a skip can say where a scenario would run. Each
// implementation's Capabilities returns its entry (kind's narrowed for a
// cluster whose nodes are elsewhere), and each optional interface comes
// with its capability (tested).
var Declared = map[string][]spec.Capability{
	// The model has every capability but real Pebble's binary: a charm of
	// your own's code runs against it (substrate/sim/charm.go).
	"sim":    simCapabilities(),
	"local":  {spec.CapContainerRestart, spec.CapPodDelete, spec.CapRealPebble, spec.CapFreshRestart, spec.CapRealCharm},
	"docker": {spec.CapContainerRestart, spec.CapPodDelete, spec.CapRealPebble, spec.CapImages, spec.CapRealCharm},
	"kind":   {spec.CapNodes, spec.CapProber, spec.CapContainerRestart, spec.CapPodDelete, spec.CapStorage, spec.CapRealPebble, spec.CapImages, spec.CapFreshRestart, spec.CapRealCharm},
}

// Builtin are tandem's own substrates, in the order the docs name them
// (tests register others).
var Builtin = []string{"sim", "local", "docker", "kind"}

func simCapabilities() []spec.Capability {
	var out []spec.Capability
	for _, c := range spec.AllCapabilities {
		if c != spec.CapRealPebble {
			out = append(out, c)
		}
	}
	return out
}

// Missing returns the capabilities in need that have lacks.
func Missing(has []spec.Capability, need []spec.Capability) []spec.Capability {
	var out []spec.Capability
	for _, n := range need {
		found := false
		for _, h := range has {
			if h == n {
				found = true
			}
		}
		if !found {
			out = append(out, n)
		}
	}
	return out
}

// narrowed is what a substrate, as this run set it up, lacks of what it
// declares, and why: the kind substrate on a cluster whose nodes are not
// on this machine cannot kill their containers or fail them.
var (
	narrowedMu sync.Mutex
	narrowed   = map[string]narrowing{}
)

type narrowing struct {
	lacks []spec.Capability
	why   string
}

// Narrow says that, for the rest of this run, substrate name lacks lacks
// of what it declares, because why; nil lacks undoes it.
func Narrow(name string, lacks []spec.Capability, why string) {
	narrowedMu.Lock()
	defer narrowedMu.Unlock()
	if len(lacks) == 0 {
		delete(narrowed, name)
		return
	}
	narrowed[name] = narrowing{lacks: lacks, why: why}
}

// Has is what substrate name can do in this run: what it declares, less
// what Narrow took away.
func Has(name string) []spec.Capability {
	narrowedMu.Lock()
	n := narrowed[name]
	narrowedMu.Unlock()
	var out []spec.Capability
	for _, c := range Declared[name] {
		if len(Missing(n.lacks, []spec.Capability{c})) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// SkipReason says why a scenario needing need cannot run on substrate
// name, and where it can; "" when it can run.
func SkipReason(name string, need []spec.Capability) string {
	missing := Missing(Has(name), need)
	if len(missing) == 0 {
		return ""
	}
	narrowedMu.Lock()
	n := narrowed[name]
	narrowedMu.Unlock()
	if len(Missing(Declared[name], need)) == 0 {
		var names []string
		for _, m := range missing {
			names = append(names, string(m))
		}
		return fmt.Sprintf("needs %s, which %s lacks here: %s", strings.Join(names, ", "), name, n.why)
	}
	var can []string
	for _, other := range []string{"sim", "local", "docker", "kind"} {
		if len(Missing(Declared[other], need)) == 0 {
			can = append(can, other)
		}
	}
	var names []string
	for _, m := range missing {
		names = append(names, string(m))
	}
	where := "no substrate"
	if len(can) > 0 {
		where = strings.Join(can, ", ")
	}
	return fmt.Sprintf("needs %s, which %s lacks; runs on %s", strings.Join(names, ", "), name, where)
}
