package simulator

import (
	"fmt"

	"github.com/tandem-harness/tandem/spec"
)

// Replay gives the model's prediction for a trace: the scenario's actions
// (not the declared charm's: the model runs its own handlers; but a charm
// of your own's Pebble calls, which the model cannot make itself) applied
// at the same offsets, under the trace's timing profile and seed. A trace
// the model wrote replays to itself.
func Replay(t *spec.Trace) (*spec.Trace, error) {
	m, err := New(t.Header.Profile, t.Header.Seed)
	if err != nil {
		return nil, fmt.Errorf("cannot replay trace: %w", err)
	}
	m.observed = ObservedPodTimes(t)
	m.placed = ObservedPlacements(t)
	m.runHooks = ObservedHooks(t)
	m.runTicks = ObservedCheckFailures(t)
	m.runUnhealthy = ObservedUnhealthy(t)
	for i, r := range t.Records {
		if r.Type == spec.RecAnswer && r.Kind == spec.KindObservation {
			// A query the scenario made is asked of the model at the same
			// instant; an action's answer comes from applying the action.
			if level, ok := spec.HealthLevel(r.Message); ok {
				m.Clock.RunUntil(r.At)
				m.Health(r.Unit, r.Container, level)
			}
			continue
		}
		if r.Kind != spec.KindAction || r.Source == spec.SourceCharm {
			// The declared charm's calls: the model's handlers make them.
			continue
		}
		m.Clock.RunUntil(r.At)
		if err := m.apply(r); err != nil && r.Type == spec.RecDeploy {
			return nil, fmt.Errorf("cannot replay trace: record %d: %w", i+1, err)
		}
	}
	// Back-off jitter is random on both sides, so at the very end the
	// model may be a little behind the run: it runs on for the profile's
	// allowance, and Compare lets it be a step ahead there.
	m.Clock.RunUntil(t.End() + t.Header.Profile.Allowance)
	m.endQueues()
	out := m.Trace()
	out.Header.Substrate = t.Header.Substrate
	out.Header.Scenario = t.Header.Scenario
	return out, nil
}

// apply performs one recorded scenario action. Errors other than a failed
// deploy are part of what is being compared (a real run's action failed
// too, or the model's will show where they differ), so Replay goes on.
func (m *Model) apply(r spec.Record) error {
	switch r.Type {
	case spec.RecDeploy:
		if r.Spec == nil {
			return fmt.Errorf("deploy record has no charm spec")
		}
		return m.Deploy(r.Spec, r.Count, r.Nodes)
	case spec.RecPebble:
		if r.Action == nil {
			return fmt.Errorf("pebble record has no action")
		}
		if r.Source == spec.SourceYourCharm {
			u, err := m.Unit(r.Unit)
			if err != nil {
				return err
			}
			_, err = u.do(spec.SourceYourCharm, *r.Action)
			return err
		}
		if r.Action.Kind == spec.ActExec {
			_, err := m.Exec(r.Unit, r.Action.Container, r.Action.Command)
			return err
		}
		return m.Do(r.Unit, *r.Action)
	case spec.RecKillService:
		return m.KillService(r.Unit, r.Container, r.Service, r.Message)
	case spec.RecKillContainer:
		return m.KillContainer(r.Unit, r.Container)
	case spec.RecDeletePod:
		return m.DeletePod(r.Unit)
	case spec.RecFailNode:
		return m.FailNode(r.Node)
	case spec.RecDeployPodspec:
		if r.Spec == nil {
			return fmt.Errorf("deploy-podspec record has no charm spec")
		}
		return m.DeployPodspec(r.Spec, r.Nodes)
	case spec.RecForceDelete:
		return m.ForceDelete(r.Unit)
	case spec.RecHealth:
		return m.SetHealth(r.Unit, r.Container, r.Path, r.State == "up")
	case spec.RecReadFile:
		_, err := m.ReadFile(r.Unit, r.Container, r.Path)
		return err
	case spec.RecEnd:
		m.End()
		return nil
	case spec.RecConfig:
		return m.SetConfig(r.Message)
	case spec.RecRunAction:
		return m.RunAction(r.Unit, r.Message)
	case spec.RecRelation:
		if r.Relation == nil {
			return fmt.Errorf("relation record has no relation")
		}
		return m.Relation(*r.Relation)
	case spec.RecLeader:
		return m.MoveLeader(r.Unit)
	case spec.RecAddUnit:
		return m.AddUnit(r.Unit)
	case spec.RecRemoveUnit:
		return m.RemoveUnit(r.Unit)
	}
	return fmt.Errorf("unknown action record type %q", r.Type)
}

// ObservedPodTimes reads, per unit, when each of its pods was seen
// running and when the charm's first event followed: the replay starts
// the model's pods then, so the handlers run when the run's did.
func ObservedPodTimes(t *spec.Trace) map[spec.UnitID][]PodTimes {
	out := map[spec.UnitID][]PodTimes{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation {
			continue
		}
		switch {
		case r.Type == spec.RecPod && r.State == "Running":
			out[r.Unit] = append(out[r.Unit], PodTimes{Running: r.At})
		case r.Type == spec.RecEvent:
			if times := out[r.Unit]; len(times) > 0 && times[len(times)-1].Introduced == 0 {
				times[len(times)-1].Introduced = r.At
			}
		}
	}
	return out
}

// ObservedPlacements reads, per unit, the nodes a run placed its pods on,
// in order.
func ObservedPlacements(t *spec.Trace) map[spec.UnitID][]string {
	out := map[spec.UnitID][]string{}
	for _, r := range t.Records {
		if r.Kind == spec.KindObservation && r.Type == spec.RecPlacement {
			out[r.Unit] = append(out[r.Unit], r.Node)
		}
	}
	return out
}
