// Package sim is the substrate that is the model itself: every
// capability, virtual time, microseconds a scenario.
package sim

import (
	"context"
	"fmt"
	"os/exec"
	"sync"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func init() {
	substrate.Register("sim", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return New(opts)
	})
	narrowWithoutSandbox(exec.LookPath)
}

// narrowWithoutSandbox has sim skip a charm of your own's scenarios,
// saying why, where bubblewrap is missing: its code runs in a sandbox
// (charm.go).
func narrowWithoutSandbox(lookPath func(string) (string, error)) {
	if _, err := lookPath("bwrap"); err != nil {
		substrate.Narrow("sim", []spec.Capability{spec.CapRealCharm}, "bwrap is missing (apt-get install -y bubblewrap, or ./scripts/setup-local): a charm of your own runs in a sandbox")
	}
}

// Sim runs a scenario on the reference model.
type Sim struct {
	// mu is the model's lock: a charm of your own's code calls the
	// model's Pebble API from goroutines of its own while the scenario's
	// steps drive the model (charm.go). Every method holds it, and first
	// lets the hooks started so far end or wait (locked).
	mu       sync.Mutex
	m        *simulator.Model
	scenario string
	runID    string
	charm    *charmRunner // a charm of your own's, or nil
	closed   bool
	final    *spec.Trace // the trace as the scenario ended
}

var (
	_ substrate.Substrate       = (*Sim)(nil)
	_ substrate.PodDeleter      = (*Sim)(nil)
	_ substrate.NodeFailer      = (*Sim)(nil)
	_ substrate.PodspecDeployer = (*Sim)(nil)
	_ substrate.EndpointReader  = (*Sim)(nil)
	_ substrate.CharmOperator   = (*Sim)(nil)
	_ substrate.Stuck           = (*Sim)(nil)
)

// New makes a model under the sim timing profile.
func New(opts substrate.Options) (*Sim, error) {
	m, err := simulator.New(spec.Profiles["sim"], opts.Seed)
	if err != nil {
		return nil, err
	}
	s := &Sim{m: m, scenario: opts.Scenario, runID: opts.RunID}
	m.Clock.UseLock(&s.mu)
	return s, nil
}

// locked holds the model's lock, once every hook started so far has
// ended or waits on virtual time: a step sees the model between hooks, as
// hooks take no virtual time. Call the function it returns to unlock.
func (s *Sim) locked() func() {
	s.mu.Lock()
	s.m.Clock.Settle()
	return s.mu.Unlock
}

// Err is why the model cannot go on (a charm's agent that would not
// start, a hook that ran too long in wall time), or nil.
func (s *Sim) Err() error {
	defer s.locked()()
	if err := s.m.Err(); err != nil {
		return err
	}
	if s.charm != nil {
		return s.charm.rec.Err()
	}
	return nil
}

func (s *Sim) Name() string                    { return "sim" }
func (s *Sim) Capabilities() []spec.Capability { return substrate.Declared["sim"] }
func (s *Sim) Clock() spec.Clock               { return lockedClock{s} }

func (s *Sim) Deploy(ctx context.Context, cs *spec.CharmSpec, units, nodes int) error {
	var r *charmRunner
	if cs.Charm != nil {
		// Built before the lock: the venv may take pip a while.
		var err error
		if r, err = newCharmRunner(ctx, s, cs, s.runID); err != nil {
			return err
		}
		r.ctl.Deploy(units)
	}
	defer s.locked()()
	if s.closed {
		if r != nil {
			r.close()
		}
		return fmt.Errorf("cannot deploy: the scenario has ended")
	}
	if r != nil {
		s.charm = r
		s.m.RunCharm(r)
	}
	if err := s.m.Deploy(cs, units, nodes); err != nil {
		return err
	}
	return s.m.Err()
}

func (s *Sim) DeployPodspec(_ context.Context, cs *spec.CharmSpec, nodes int) error {
	defer s.locked()()
	return s.m.DeployPodspec(cs, nodes)
}

func (s *Sim) PodspecNodes() (string, string, error) {
	defer s.locked()()
	return s.m.PodspecNodes()
}

// Endpoint follows Kubernetes' EndpointSlice controller for Juju's
// Service: it publishes not-ready addresses, so a running pod is always
// listed, and serving while it is ready (R3.4).
func (s *Sim) Endpoint(unit spec.UnitID) (bool, bool, error) {
	defer s.locked()()
	for _, p := range s.m.Pods() {
		if p.Unit == unit {
			return p.Phase == "Running", p.Phase == "Running" && p.Ready, nil
		}
	}
	return false, false, fmt.Errorf("cannot find unit %q", unit)
}

func (s *Sim) Pebble(unit spec.UnitID, container string) (spec.PebbleClient, error) {
	defer s.locked()()
	u, err := s.m.Unit(unit)
	if err != nil {
		return nil, err
	}
	return lockedPebble{s: s, c: u.Client(container)}, nil
}

func (s *Sim) Do(unit spec.UnitID, a spec.Action) error {
	defer s.locked()()
	if err := s.m.Err(); err != nil {
		return err
	}
	return s.m.Do(unit, a)
}

func (s *Sim) Exec(unit spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	defer s.locked()()
	return s.m.Exec(unit, container, command)
}

func (s *Sim) KillService(unit spec.UnitID, container, service, signal string) error {
	defer s.locked()()
	return s.m.KillService(unit, container, service, signal)
}

func (s *Sim) KillContainer(unit spec.UnitID, container string) error {
	defer s.locked()()
	return s.m.KillContainer(unit, container)
}

func (s *Sim) SetHealth(unit spec.UnitID, container, path string, up bool) error {
	defer s.locked()()
	return s.m.SetHealth(unit, container, path, up)
}

func (s *Sim) ReadFile(unit spec.UnitID, container, path string) (spec.FileState, error) {
	defer s.locked()()
	return s.m.ReadFile(unit, container, path)
}

func (s *Sim) StartCount(unit spec.UnitID, container, name string) (int, error) {
	defer s.locked()()
	return s.m.StartCount(unit, container, name)
}

func (s *Sim) Pods() ([]substrate.Pod, error) {
	defer s.locked()()
	var out []substrate.Pod
	for _, p := range s.m.Pods() {
		out = append(out, substrate.Pod{Unit: p.Unit, Name: p.Name, Node: p.Node, Phase: p.Phase, Ready: p.Ready, Restarts: p.Restarts})
	}
	return out, nil
}

func (s *Sim) Events(unit spec.UnitID) ([]spec.Event, error) {
	defer s.locked()()
	if err := s.m.Err(); err != nil {
		return nil, err
	}
	u, err := s.m.Unit(unit)
	if err != nil {
		return nil, err
	}
	return u.Events(), nil
}

func (s *Sim) Trace() *spec.Trace {
	defer s.locked()()
	if s.final != nil {
		return s.final
	}
	t := s.m.Trace()
	t.Header.Scenario = s.scenario
	return t
}

func (s *Sim) DeletePod(unit spec.UnitID) error {
	defer s.locked()()
	return s.m.DeletePod(unit)
}

func (s *Sim) FailNode(node string) error {
	defer s.locked()()
	return s.m.FailNode(node)
}

func (s *Sim) ForceDelete(unit spec.UnitID) error {
	defer s.locked()()
	return s.m.ForceDelete(unit)
}

// Close ends the scenario in the trace, and stops a charm of your own's
// agents (its hooks with them).
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.m.End()
	// The trace ends here: what a charm's hook or call still in flight
	// does after is not the scenario's.
	s.final = s.m.Trace()
	s.final.Header.Scenario = s.scenario
	if s.charm != nil {
		s.charm.close()
	}
	return nil
}
