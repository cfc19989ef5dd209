package realpod

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// The controller's part for a charm of your own across its units:
// leadership, scaling, and what a unit's hooks change in its peer
// relations, passed on to the others.

// Leader is the unit that holds leadership: unit 0 until it moves.
func (c *Controller) Leader() spec.UnitID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leaderLocked()
}

// leaderLocked is Leader, c.mu held.
func (c *Controller) leaderLocked() spec.UnitID {
	if c.leaderID == "" {
		return spec.NewUnitID(c.charm.App, 0)
	}
	return c.leaderID
}

// MoveLeader gives leadership to a unit: it gets leader-elected; the old
// leader loses it with no hook, as Juju has no leader-deposed.
func (c *Controller) MoveLeader(id spec.UnitID) error {
	if err := c.mine("move leadership"); err != nil {
		return err
	}
	agent, err := c.pods.Agent(id)
	if err != nil {
		return err
	}
	c.rec.Act(spec.Record{Type: spec.RecLeader, Unit: id})
	c.mu.Lock()
	c.leaderID = id
	c.mu.Unlock()
	for _, u := range c.Alive() {
		if u.ID == id {
			continue
		}
		if other, err := c.pods.Agent(u.ID); err == nil {
			if err := other.SetLeader(false); err != nil {
				return fmt.Errorf("cannot take leadership from %s: %w", u.ID, err)
			}
		}
	}
	return agent.SetLeader(true)
}

// Scale sets the application's unit count, as juju scale-application:
// new units come as at deploy (with numbers never used before, as Juju
// gives), with the others as peers; the last units go, one at a time,
// each through its dying hooks, the others told it departed. A leader
// that goes hands leadership to the first unit left. Each unit added or
// removed is a record of its own, so the model follows the run's pace.
func (c *Controller) Scale(n int) error {
	if err := c.mine("scale"); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("cannot scale %s to %d units: tandem checks a running unit, so at least 1", c.charm.App, n)
	}
	alive := c.Alive()
	for len(alive) < n {
		var peers []string
		for _, u := range alive {
			peers = append(peers, string(u.ID))
		}
		c.mu.Lock()
		u := &Unit{ID: spec.NewUnitID(c.charm.App, len(c.units)), peers: peers, scaled: true}
		c.units = append(c.units, u)
		c.mu.Unlock()
		c.rec.Act(spec.Record{Type: spec.RecAddUnit, Unit: u.ID})
		if err := c.pods.StartPod(u); err != nil {
			return err
		}
		alive = append(alive, u)
	}
	for len(alive) > n {
		u := alive[len(alive)-1]
		alive = alive[:len(alive)-1]
		wasLeader := u.ID == c.Leader()
		c.rec.Act(spec.Record{Type: spec.RecRemoveUnit, Unit: u.ID})
		if err := c.remove(u); err != nil {
			return err
		}
		if wasLeader {
			// Recorded, so the model hands over at the same point.
			if err := c.MoveLeader(alive[0].ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove takes a unit away: the others get departed for it on each peer
// relation, it runs its dying hooks (departed and broken for every
// relation, stop, remove), then its pod goes for good.
func (c *Controller) remove(u *Unit) error {
	c.mu.Lock()
	u.dying = true
	c.mu.Unlock()
	for _, op := range spec.PeerOps(c.charm.Charm, spec.DepartOp, u.ID) {
		c.relay(op)
	}
	agent, err := c.pods.Agent(u.ID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := agent.Die(ctx); err != nil {
		return fmt.Errorf("cannot remove %s: %w", u.ID, err)
	}
	c.rec.CatchUp()
	if v, err := agent.Unit(); err == nil {
		c.keepState(u, v.UnitState)
	}
	c.mu.Lock()
	u.removed = true
	c.mu.Unlock()
	c.pods.RemovePod(u.ID)
	c.rec.Observe(spec.Record{Type: spec.RecPod, Unit: u.ID, State: "Deleted"})
	return nil
}

// joined tells the other units that a unit added by scaling entered its
// peer relations: they get joined and changed for it.
func (c *Controller) joined(u *Unit) {
	for _, op := range spec.PeerOps(c.charm.Charm, spec.JoinOp, u.ID) {
		c.relay(op)
	}
}

// Published plays the controller for a hook's changes to its peer
// relations, where the substrate sees its hooks end itself (sim).
func (c *Controller) Published(e spec.Event) { c.passOn(e) }

// passOn plays the controller for a hook's changes to its peer relations.
func (c *Controller) passOn(e spec.Event) {
	for _, op := range e.Published {
		c.relay(op)
	}
}

// relay passes a unit's doing on a peer relation to the other units: it
// goes into the trace, into the controller's copy of the peer data (a new
// unit starts with it), and to every other introduced unit, which gets
// its hooks if it has the unit in the relation (spec.RelationOp.For).
func (c *Controller) relay(op spec.RelationOp) {
	c.introducing.Lock()
	defer c.introducing.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return // the scenario ended: its agents are frozen
	}
	c.rec.Relayed(op)
	c.mu.Lock()
	c.keepPeerData(op)
	c.mu.Unlock()
	for _, u := range c.Alive() {
		if !op.For(u.ID) || u.dying {
			continue
		}
		if !u.known {
			// Not introduced yet: it comes with the relation as it is now.
			c.mu.Lock()
			u.peers, _ = op.Members(u.peers)
			c.mu.Unlock()
			continue
		}
		agent, err := c.pods.Agent(u.ID)
		if err != nil {
			continue
		}
		if err := agent.Relation(op); err != nil {
			if _, still := c.pods.Agent(u.ID); still == nil {
				c.rec.Failf("cannot pass %s's doing on %s to %s: %v", op.From, op.Endpoint, u.ID, err)
			}
		}
	}
}

// keepPeerData follows the peer relations' data as the controller holds
// it; c.mu is held.
func (c *Controller) keepPeerData(op spec.RelationOp) {
	if c.peerData == nil {
		c.peerData = map[int]map[string]map[string]string{}
	}
	data := c.peerData[op.ID]
	if data == nil {
		data = map[string]map[string]string{}
		c.peerData[op.ID] = data
	}
	op.ApplyData(data, op.RemoteApp)
}
