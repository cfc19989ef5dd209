package sim

import (
	"fmt"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// The controller's side of a charm of your own on sim: realpod's
// Controller tells the units' agents what Juju's controller would (their
// state, the context of each event), the model fires the events in its
// order, and the agents run them when the model says.

func (s *Sim) UnitView(unit spec.UnitID) (spec.UnitView, error) {
	defer s.locked()()
	if err := s.operable("show a unit"); err != nil {
		return spec.UnitView{}, err
	}
	return s.charm.ctl.UnitView(unit)
}

func (s *Sim) SetConfig(values map[string]any) error {
	defer s.locked()()
	if err := s.operable("set config"); err != nil {
		return err
	}
	if err := s.charm.ctl.SetConfig(values); err != nil {
		return err
	}
	return s.m.SetConfig(fmt.Sprint(values))
}

// actionWait is how long RunAction waits, in virtual time, as `juju run`
// waits 10 minutes by default.
const actionWait = 10 * time.Minute

func (s *Sim) RunAction(unit spec.UnitID, name string, params map[string]any) (spec.ActionResult, error) {
	defer s.locked()()
	if err := s.operable("run an action"); err != nil {
		return spec.ActionResult{}, err
	}
	agent, err := s.charm.Agent(unit)
	if err != nil {
		return spec.ActionResult{}, err
	}
	delete(s.charm.actions, unit)
	if err := agent.QueueAction(name, params); err != nil {
		return spec.ActionResult{}, err
	}
	if err := s.m.RunAction(unit, name); err != nil {
		return spec.ActionResult{}, err
	}
	clock := s.m.Clock
	for deadline := clock.Now() + actionWait; ; clock.RunUntil(min(clock.Now()+100*time.Millisecond, deadline)) {
		if res := s.charm.actions[unit]; res != nil {
			delete(s.charm.actions, unit)
			return *res, nil
		}
		if err := s.m.Err(); err != nil {
			return spec.ActionResult{}, err
		}
		if clock.Now() >= deadline {
			return spec.ActionResult{}, fmt.Errorf("cannot run action %s on %s: it did not end within %s", name, unit, actionWait)
		}
	}
}

func (s *Sim) Relation(op spec.RelationOp) (spec.RelationOp, error) {
	defer s.locked()()
	if err := s.operable("relate"); err != nil {
		return op, err
	}
	op, err := s.charm.ctl.Relation(op)
	if err != nil {
		return op, err
	}
	return op, s.m.Relation(op)
}

func (s *Sim) MoveLeader(unit spec.UnitID) error {
	defer s.locked()()
	if err := s.operable("move leadership"); err != nil {
		return err
	}
	if err := s.charm.ctl.MoveLeader(unit); err != nil {
		return err
	}
	return s.m.MoveLeader(unit)
}

// Scale has the controller tell the agents (a new unit's state, the
// others' departed, a going unit's dying hooks, queued) and the model
// scale: it starts a new unit's pod, whose agent the runner starts, and
// runs the hooks in its order.
func (s *Sim) Scale(units int) error {
	defer s.locked()()
	if err := s.operable("scale"); err != nil {
		return err
	}
	if err := s.charm.ctl.Scale(units); err != nil {
		return err
	}
	return s.m.Scale(units)
}

// operable fails an operation that needs a charm of your own, or a model
// that can go on.
func (s *Sim) operable(what string) error {
	if s.charm == nil {
		return fmt.Errorf("cannot %s: no charm of your own is deployed", what)
	}
	return s.m.Err()
}
