package spec

import (
	"fmt"
	"maps"
	"slices"
)

// What Juju's controller holds for a real charm's unit, which the hook
// tools read and change and the scenario checks.

// Status is a unit's or the application's workload status.
type Status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// LogLine is a line the charm logged through juju-log.
type LogLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Hook    string `json:"hook"`
}

// ActionRun is a running action: its parameters, and what the charm said.
type ActionRun struct {
	Name    string         `json:"name"`
	ID      string         `json:"id"`
	Params  map[string]any `json:"params,omitempty"`
	Results map[string]any `json:"results,omitempty"`
	Logs    []string       `json:"logs,omitempty"`
	Failed  bool           `json:"failed,omitempty"`
	Message string         `json:"message,omitempty"`
}

// UnitState is what Juju holds for a unit and its application, as the hook
// tools read and change it.
type UnitState struct {
	Name   string `json:"name"`
	Leader bool   `json:"leader"`
	// Config is every option's value: the defaults, with what the
	// operator set over them (nil: unset, no default).
	Config     map[string]any    `json:"config,omitempty"`
	UnitStatus Status            `json:"unit-status"`
	AppStatus  Status            `json:"app-status"`
	Version    string            `json:"version,omitempty"`
	Ports      []string          `json:"ports,omitempty"`
	LeaderData map[string]string `json:"leader-data,omitempty"`
	State      map[string]string `json:"state,omitempty"`
	Logs       []LogLine         `json:"logs,omitempty"`
	// Storage maps each storage instance ("data/0") to its location.
	Storage   map[string]string `json:"storage,omitempty"`
	Relations []Relation        `json:"relations,omitempty"`
	// Address is the unit's ingress address (its pod's IP).
	Address string `json:"address,omitempty"`
	// Secrets are the secrets the charm owns: its application's and its
	// unit's.
	Secrets []Secret `json:"secrets,omitempty"`
	// Resources maps each file resource the charm declares to where the
	// unit finds it, "" where none was attached.
	Resources map[string]string `json:"resources,omitempty"`
}

// Secret is a Juju secret the charm owns, with every revision of its
// content and the grants it gave.
type Secret struct {
	// ID is its URI, "secret:<xid>".
	ID string `json:"id"`
	// Owner is "application" (the leader manages it) or "unit".
	Owner       string `json:"owner"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	// Expire is an RFC 3339 time, Rotate a rotation policy (hourly,
	// daily, ...): kept as the charm set them, neither acted on.
	Expire    string           `json:"expire,omitempty"`
	Rotate    string           `json:"rotate,omitempty"`
	Revisions []SecretRevision `json:"revisions"`
	Grants    []SecretGrant    `json:"grants,omitempty"`
}

// SecretRevision is one revision of a secret's content.
type SecretRevision struct {
	Revision int               `json:"revision"`
	Content  map[string]string `json:"content"`
}

// SecretGrant lets a related application, or one unit of it, read a
// secret.
type SecretGrant struct {
	Relation int    `json:"relation"`
	Unit     string `json:"unit,omitempty"`
}

// Latest is the secret's newest revision.
func (s Secret) Latest() SecretRevision {
	if len(s.Revisions) == 0 {
		return SecretRevision{}
	}
	return s.Revisions[len(s.Revisions)-1]
}

// Relation is one relation of the unit's application: its endpoint, the
// other side, and the data each side holds, by unit or application name.
type Relation struct {
	ID        int                          `json:"id"`
	Endpoint  string                       `json:"endpoint"`
	RemoteApp string                       `json:"remote-app"`
	Units     []string                     `json:"units,omitempty"`
	Data      map[string]map[string]string `json:"data,omitempty"`
}

// Ref is the relation as Juju names it in JUJU_RELATION_ID ("db:3").
func (r Relation) Ref() string { return fmt.Sprintf("%s:%d", r.Endpoint, r.ID) }

// UnitView is a real charm's unit as the controller shows it: what the
// hook tools hold, and the hook it is stuck on, if any.
type UnitView struct {
	UnitState
	// Error is Juju's error status while a hook fails (`hook failed:
	// "install"`), "" otherwise.
	Error string `json:"error,omitempty"`
}

// ActionResult is how an action went, as `juju run` reports it.
type ActionResult struct {
	ActionRun
	// Status is "completed" or "failed".
	Status string `json:"status"`
	// Stderr is the end of what the action printed on standard error.
	Stderr string `json:"stderr,omitempty"`
}

// RelationOp is what the other side of a relation did, as Juju's
// controller passes it on: a related application (played by the
// scenario) related on an endpoint, changed its data, a unit of it
// joined or departed, or the relation removed; or, on a peer relation,
// another unit of the charm's own application.
type RelationOp struct {
	Op        string `json:"op"` // RelateOp, JoinOp, ChangeOp, DepartOp or RemoveOp
	ID        int    `json:"id"`
	Endpoint  string `json:"endpoint"`
	RemoteApp string `json:"remote-app"`
	// Units are the remote units a relate or a join brings; Unit the one
	// a change or departure is of ("" for the application's own data).
	Units []string `json:"units,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	// Data are the keys a change sets; an empty value deletes its key,
	// as relation-set does.
	Data map[string]string `json:"data,omitempty"`
	// From is, on a peer relation, the unit whose hook made the change:
	// it gets no hook for its own doing.
	From UnitID `json:"from,omitempty"`
}

// RelationOp kinds.
const (
	RelateOp = "relate"
	JoinOp   = "join"
	ChangeOp = "change"
	DepartOp = "depart"
	RemoveOp = "remove"
)

// Members is a relation's remote units after the op (a join adds those
// it did not have, a departure takes its unit away), and those the join
// added.
func (op RelationOp) Members(units []string) (after, joined []string) {
	after = slices.Clone(units)
	switch op.Op {
	case JoinOp:
		for _, u := range op.Units {
			if !slices.Contains(after, u) {
				after = append(after, u)
				joined = append(joined, u)
			}
		}
	case DepartOp:
		after = slices.DeleteFunc(after, func(u string) bool { return u == op.Unit })
	}
	return after, joined
}

// ApplyData changes a relation's data, by owner, as the op does: a change
// sets its keys in its unit's bag, or in the remote application's (an
// empty value deletes, as relation-set does); a departure drops its
// unit's bag.
func (op RelationOp) ApplyData(data map[string]map[string]string, remoteApp string) {
	switch op.Op {
	case ChangeOp:
		owner := op.Unit
		if owner == "" {
			owner = remoteApp
		}
		if data[owner] == nil {
			data[owner] = map[string]string{}
		}
		for k, v := range op.Data {
			data[owner][k] = v
			if v == "" {
				delete(data[owner], k)
			}
		}
	case DepartOp:
		delete(data, op.Unit)
	}
}

// PeerOps are what the controller tells the other units when a unit of
// the charm's application joins (JoinOp) or goes (DepartOp): one op per
// peer relation, from that unit.
func PeerOps(c *RealCharm, kind string, unit UnitID) []RelationOp {
	var out []RelationOp
	for _, rel := range InitialRelations(c, nil) {
		if rel.RemoteApp != c.Meta.Name {
			continue
		}
		op := RelationOp{Op: kind, ID: rel.ID, Endpoint: rel.Endpoint, RemoteApp: rel.RemoteApp, From: unit}
		if kind == JoinOp {
			op.Units = []string{string(unit)}
		} else {
			op.Unit = string(unit)
		}
		out = append(out, op)
	}
	return out
}

// KnownTo says whether a unit whose relation has these remote units gets
// the op's hooks: a peer's change about a unit it does not have yet needs
// none (its joined and changed will see the data); any other op, it does.
func (op RelationOp) KnownTo(members []string) bool {
	if op.From == "" || op.Op != ChangeOp || op.Unit == "" {
		return true
	}
	return slices.Contains(members, op.Unit)
}

// For says whether a unit gets the op's hooks: all do but the peer whose
// doing it was.
func (op RelationOp) For(unit UnitID) bool { return unit != op.From }

// RelationEvents are the hooks Juju runs on each unit of the charm for a
// relation op (JUJU-CONTRACT.md §3), with the remote unit each is about:
// relate gives created, then joined and changed for each remote unit;
// a change, changed; a departure, departed; a removal, departed for each
// unit left, then broken.
func (op RelationOp) RelationEvents(unitsLeft []string) []RelationEvent {
	ep := op.Endpoint
	var out []RelationEvent
	switch op.Op {
	case RelateOp:
		out = append(out, RelationEvent{ep + "-relation-created", ""})
		for _, u := range op.Units {
			out = append(out, RelationEvent{ep + "-relation-joined", u}, RelationEvent{ep + "-relation-changed", u})
		}
	case JoinOp:
		for _, u := range op.Units {
			out = append(out, RelationEvent{ep + "-relation-joined", u}, RelationEvent{ep + "-relation-changed", u})
		}
	case ChangeOp:
		out = append(out, RelationEvent{ep + "-relation-changed", op.Unit})
	case DepartOp:
		out = append(out, RelationEvent{ep + "-relation-departed", op.Unit})
	case RemoveOp:
		for _, u := range unitsLeft {
			out = append(out, RelationEvent{ep + "-relation-departed", u})
		}
		out = append(out, RelationEvent{ep + "-relation-broken", ""})
	}
	return out
}

// RelationEvent is one relation hook and the remote unit it is about.
type RelationEvent struct {
	Name, Remote string
}

// PeersOf are, for unit i of an application deployed as n units, the
// others: its peers from the start.
func PeersOf(app string, n, i int) []string {
	var out []string
	for j := 0; j < n; j++ {
		if j != i {
			out = append(out, string(NewUnitID(app, j)))
		}
	}
	return out
}

// InitialRelations are the relations a charm of your own's unit has when
// it comes, with the ids Juju's controller gives them: its peers (by
// endpoint name), with the application's other units in them, then those
// the scenario related before the deploy, in order.
func InitialRelations(c *RealCharm, peerUnits []string) []RelationOp {
	var out []RelationOp
	for _, ep := range slices.Sorted(maps.Keys(c.Meta.Peers)) {
		out = append(out, RelationOp{Op: RelateOp, ID: len(out), Endpoint: ep, RemoteApp: c.Meta.Name, Units: slices.Clone(peerUnits)})
	}
	for _, op := range c.Relations {
		op.ID = len(out)
		out = append(out, op)
	}
	return out
}
