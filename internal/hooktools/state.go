// Package hooktools is tandem's own implementation of Juju's hook tools
// (jujuc): the commands a charm runs during a hook to read and change what
// Juju holds for its unit (config, status, leadership, ports, action
// results, its log). Juju's code cannot be imported (an internal package,
// AGPL); this follows the argument forms ops 2.x and 3.x send and the
// output they parse (../shared/JUJU-CONTRACT.md §2.2).
//
// The tools are one multi-call binary (fixtures/jujuc) that sends each
// call to the unit agent over a unix socket; the agent answers it from a
// Hook, the context of the hook that runs. What a hook changes is applied
// only if the hook exits 0, as Juju flushes a hook's context only then.
package hooktools

import (
	"maps"
	"slices"
	"sync"

	"github.com/tandem-harness/tandem/spec"
)

// The unit's state is spec's: the harness reads it as the controller.
type (
	Unit     = spec.UnitState
	Status   = spec.Status
	LogLine  = spec.LogLine
	Action   = spec.ActionRun
	Relation = spec.Relation
)

// Store holds a unit's state between hooks; the agent owns it.
type Store struct {
	mu sync.Mutex
	u  Unit
}

// NewStore starts a unit's state. Until the charm sets a status, the
// charm reads "unknown" through status-get, as from Juju.
func NewStore(u Unit) *Store {
	if u.UnitStatus.Status == "" {
		u.UnitStatus = Status{Status: "unknown"}
	}
	if u.AppStatus.Status == "" {
		u.AppStatus = Status{Status: "unknown"}
	}
	return &Store{u: u}
}

// Snapshot is a copy of the unit's state.
func (s *Store) Snapshot() Unit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.u)
}

// Update changes the state outside a hook (the controller's part: config
// set, leadership given).
func (s *Store) Update(fn func(u *Unit)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.u)
}

func clone(u Unit) Unit {
	out := u
	out.Config = maps.Clone(u.Config)
	out.Ports = slices.Clone(u.Ports)
	out.LeaderData = maps.Clone(u.LeaderData)
	out.State = maps.Clone(u.State)
	out.Logs = slices.Clone(u.Logs)
	out.Storage = maps.Clone(u.Storage)
	out.Secrets = cloneSecrets(u.Secrets)
	out.Resources = maps.Clone(u.Resources)
	out.Relations = nil
	for _, r := range u.Relations {
		r.Units = slices.Clone(r.Units)
		data := map[string]map[string]string{}
		for k, v := range r.Data {
			data[k] = maps.Clone(v)
		}
		r.Data = data
		out.Relations = append(out.Relations, r)
	}
	return out
}
