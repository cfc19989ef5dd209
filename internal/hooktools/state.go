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
)

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

// Action is a running action: its parameters, and what the charm said.
type Action struct {
	Name    string         `json:"name"`
	ID      string         `json:"id"`
	Params  map[string]any `json:"params,omitempty"`
	Results map[string]any `json:"results,omitempty"`
	Logs    []string       `json:"logs,omitempty"`
	Failed  bool           `json:"failed,omitempty"`
	Message string         `json:"message,omitempty"`
}

// Unit is what Juju holds for a unit and its application, as the hook
// tools read and change it.
type Unit struct {
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
}

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
	return s.u.clone()
}

// Update changes the state outside a hook (the controller's part: config
// set, leadership given).
func (s *Store) Update(fn func(u *Unit)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.u)
}

func (u Unit) clone() Unit {
	out := u
	out.Config = maps.Clone(u.Config)
	out.Ports = slices.Clone(u.Ports)
	out.LeaderData = maps.Clone(u.LeaderData)
	out.State = maps.Clone(u.State)
	out.Logs = slices.Clone(u.Logs)
	out.Storage = maps.Clone(u.Storage)
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
