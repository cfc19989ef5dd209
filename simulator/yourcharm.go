package simulator

import (
	"fmt"
	"slices"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// What the model does for a charm of your own. It cannot run the charm's
// code: a replay applies the charm's recorded Pebble calls at their
// offsets, and takes from the run whether each hook exited 0, as it takes
// pod start times. What it predicts is Juju's part: the hook order
// (relation-created for the peers after install), config-changed for
// `juju config`, an action's event, stop before a deleted pod goes, and a
// failed hook retried alone with Juju's back-off (5 s, doubling, at most
// 5 min: retrystrategy.go) while later events wait.

// Juju's hook retry back-off.
const (
	hookRetryDelay = 5 * time.Second
	hookRetryLimit = 5 * time.Minute
)

// yourCharm reports whether the deployed charm is a charm of your own.
func (m *Model) yourCharm() bool { return m.spec != nil && m.spec.Charm != nil }

// createdEvents are a new unit's relation-created events: its peers' and
// those of the relations the scenario made before the deploy.
func (m *Model) createdEvents(u *Unit) []string {
	if !m.yourCharm() {
		return nil
	}
	var out []string
	for _, op := range spec.InitialRelations(m.spec.Charm, u.peers) {
		out = append(out, op.Endpoint+"-relation-created")
	}
	return out
}

// joinedEvents are, after start, the joined and changed events of the
// remote units of the relations a new unit came with: its peers, and
// those there were at deploy.
func (m *Model) joinedEvents(u *Unit) []spec.RelationEvent {
	if !m.yourCharm() {
		return nil
	}
	var out []spec.RelationEvent
	for _, op := range spec.InitialRelations(m.spec.Charm, u.peers) {
		out = append(out, op.RelationEvents(nil)[1:]...) // after its relation-created
	}
	return out
}

// Relation plays the other side's doing, a related application's or a
// peer's: each unit's charm gets the relation's hooks
// (spec.RelationOp.RelationEvents), but the peer's whose doing it was,
// and a going unit's, which hears no more of its relations (it departs
// them itself; internal/charmagent does the same).
func (m *Model) Relation(op spec.RelationOp) error {
	m.fault(spec.Record{Type: spec.RecRelation, Relation: &op})
	return m.relation(op)
}

// relayed is a peer's doing the controller passes on to the other units,
// as a real run records it: the charm's.
func (m *Model) relayed(op spec.RelationOp) {
	m.record(spec.KindAction, spec.Record{Type: spec.RecRelation, Source: spec.SourceYourCharm, Unit: op.From, Relation: &op})
	m.relation(op)
}

// relation gives each unit's charm the relation's hooks.
func (m *Model) relation(op spec.RelationOp) error {
	m.initRelations()
	left := m.relationUnits[op.ID]
	if op.From != "" {
		left = nil // a peer's doing: each unit holds its peers (Unit.peerOp)
	}
	switch {
	case op.From != "":
	case op.Op == spec.RelateOp:
		m.relationUnits[op.ID] = op.Units
		m.relationEndpoints[op.ID] = op.Endpoint
	case op.Op == spec.DepartOp:
		m.relationUnits[op.ID] = slices.DeleteFunc(slices.Clone(left), func(u string) bool { return u == op.Unit })
	case op.Op == spec.RemoveOp:
		delete(m.relationUnits, op.ID)
	}
	for _, u := range m.units {
		op := op
		if joined := u.peerOp(op); op.Op == spec.JoinOp && op.From != "" {
			op.Units = joined // a join told twice joins once
		}
		if p := u.pod; p != nil && p.charm != nil && p.charm.up && !p.charm.dying && op.For(u.id) && op.KnownTo(u.peers) {
			for _, ev := range op.RelationEvents(left) {
				p.charm.fire(ev.Name, "")
			}
		}
	}
	return nil
}

// initRelations starts the record of the relations with other
// applications (not the peers, which each unit holds): those there were
// at deploy.
func (m *Model) initRelations() {
	if m.relationUnits != nil {
		return
	}
	m.relationUnits, m.relationEndpoints = map[int][]string{}, map[int]string{}
	for _, init := range spec.InitialRelations(m.spec.Charm, nil) {
		if init.RemoteApp != m.spec.App {
			m.relationUnits[init.ID] = init.Units
			m.relationEndpoints[init.ID] = init.Endpoint
		}
	}
}

// SetConfig is `juju config`: every unit's charm gets config-changed.
func (m *Model) SetConfig(values string) error {
	m.fault(spec.Record{Type: spec.RecConfig, Message: values})
	for _, u := range m.units {
		if p := u.pod; p != nil && p.charm != nil && p.charm.up {
			p.charm.fire(spec.EventConfigChanged, "")
		}
	}
	return nil
}

// RunAction is `juju run`: the action's event on the unit's charm.
func (m *Model) RunAction(id spec.UnitID, name string) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecRunAction, Unit: id, Message: name})
	if p := u.pod; p != nil && p.charm != nil && p.charm.up {
		p.charm.fire(spec.ActionEvent(name), "")
		return nil
	}
	return fmt.Errorf("cannot run action %s on %s: its charm is not up", name, id)
}

// stopBeforeDelete runs the stop hook of a charm of your own whose pod is
// deleted, then deleted: the pod's SIGTERM makes the uniter run it (after
// what it had queued) before the pod goes, within the grace period.
func (m *Model) stopBeforeDelete(u *Unit, deleted func()) {
	p := u.pod
	if !m.yourCharm() || p == nil || !p.started || p.charm == nil || !p.charm.up {
		deleted()
		return
	}
	p.charm.dying = true
	p.charm.fire(spec.EventStop, "")
	once := false
	done := func() {
		if !once && u.pod == p {
			once = true
			deleted()
		}
	}
	p.charm.afterQueue(done)
	m.Clock.AfterFunc(terminationGrace, done)
}

// terminationGrace is the pod's grace period (Kubernetes' default, and
// the local substrate's): what the stop hook has not finished by then is
// killed with the pod.
const terminationGrace = 30 * time.Second

// hookFails says whether this run of event on the unit exited non-zero in
// the run replayed, and how long it ran there (the run's hooks are
// consumed in order); a model that replays nothing has every hook succeed
// at once.
func (u *Unit) runHook(event string) RunHook {
	hooks := u.m.runHooks[u.id][event]
	if len(hooks) == 0 {
		return RunHook{OK: true}
	}
	u.m.runHooks[u.id][event] = hooks[1:]
	return hooks[0]
}

// RunHook is how one run of a hook went in a real run: the model's hook
// fails if it failed, and lasts as long. How long a hook runs is the
// charm's Python and the machine's load; it decides which events come
// while the agent is busy (update-status ticks then make one hook).
type RunHook struct {
	OK   bool
	Took time.Duration
}

// ObservedHooks reads, per unit and event, how each run of the event's
// hook went, in order. A queued or dropped event counts as a run that
// took no time: the model runs every event the run decided on, those
// too, so each takes its own record and the rest stay in step.
func ObservedHooks(t *spec.Trace) map[spec.UnitID]map[string][]RunHook {
	out := map[spec.UnitID]map[string][]RunHook{}
	for _, r := range t.Records {
		if r.Kind != spec.KindObservation || r.Type != spec.RecEvent {
			continue
		}
		if out[r.Unit] == nil {
			out[r.Unit] = map[string][]RunHook{}
		}
		out[r.Unit][r.Message] = append(out[r.Unit][r.Message], RunHook{OK: r.State != spec.HookFailed, Took: r.Took})
	}
	return out
}

// tickUpdateStatus is the uniter's update-status timer, from the agent's
// start, every interval the scenario set: ticks while one waits in the
// queue make no second one (Juju bumps a version the resolver catches up
// with; internal/charmagent does the same).
func (a *charmAgent) tickUpdateStatus() {
	u := a.pod.u
	if !u.m.yourCharm() || u.m.spec.Charm.UpdateStatus <= 0 {
		return
	}
	interval, gen, pgen := u.m.spec.Charm.UpdateStatus, a.gen, a.pod.gen
	var tick func()
	tick = func() {
		if a.gen != gen || !a.up || !a.pod.alive(pgen) || a.dying {
			return
		}
		if !slices.ContainsFunc(a.hooks.pending, func(e spec.Event) bool { return e.Name == spec.EventUpdateStatus }) {
			a.fire(spec.EventUpdateStatus, "")
		}
		u.after(interval, tick)
	}
	u.after(interval, tick)
}

// peerOp follows a peer joining or departing in the unit's peers; for a
// join, it returns the units it did not have yet.
func (u *Unit) peerOp(op spec.RelationOp) (joined []string) {
	if op.From == "" || !op.For(u.id) {
		return nil
	}
	u.peers, joined = op.Members(u.peers)
	return joined
}
