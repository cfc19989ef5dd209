package realpod

import (
	"context"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
)

// Juju's hook retry: 5 s, doubling, at most 5 min (retrystrategy.go).
const hookRetry, hookRetryLimit = 5 * time.Second, 5 * time.Minute

// Controller plays Juju's controller for a substrate's units: it
// introduces each pod to its agent (new unit or known), and for a charm
// of your own holds what Juju's controller holds (config, leadership,
// relations and their data, each unit's last state) and passes on
// config, actions, relations, leadership and scale. The substrate runs
// the pods and is reached through Pods.
type Controller struct {
	rec   *Recorder
	pods  Pods
	charm *spec.CharmSpec
	// address is a unit's address as its hooks see it.
	address string

	// introducing orders a unit's introduction and what is passed on to
	// the units: each unit gets a peer's doing either with its state or
	// from its agent, never neither.
	introducing sync.Mutex

	mu        sync.Mutex
	units     []*Unit
	relations []spec.RelationOp // played since the deploy
	// leaderID is the unit leadership moved to ("": unit 0); peerData
	// the peer relations' data, by relation id and owner, as passed on.
	leaderID spec.UnitID
	peerData map[int]map[string]map[string]string
	closed   bool
}

// Unit is what the controller holds of a unit across its pods.
type Unit struct {
	ID spec.UnitID
	// known: the controller has introduced a pod of it (the next is back,
	// not new).
	known bool
	// state is what the controller holds for a real charm's unit; a new
	// pod's agent is introduced with it.
	state *spec.UnitState
	// peers are the application's other units when this one came;
	// scaled, it came by scaling (the others are told it joined); dying,
	// scaling is taking it away; removed, it took it away.
	peers   []string
	scaled  bool
	dying   bool
	removed bool
}

// Pods is the substrate's side: its units' pods.
type Pods interface {
	// Agent is the charm agent of the unit's running pod; an error when
	// none runs.
	Agent(id spec.UnitID) (*charmagent.Client, error)
	// StartPod starts the first pod of a unit scaling added, in the
	// background.
	StartPod(u *Unit) error
	// RemovePod tears down, for good, the pod of a unit scaling removed.
	RemovePod(id spec.UnitID)
}

// NewController plays the controller for charm's units on rec's
// substrate, each at address.
func NewController(rec *Recorder, pods Pods, charm *spec.CharmSpec, address string) *Controller {
	c := &Controller{rec: rec, pods: pods, charm: charm, address: address}
	rec.PassOn(c.passOn)
	return c
}

// Deploy makes the units of the deploy.
func (c *Controller) Deploy(units int) []*Unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < units; i++ {
		c.units = append(c.units, &Unit{ID: spec.NewUnitID(c.charm.App, i), peers: spec.PeersOf(c.charm.App, units, i)})
	}
	return append([]*Unit(nil), c.units...)
}

// CharmAgent is the agent's part for a unit of a charm of your own, in a
// charm container laid out as Juju's. inImage: the charm container's
// image holds the charm and its file resources (images.CharmImage), for
// the agent to lay on each new pod's charm-data.
func CharmAgent(cs *spec.CharmSpec, id spec.UnitID, inImage bool) *charmagent.CharmConfig {
	c := &charmagent.CharmConfig{
		Jujuc: sidecar.Jujuc, Path: sidecar.HookPath,
		Meta: cs.Charm.Meta, RetryDelay: hookRetry, RetryLimit: hookRetryLimit,
		UpdateStatus: cs.Charm.UpdateStatus, PebbleReadyFirst: cs.Charm.PebbleReadyFirst,
	}
	if inImage {
		c.Source = images.CharmStage
		if len(cs.Charm.Resources) > 0 {
			c.ResourcesSource = images.ResourceStage
		}
	}
	c.Place(cs.App, id)
	return c
}

// Introduce introduces a unit's pod to its agent, once the agent and
// every workload's Pebble answer: as new the first time, as back after.
// A unit scaling added is then told to the others.
func (c *Controller) Introduce(u *Unit, agent *charmagent.Client) error {
	first, err := c.introduce(u, agent)
	if err != nil {
		return err
	}
	if first && u.scaled {
		c.joined(u)
	}
	return nil
}

// introduce tells the agent its unit, with what the controller holds for
// a charm of your own, under the lock that orders introductions and what
// is passed on to the units.
func (c *Controller) introduce(u *Unit, agent *charmagent.Client) (first bool, err error) {
	c.introducing.Lock()
	defer c.introducing.Unlock()
	first = !u.known
	if c.charm.Charm == nil {
		if err := agent.Introduce(first); err != nil {
			return first, err
		}
		u.known = true
		return first, nil
	}
	c.mu.Lock()
	if u.state == nil {
		st := c.initialState(u)
		u.state = &st
	}
	st := *u.state
	c.mu.Unlock()
	if err := agent.IntroduceCharm(first, st); err != nil {
		return first, err
	}
	u.known = true
	return first, nil
}

// initialState is what the controller holds for a new unit: the config
// (defaults, then what the scenario set), leadership for the leader's
// unit, and the peer relations with their data; c.mu is held.
func (c *Controller) initialState(u *Unit) spec.UnitState {
	id := u.ID
	ch := c.charm.Charm
	st := spec.UnitState{Name: string(id), Leader: id == c.leaderLocked(), Config: map[string]any{}, Address: c.address}
	for name, o := range ch.Meta.Config {
		st.Config[name] = o.Default
	}
	for name, v := range ch.Config {
		st.Config[name] = v
	}
	for name, kind := range ch.Meta.Resources {
		if kind != "file" {
			continue
		}
		if st.Resources == nil {
			st.Resources = map[string]string{}
		}
		st.Resources[name] = ""
		if src, ok := ch.Resources[name]; ok {
			st.Resources[name] = ResourcePath(c.charm.App, id, name, src)
		}
	}
	for _, op := range spec.InitialRelations(ch, u.peers) {
		data := map[string]map[string]string{}
		if op.RemoteApp == ch.Meta.Name {
			data = c.peerDataOf(op.ID)
		}
		st.Relations = append(st.Relations, spec.Relation{ID: op.ID, Endpoint: op.Endpoint, RemoteApp: op.RemoteApp,
			Units: op.Units, Data: data})
	}
	return st
}

// ResourcePath is where an attached file resource lies in the charm
// container, beside the charm dir, where Juju downloads it.
func ResourcePath(app string, id spec.UnitID, name, src string) string {
	return path.Join(spec.ResourcesDir(app, id), name, filepath.Base(src))
}

// Terminate plays the pod's SIGTERM for a charm of your own: the stop
// hook runs within the grace period (30 s), then the controller keeps
// what the unit holds for the next pod.
func (c *Controller) Terminate(u *Unit, agent *charmagent.Client) {
	if c.charm.Charm == nil || agent == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent.Terminate(ctx)
	// The stop hook and its calls into the trace before the pod goes.
	c.rec.CatchUp()
	if v, err := agent.Unit(); err == nil {
		c.keepState(u, v.UnitState)
	}
}

// Keep has the controller keep what the unit's agent holds now, for its
// next pod or, for a unit scaling took away, for good: where the
// substrate stops the agent itself (sim), after its last hook.
func (c *Controller) Keep(id spec.UnitID, agent *charmagent.Client) {
	u, err := c.Unit(id)
	if err != nil {
		return
	}
	if v, err := agent.Unit(); err == nil {
		c.keepState(u, v.UnitState)
	}
}

// keepState is the controller keeping what it holds for a unit.
func (c *Controller) keepState(u *Unit, st spec.UnitState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u.state = &st
}

// Unit is the unit id's controller side.
func (c *Controller) Unit(id spec.UnitID) (*Unit, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range c.units {
		if u.ID == id {
			return u, nil
		}
	}
	return nil, fmt.Errorf("cannot find unit %q", id)
}

// Alive are the units not removed, in order.
func (c *Controller) Alive() []*Unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Unit
	for _, u := range c.units {
		if !u.removed {
			out = append(out, u)
		}
	}
	return out
}

// Close ends the scenario for the controller: nothing more is passed on
// (the agents are frozen).
func (c *Controller) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
}

// EndQueues records, at a scenario's end, the events each running agent
// of a charm of your own had queued (Recorder.EndQueue): what Juju's
// agent decided on counts, as the model counts it. Then the trace is
// caught up. Nothing for a declared charm, or before the deploy.
func (c *Controller) EndQueues() {
	if c == nil || c.charm.Charm == nil {
		return
	}
	for _, u := range c.Alive() {
		if agent, err := c.pods.Agent(u.ID); err == nil {
			c.rec.EndQueue(agent, u.ID)
		}
	}
	c.rec.CatchUp()
}

// mine fails an operation that needs a charm of your own.
func (c *Controller) mine(what string) error {
	if c == nil || c.charm.Charm == nil {
		return fmt.Errorf("cannot %s: no charm of your own is deployed", what)
	}
	return nil
}

// UnitView is the unit as the controller shows it; for a unit scaling
// took away, what the controller kept of it.
func (c *Controller) UnitView(id spec.UnitID) (spec.UnitView, error) {
	if err := c.mine("show a unit"); err != nil {
		return spec.UnitView{}, err
	}
	u, err := c.Unit(id)
	if err != nil {
		return spec.UnitView{}, err
	}
	c.mu.Lock()
	if u.removed && u.state != nil {
		st := *u.state
		c.mu.Unlock()
		return spec.UnitView{UnitState: st}, nil
	}
	c.mu.Unlock()
	agent, err := c.pods.Agent(id)
	if err != nil {
		return spec.UnitView{}, err
	}
	v, err := agent.Unit()
	if err == nil {
		c.keepState(u, v.UnitState)
	}
	return v, err
}

// SetConfig sets config options, as `juju config`: every unit gets
// config-changed.
func (c *Controller) SetConfig(values map[string]any) error {
	if err := c.mine("set config"); err != nil {
		return err
	}
	c.rec.Act(spec.Record{Type: spec.RecConfig, Message: fmt.Sprint(values)})
	for _, u := range c.Alive() {
		agent, err := c.pods.Agent(u.ID)
		if err != nil {
			return err
		}
		if err := agent.SetConfig(values); err != nil {
			return err
		}
	}
	return nil
}

// RunAction runs an action on a unit, as `juju run`, and waits for it.
func (c *Controller) RunAction(id spec.UnitID, name string, params map[string]any) (spec.ActionResult, error) {
	if err := c.mine("run an action"); err != nil {
		return spec.ActionResult{}, err
	}
	agent, err := c.pods.Agent(id)
	if err != nil {
		return spec.ActionResult{}, err
	}
	c.rec.Act(spec.Record{Type: spec.RecRunAction, Unit: id, Message: name})
	// Juju's own `juju run` waits 10 minutes by default.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return agent.RunAction(ctx, name, params)
}

// Relation plays a related application's doing on every unit.
func (c *Controller) Relation(op spec.RelationOp) (spec.RelationOp, error) {
	if err := c.mine("relate"); err != nil {
		return op, err
	}
	c.mu.Lock()
	if op.Op == spec.RelateOp {
		op.ID = c.nextRelation()
	}
	c.relations = append(c.relations, op)
	c.mu.Unlock()
	c.rec.Act(spec.Record{Type: spec.RecRelation, Relation: &op})
	for _, u := range c.Alive() {
		agent, err := c.pods.Agent(u.ID)
		if err != nil {
			return op, err
		}
		if err := agent.Relation(op); err != nil {
			return op, err
		}
	}
	return op, nil
}

// nextRelation is the id the controller gives a new relation: after those
// at deploy and those related since; c.mu is held.
func (c *Controller) nextRelation() int {
	n := len(spec.InitialRelations(c.charm.Charm, nil))
	for _, op := range c.relations {
		if op.Op == spec.RelateOp {
			n++
		}
	}
	return n
}

// peerDataOf is a copy of a peer relation's data, for a new unit; c.mu
// is held.
func (c *Controller) peerDataOf(id int) map[string]map[string]string {
	out := map[string]map[string]string{}
	for owner, d := range c.peerData[id] {
		out[owner] = maps.Clone(d)
	}
	return out
}
