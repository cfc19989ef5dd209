// Package sim is the substrate that is the model itself: every
// capability, virtual time, microseconds a scenario.
package sim

import (
	"context"
	"fmt"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func init() {
	substrate.Register("sim", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return New(opts)
	})
}

// Sim runs a scenario on the reference model.
type Sim struct {
	m        *simulator.Model
	scenario string
	closed   bool
}

var (
	_ substrate.Substrate       = (*Sim)(nil)
	_ substrate.PodDeleter      = (*Sim)(nil)
	_ substrate.NodeFailer      = (*Sim)(nil)
	_ substrate.PodspecDeployer = (*Sim)(nil)
	_ substrate.EndpointReader  = (*Sim)(nil)
)

// New makes a model under the sim timing profile.
func New(opts substrate.Options) (*Sim, error) {
	m, err := simulator.New(spec.Profiles["sim"], opts.Seed)
	if err != nil {
		return nil, err
	}
	return &Sim{m: m, scenario: opts.Scenario}, nil
}

func (s *Sim) Name() string                    { return "sim" }
func (s *Sim) Capabilities() []spec.Capability { return substrate.Declared["sim"] }
func (s *Sim) Clock() spec.Clock               { return s.m.Clock }

func (s *Sim) Deploy(_ context.Context, cs *spec.CharmSpec, units, nodes int) error {
	return s.m.Deploy(cs, units, nodes)
}

func (s *Sim) DeployPodspec(_ context.Context, cs *spec.CharmSpec, nodes int) error {
	return s.m.DeployPodspec(cs, nodes)
}

func (s *Sim) PodspecNodes() (string, string, error) { return s.m.PodspecNodes() }

// Endpoint follows Kubernetes' EndpointSlice controller for Juju's
// Service: it publishes not-ready addresses, so a running pod is always
// listed, and serving while it is ready (R3.4).
func (s *Sim) Endpoint(unit spec.UnitID) (bool, bool, error) {
	for _, p := range s.m.Pods() {
		if p.Unit == unit {
			return p.Phase == "Running", p.Phase == "Running" && p.Ready, nil
		}
	}
	return false, false, fmt.Errorf("cannot find unit %q", unit)
}

func (s *Sim) Pebble(unit spec.UnitID, container string) (spec.PebbleClient, error) {
	u, err := s.m.Unit(unit)
	if err != nil {
		return nil, err
	}
	return u.Client(container), nil
}

func (s *Sim) Do(unit spec.UnitID, a spec.Action) error { return s.m.Do(unit, a) }

func (s *Sim) Exec(unit spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	return s.m.Exec(unit, container, command)
}

func (s *Sim) KillService(unit spec.UnitID, container, service, signal string) error {
	return s.m.KillService(unit, container, service, signal)
}

func (s *Sim) KillContainer(unit spec.UnitID, container string) error {
	return s.m.KillContainer(unit, container)
}

func (s *Sim) SetHealth(unit spec.UnitID, container, path string, up bool) error {
	return s.m.SetHealth(unit, container, path, up)
}

func (s *Sim) ReadFile(unit spec.UnitID, container, path string) (spec.FileState, error) {
	return s.m.ReadFile(unit, container, path)
}

func (s *Sim) StartCount(unit spec.UnitID, container, name string) (int, error) {
	return s.m.StartCount(unit, container, name)
}

func (s *Sim) Pods() ([]substrate.Pod, error) {
	var out []substrate.Pod
	for _, p := range s.m.Pods() {
		out = append(out, substrate.Pod{Unit: p.Unit, Name: p.Name, Node: p.Node, Phase: p.Phase, Ready: p.Ready, Restarts: p.Restarts})
	}
	return out, nil
}

func (s *Sim) Events(unit spec.UnitID) ([]spec.Event, error) {
	u, err := s.m.Unit(unit)
	if err != nil {
		return nil, err
	}
	return u.Events(), nil
}

func (s *Sim) Trace() *spec.Trace {
	t := s.m.Trace()
	t.Header.Scenario = s.scenario
	return t
}

func (s *Sim) DeletePod(unit spec.UnitID) error   { return s.m.DeletePod(unit) }
func (s *Sim) FailNode(node string) error         { return s.m.FailNode(node) }
func (s *Sim) ForceDelete(unit spec.UnitID) error { return s.m.ForceDelete(unit) }

// Close ends the scenario in the trace; the model holds nothing else.
func (s *Sim) Close() error {
	if !s.closed {
		s.closed = true
		s.m.End()
	}
	return nil
}
