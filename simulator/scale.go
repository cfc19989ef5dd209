package simulator

import (
	"fmt"
	"slices"
	"sort"

	"github.com/tandem-harness/tandem/spec"
)

// Leadership and scaling for a charm of your own, as Juju's controller
// gives them (JUJU-CONTRACT.md §3): a unit given leadership gets
// leader-elected, the old leader no hook; a new unit comes as at deploy,
// numbered on, with the others as peers; a going unit runs departed and
// broken for every relation, then stop and remove. What the others are
// told of a unit that joins or goes, and what a unit changes in its peer
// relations, the run's trace holds (the charm's doing, passed on): a
// replay plays it through Relation.

// leaderUnit is the unit that holds leadership: unit 0 until it moves.
func (m *Model) leaderUnit() spec.UnitID {
	if m.leader == "" {
		return spec.NewUnitID(m.spec.App, 0)
	}
	return m.leader
}

// MoveLeader gives leadership to a unit.
func (m *Model) MoveLeader(id spec.UnitID) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecLeader, Unit: id})
	m.elect(u)
	return nil
}

// elect makes u the leader: leader-elected if it was not.
func (m *Model) elect(u *Unit) {
	if m.leaderUnit() == u.id {
		return
	}
	m.leader = u.id
	if p := u.pod; p != nil && p.charm != nil && p.charm.up {
		p.charm.fire(spec.EventLeaderElected, "")
	}
}

// Scale sets the application's unit count, as juju scale-application,
// at once: each unit added or removed (AddUnit, RemoveUnit), and what the
// controller tells the other units of it (joined, departed). A replay
// plays a run's own records of these instead, at the run's pace.
func (m *Model) Scale(n int) error {
	if !m.yourCharm() {
		return fmt.Errorf("cannot scale: no charm of your own is deployed")
	}
	if n < 1 {
		return fmt.Errorf("cannot scale %s to %d units: at least 1", m.spec.App, n)
	}
	for alive := m.alive(); len(alive) != n; alive = m.alive() {
		if len(alive) < n {
			if err := m.AddUnit(spec.NewUnitID(m.spec.App, len(m.units))); err != nil {
				return err
			}
			m.units[len(m.units)-1].announce = true
			continue
		}
		u := alive[len(alive)-1]
		wasLeader := u.id == m.leaderUnit()
		for _, op := range spec.PeerOps(m.spec.Charm, spec.DepartOp, u.id) {
			if err := m.Relation(op); err != nil {
				return err
			}
		}
		if err := m.RemoveUnit(u.id); err != nil {
			return err
		}
		if wasLeader {
			if err := m.MoveLeader(m.alive()[0].id); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddUnit adds a unit by scaling: it comes as at deploy, with the others
// as its peers.
func (m *Model) AddUnit(id spec.UnitID) error {
	if !m.yourCharm() {
		return fmt.Errorf("cannot add a unit: no charm of your own is deployed")
	}
	m.fault(spec.Record{Type: spec.RecAddUnit, Unit: id})
	var peers []string
	for _, u := range m.alive() {
		peers = append(peers, string(u.id))
	}
	u := &Unit{m: m, id: id, peers: peers}
	m.units = append(m.units, u)
	u.createPod()
	return nil
}

// RemoveUnit takes a unit away by scaling: its dying hooks run and its
// pod goes for good. Who leads next is the controller's move after
// (MoveLeader: Scale's, or the run's record of it).
func (m *Model) RemoveUnit(id spec.UnitID) error {
	u, err := m.Unit(id)
	if err != nil {
		return err
	}
	m.fault(spec.Record{Type: spec.RecRemoveUnit, Unit: id})
	m.die(u)
	return nil
}

// die runs a going unit's hooks, then takes its pod away for good.
func (m *Model) die(u *Unit) {
	if p := u.pod; p != nil && p.charm != nil && p.charm.up {
		p.charm.dying = true
		for _, rel := range m.relationsOf(u) {
			op := spec.RelationOp{Op: spec.RemoveOp, ID: rel.ID, Endpoint: rel.Endpoint}
			for _, ev := range op.RelationEvents(rel.Units) {
				p.charm.fire(ev.Name, "")
			}
		}
		if p.started {
			p.charm.fire(spec.EventStop, "")
		}
		p.charm.fire(spec.EventRemove, "")
	}
	u.removed = true
	if p := u.pod; p != nil {
		remove := func() {
			if u.pod == p {
				m.removePod(u)
			}
		}
		if p.charm != nil {
			p.charm.afterQueue(remove)
		} else {
			remove()
		}
	}
}

// relationsOf are the unit's relations with their remote units, by id:
// its peers, and those related (at deploy or since) and not removed.
func (m *Model) relationsOf(u *Unit) []spec.RelationOp {
	m.initRelations()
	var out []spec.RelationOp
	for _, op := range spec.InitialRelations(m.spec.Charm, u.peers) {
		if op.RemoteApp == m.spec.App {
			out = append(out, op)
		}
	}
	for id, units := range m.relationUnits {
		if !slices.ContainsFunc(out, func(o spec.RelationOp) bool { return o.ID == id }) {
			out = append(out, spec.RelationOp{ID: id, Endpoint: m.relationEndpoints[id], Units: units})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// alive are the units scaling has not taken away, in order.
func (m *Model) alive() []*Unit {
	var out []*Unit
	for _, u := range m.units {
		if !u.removed {
			out = append(out, u)
		}
	}
	return out
}
