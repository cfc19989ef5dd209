package local

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// The controller's part for a charm of your own across its units:
// leadership, scaling, and what a unit's hooks change in its peer
// relations, passed on to the others.

// leader is the unit that holds leadership: unit 0 until it moves.
func (l *Local) leader() spec.UnitID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leaderLocked()
}

// leaderLocked is leader, l.mu held.
func (l *Local) leaderLocked() spec.UnitID {
	if l.leaderID == "" {
		return spec.NewUnitID(l.charm.App, 0)
	}
	return l.leaderID
}

// MoveLeader gives leadership to a unit: it gets leader-elected; the old
// leader loses it with no hook, as Juju has no leader-deposed.
func (l *Local) MoveLeader(id spec.UnitID) error {
	if l.charm == nil || l.charm.Charm == nil {
		return fmt.Errorf("cannot move leadership: no charm of your own is deployed")
	}
	p, err := l.livePod(id)
	if err != nil {
		return err
	}
	l.Act(spec.Record{Type: spec.RecLeader, Unit: id})
	l.mu.Lock()
	l.leaderID = id
	l.mu.Unlock()
	for _, u := range l.alive() {
		if u.id == id {
			continue
		}
		if other, err := l.livePod(u.id); err == nil {
			if err := other.agent.SetLeader(false); err != nil {
				return fmt.Errorf("cannot take leadership from %s: %w", u.id, err)
			}
		}
	}
	return p.agent.SetLeader(true)
}

// Scale sets the application's unit count, as juju scale-application:
// new units come as at deploy (with numbers never used before, as Juju
// gives), with the others as peers; the last units go, one at a time,
// each through its dying hooks, the others told it departed. A leader
// that goes hands leadership to the first unit left. Each unit added or
// removed is a record of its own, so the model follows the run's pace.
func (l *Local) Scale(n int) error {
	if l.charm == nil || l.charm.Charm == nil {
		return fmt.Errorf("cannot scale: no charm of your own is deployed")
	}
	if n < 1 {
		return fmt.Errorf("cannot scale %s to %d units: tandem checks a running unit, so at least 1", l.charm.App, n)
	}
	alive := l.alive()
	for len(alive) < n {
		var peers []string
		for _, u := range alive {
			peers = append(peers, string(u.id))
		}
		u := &unit{id: spec.NewUnitID(l.charm.App, len(l.units)), peers: peers, scaled: true}
		l.Act(spec.Record{Type: spec.RecAddUnit, Unit: u.id})
		l.mu.Lock()
		l.units = append(l.units, u)
		l.mu.Unlock()
		if err := l.startPod(u); err != nil {
			return err
		}
		alive = append(alive, u)
	}
	for len(alive) > n {
		u := alive[len(alive)-1]
		alive = alive[:len(alive)-1]
		wasLeader := u.id == l.leader()
		l.Act(spec.Record{Type: spec.RecRemoveUnit, Unit: u.id})
		if err := l.remove(u); err != nil {
			return err
		}
		if wasLeader {
			// Recorded, so the model hands over at the same point.
			if err := l.MoveLeader(alive[0].id); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove takes a unit away: the others get departed for it on each peer
// relation, it runs its dying hooks (departed and broken for every
// relation, stop, remove), then its pod goes for good.
func (l *Local) remove(u *unit) error {
	l.mu.Lock()
	u.dying = true
	l.mu.Unlock()
	for _, op := range spec.PeerOps(l.charm.Charm, spec.DepartOp, u.id) {
		l.relay(op)
	}
	p, err := l.livePod(u.id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.agent.Die(ctx); err != nil {
		return fmt.Errorf("cannot remove %s: %w", u.id, err)
	}
	l.CatchUp()
	if v, err := p.agent.Unit(); err == nil {
		l.keepState(u, v.UnitState)
	}
	l.mu.Lock()
	u.removed = true
	l.mu.Unlock()
	p.teardown()
	l.Observe(spec.Record{Type: spec.RecPod, Unit: u.id, State: "Deleted"})
	return nil
}

// alive are the units not removed, in order.
func (l *Local) alive() []*unit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*unit
	for _, u := range l.units {
		if !u.removed {
			out = append(out, u)
		}
	}
	return out
}

// joined tells the other units that a unit added by scaling entered its
// peer relations: they get joined and changed for it.
func (l *Local) joined(u *unit) {
	for _, op := range spec.PeerOps(l.charm.Charm, spec.JoinOp, u.id) {
		l.relay(op)
	}
}

// passOn plays the controller for a hook's changes to its peer relations.
func (l *Local) passOn(e spec.Event) {
	for _, op := range e.Published {
		l.relay(op)
	}
}

// relay passes a unit's doing on a peer relation to the other units: it
// goes into the trace, into the controller's copy of the peer data (a new
// unit starts with it), and to every other introduced unit, which gets
// its hooks if it has the unit in the relation (spec.RelationOp.For).
func (l *Local) relay(op spec.RelationOp) {
	l.introducing.Lock()
	defer l.introducing.Unlock()
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return // the scenario ended: its agents are frozen
	}
	l.Relayed(op)
	l.mu.Lock()
	l.keepPeerData(op)
	l.mu.Unlock()
	for _, u := range l.alive() {
		if !op.For(u.id) || u.dying {
			continue
		}
		if !u.known {
			// Not introduced yet: it comes with the relation as it is now.
			l.mu.Lock()
			u.peerOp(op)
			l.mu.Unlock()
			continue
		}
		p, err := l.livePod(u.id)
		if err != nil {
			continue
		}
		if err := p.agent.Relation(op); err != nil && !p.gone() {
			l.Failf("cannot pass %s's doing on %s to %s: %v", op.From, op.Endpoint, u.id, err)
		}
	}
}

// peerOp follows a peer joining or departing in the peers a unit not yet
// introduced will start with; l.mu is held.
func (u *unit) peerOp(op spec.RelationOp) {
	u.peers, _ = op.Members(u.peers)
}

// keepPeerData follows the peer relations' data as the controller holds
// it; l.mu is held.
func (l *Local) keepPeerData(op spec.RelationOp) {
	if l.peerData == nil {
		l.peerData = map[int]map[string]map[string]string{}
	}
	data := l.peerData[op.ID]
	if data == nil {
		data = map[string]map[string]string{}
		l.peerData[op.ID] = data
	}
	op.ApplyData(data, op.RemoteApp)
}

// peerDataOf is a copy of a peer relation's data, for a new unit.
func (l *Local) peerDataOf(id int) map[string]map[string]string {
	out := map[string]map[string]string{}
	for owner, d := range l.peerData[id] {
		out[owner] = maps.Clone(d)
	}
	return out
}
