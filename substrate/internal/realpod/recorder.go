package realpod

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
)

// Recorder is a real run's trace and event logs, safe for the goroutines
// that read logs and poll agents.
type Recorder struct {
	Epoch     time.Time
	substrate string
	profile   spec.TimingProfile
	seed      int64
	scenario  string
	played    []string

	mu     sync.Mutex
	trace  []spec.Record
	events map[spec.UnitID][]spec.Event
	errs   []string

	streams streams

	// passOn takes a hook's changes to its peer relations, where the
	// substrate plays the controller that passes them on.
	passOn func(spec.Event)
}

// NewRecorder starts a trace now.
func NewRecorder(substrate string, profile spec.TimingProfile, seed int64, scenario string) *Recorder {
	return &Recorder{Epoch: time.Now(), substrate: substrate, profile: profile, seed: seed, scenario: scenario, events: map[spec.UnitID][]spec.Event{}}
}

// Plays says which record types this substrate makes itself, playing a
// part of the platform it lacks; the trace's header names them.
func (r *Recorder) Plays(types ...string) { r.played = types }

// Now is the time since the run started.
func (r *Recorder) Now() time.Duration { return time.Since(r.Epoch) }

func (r *Recorder) record(kind spec.RecordKind, rec spec.Record) {
	if rec.At == 0 {
		rec.At = r.Now()
	}
	rec.Kind = kind
	r.mu.Lock()
	r.trace = append(r.trace, rec)
	r.mu.Unlock()
}

// Observe records what was seen.
func (r *Recorder) Observe(rec spec.Record) { r.record(spec.KindObservation, rec) }

// Act records what the scenario did.
func (r *Recorder) Act(rec spec.Record) {
	rec.Source = spec.SourceScenario
	r.record(spec.KindAction, rec)
}

// PassOn sets what takes each hook's changes to its peer relations (its
// event's Published), as the hook ends: the substrate that runs a charm
// of your own plays the controller that passes them to the other units.
func (r *Recorder) PassOn(fn func(spec.Event)) { r.passOn = fn }

// Relayed records a peer's change passed on to the other units: the
// charm's doing, which the model replays as the controller's.
func (r *Recorder) Relayed(op spec.RelationOp) {
	r.record(spec.KindAction, spec.Record{Type: spec.RecRelation, Source: spec.SourceYourCharm, Unit: op.From, Relation: &op})
}

// Failf notes a failure of the harness's own (a container it could not
// restart), which fails the scenario when it ends.
func (r *Recorder) Failf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// Err is the harness's failures, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(r.errs, "; "))
}

// Trace is the trace so far, in time order.
func (r *Recorder) Trace() *spec.Trace {
	r.mu.Lock()
	recs := append([]spec.Record(nil), r.trace...)
	r.mu.Unlock()
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].At < recs[j].At })
	return &spec.Trace{
		Header:  spec.TraceHeader{Format: spec.TraceFormat, Version: spec.TraceVersion, Substrate: r.substrate, Profile: r.profile, Seed: r.seed, Scenario: r.scenario, Played: r.played},
		Records: recs,
	}
}

// AddEvent takes an event the charm agent logged into the unit's log and
// the trace; a check-recovered event is also the check going up (Pebble
// logs nothing when a check recovers).
func (r *Recorder) AddEvent(unit spec.UnitID, containers []string, e spec.Event) {
	r.EventBegan(unit, containers, e)
	r.EventEnded(unit, e)
}

// EventBegan puts an event in the trace when its hook begins, as the
// model does; the unit's log gets it when the hook ends (EventEnded), with
// how it went.
func (r *Recorder) EventBegan(unit spec.UnitID, containers []string, e spec.Event) {
	r.Observe(spec.Record{At: e.At, Type: spec.RecEvent, Unit: unit, Message: e.Name, Key: e.Key})
	for _, c := range containers {
		if e.Name == spec.CheckRecovered(c) {
			r.Observe(spec.Record{At: e.At, Type: spec.RecCheck, Unit: unit, Container: c, Check: e.Key, State: "up"})
		}
	}
}

// EventEnded puts an event whose hook ended into the unit's log; in the
// trace, a charm of your own's hook gets how long it ran and, if it
// failed, is marked so: the model takes both from there.
func (r *Recorder) EventEnded(unit spec.UnitID, e spec.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events[unit] = append(r.events[unit], e)
	if e.Exit == 0 && e.Took == 0 {
		return
	}
	for i := len(r.trace) - 1; i >= 0; i-- {
		rec := &r.trace[i]
		if rec.Type == spec.RecEvent && rec.Unit == unit && rec.At == e.At && rec.Message == e.Name {
			rec.Took = e.Took
			if e.Exit != 0 {
				rec.State = spec.HookFailed
			}
			return
		}
	}
}

// EndQueue records, at a scenario's end, the events a unit's agent had
// queued and not yet run: Juju's agent decided on them, so they count in
// the event sequence, as the model counts what its agents still queue
// (simulator's endQueues), or had run already.
//
// The agent is frozen first (no hook starts after), so no event is both
// queued here and begun in the trace, or neither: the caller catches the
// event polls up after.
func (r *Recorder) EndQueue(agent *charmagent.Client, unit spec.UnitID) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	queued, err := agent.Freeze(ctx)
	if err != nil {
		return
	}
	for _, e := range queued {
		r.Observe(spec.Record{Type: spec.RecEvent, Unit: unit, Message: e.Name, Key: e.Key, State: spec.EventQueued})
	}
}

// Events is a unit's event log across its pods.
func (r *Recorder) Events(unit spec.UnitID) []spec.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]spec.Event(nil), r.events[unit]...)
}

// PebbleOf finds a unit's container's Pebble as the charm reaches it.
type PebbleOf func(unit spec.UnitID, container string) (spec.PebbleClient, error)

// Do records a charm action and performs it through the container's real
// Pebble, as the charm would: what every real substrate's Do is.
func (r *Recorder) Do(pebble PebbleOf, id spec.UnitID, a spec.Action) error {
	r.Act(spec.Record{Type: spec.RecPebble, Unit: id, Container: a.Container, Action: &a})
	pc, err := pebble(id, a.Container)
	if err != nil {
		return err
	}
	c := pc.(*client.Client)
	// The scenario's own call does not wait for its change: a check
	// says what it waits for.
	_, err = spec.Perform(c, spec.RealExec{Client: c}, a)
	r.Answer(id, a.Container, a.String(), spec.ActionAnswer(a, nil, err))
	return err
}

// Answer records what Pebble answered the scenario (an action's outcome,
// a health query), for the comparison.
func (r *Recorder) Answer(unit spec.UnitID, container, question, answer string) {
	r.Observe(spec.Record{Type: spec.RecAnswer, Unit: unit, Container: container, Message: question, State: answer})
}

// Exec records a command the charm runs in a workload container and runs
// it through that container's real Pebble.
func (r *Recorder) Exec(pebble PebbleOf, id spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	a := spec.Action{Kind: spec.ActExec, Container: container, Command: command}
	r.Act(spec.Record{Type: spec.RecPebble, Unit: id, Container: container, Action: &a})
	pc, err := pebble(id, container)
	if err != nil {
		return spec.ExecResult{}, err
	}
	res, err := spec.RealExec{Client: pc.(*client.Client)}.Run(command, 10*time.Second)
	r.Answer(id, container, a.String(), spec.ActionAnswer(a, &res, err))
	return res, err
}
