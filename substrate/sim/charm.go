package sim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
	"github.com/tandem-harness/tandem/substrate/internal/rundir"
)

// A charm of your own on sim (issue 16). The model decides which hook
// runs when, as Juju's uniter does, and answers every Pebble call; the
// charm's code runs as on local, under the same agent, in a sandbox of
// its own where each workload's Pebble socket is the model's Pebble API
// (internal/pebbleapi). The agent is driven: it runs a hook only when the
// model's order reaches it. Time stands still while a hook runs (the
// model's clock holds) and moves while the hook waits for a change.

// charmRunner is the model's simulator.CharmRunner, and the controller's
// realpod.Pods. Its methods run with the model's lock held.
type charmRunner struct {
	s    *Sim
	cs   *spec.CharmSpec
	bins binaries.Set
	venv string
	dir  string // the run's: each pod's charm-data and sockets under it
	ctl  *realpod.Controller

	agents map[spec.UnitID]*agentProc
	// hooks is the hook each unit runs now, held on the model's clock.
	hooks map[spec.UnitID]*simulator.Hold
	// actions is the last action each unit ran, until RunAction takes it.
	actions map[spec.UnitID]*spec.ActionResult
	runs    sync.WaitGroup
	// rec is the controller's record: only its failures (a peer's data it
	// could not pass on) are read, as the model's Err.
	rec    *realpod.Recorder
	closed bool
}

var _ simulator.CharmRunner = (*charmRunner)(nil)

// newCharmRunner readies a charm of your own for the model: the agent
// and hook tools (built once), its venv (built once), a run directory.
func newCharmRunner(ctx context.Context, s *Sim, cs *spec.CharmSpec, runID string) (*charmRunner, error) {
	if _, err := exec.LookPath("bwrap"); err != nil {
		return nil, fmt.Errorf("cannot run charm %s on sim: bwrap is missing (apt-get install -y bubblewrap): its code runs in a sandbox of its own", cs.Charm.Meta.Name)
	}
	bins, err := binaries.Ensure(ctx, os.Stderr)
	if err != nil {
		return nil, err
	}
	venv, err := charms.Venv(ctx, cs.Charm, os.Stderr)
	if err != nil {
		return nil, err
	}
	dir, err := rundir.New(runID + "-sim")
	if err != nil {
		return nil, err
	}
	r := &charmRunner{s: s, cs: cs, bins: bins, venv: venv, dir: dir,
		agents: map[spec.UnitID]*agentProc{}, hooks: map[spec.UnitID]*simulator.Hold{}, actions: map[spec.UnitID]*spec.ActionResult{}}
	// The controller's own record is the model's trace here: what it
	// records for a real substrate's run is not kept.
	r.rec = realpod.NewRecorder("sim", s.m.Profile(), s.m.Seed(), "")
	r.ctl = realpod.NewController(r.rec, r, cs, "127.0.0.1")
	return r, nil
}

// AgentUp starts the agent of the unit's pod incarnation pod: a new pod
// gets a charm-data of its own, with the charm laid in it.
func (r *charmRunner) AgentUp(unit spec.UnitID, pod int) error {
	if r.closed {
		return fmt.Errorf("cannot start %s's agent: the scenario has ended", unit)
	}
	if a := r.agents[unit]; a != nil {
		r.AgentDown(unit)
	}
	a, err := startAgent(r, unit, pod)
	if err != nil {
		return err
	}
	r.agents[unit] = a
	return nil
}

// Introduce introduces the unit's pod with what the controller holds.
func (r *charmRunner) Introduce(unit spec.UnitID, isNew bool) error {
	cu, err := r.ctl.Unit(unit)
	if err != nil {
		return err
	}
	a := r.agents[unit]
	if a == nil {
		return fmt.Errorf("cannot introduce %s: its agent is not up", unit)
	}
	return r.ctl.Introduce(cu, a.client)
}

// AgentDown stops the unit's agent, its hook with it, once the
// controller has kept what the unit holds for its next pod.
func (r *charmRunner) AgentDown(unit spec.UnitID) {
	a := r.agents[unit]
	if a == nil {
		return
	}
	r.ctl.Keep(unit, a.client)
	delete(r.agents, unit)
	a.stop()
	if h := r.hooks[unit]; h != nil {
		delete(r.hooks, unit)
		h.Release()
	}
}

// Run runs the event's hook through the unit's agent, holding the
// model's clock until it ends.
func (r *charmRunner) Run(unit spec.UnitID, ev spec.Event, done func(spec.Event)) {
	m := r.s.m
	a := r.agents[unit]
	if a == nil {
		m.Fail(fmt.Errorf("cannot run %s on %s: its agent is not up", ev.Name, unit))
		return
	}
	req := charmagent.RunRequest{Name: ev.Name, Key: ev.Key, Workload: workloadOf(r.cs, ev.Name)}
	if strings.HasSuffix(ev.Name, "-pebble-custom-notice") {
		req.NoticeID = r.noticeID(unit, req.Workload, ev.Key)
	}
	if r.closed {
		return
	}
	var h *simulator.Hold
	h = m.Clock.Hold(fmt.Sprintf("%s's %s hook", unit, ev.Name), func() {
		m.Fail(fmt.Errorf("cannot go on: %s's %s hook ran %s of wall time without waiting on Pebble: on sim, virtual time stands still while a hook runs, so a hook that sleeps (time.sleep) or waits on anything but Pebble cannot go on; wait on a Pebble change, or check again in a later hook",
			unit, ev.Name, m.Clock.HoldBound()))
		a.stop()
	})
	r.hooks[unit] = h
	r.runs.Add(1)
	go func() {
		defer r.runs.Done()
		res, err := a.client.Run(a.ctx, req)
		r.s.mu.Lock()
		defer r.s.mu.Unlock()
		if r.hooks[unit] == h {
			delete(r.hooks, unit)
		}
		h.Release()
		if r.closed || r.agents[unit] != a || a.ctx.Err() != nil {
			return // its agent was stopped, or the scenario ended: the hook died with it
		}
		switch {
		case err != nil:
			m.Fail(fmt.Errorf("cannot run %s on %s: %w", ev.Name, unit, err))
		default:
			if res.Action != nil {
				r.actions[unit] = res.Action
			}
			// The other units' agents hear of its peer data before the
			// model gives them the hooks for it.
			r.ctl.Published(res.Event)
			done(res.Event)
		}
	}()
}

// hookPebble is the model's Pebble of one of a unit's containers as the
// charm's code reaches it: a wait for a change awaits on the hook's hold,
// so virtual time moves while the hook waits.
type hookPebble struct {
	*simulator.Client
	r    *charmRunner
	unit spec.UnitID
}

func (b hookPebble) WaitChange(id string, opts *client.WaitChangeOptions) (*client.Change, error) {
	return b.WaitChangeContext(context.Background(), id, opts)
}

// WaitChangeContext is the wait of a request the charm may hang up (ops
// does after its socket's 5 s): the hook no longer waits then.
func (b hookPebble) WaitChangeContext(ctx context.Context, id string, opts *client.WaitChangeOptions) (*client.Change, error) {
	var timeout = spec.ChangeWait
	if opts != nil {
		timeout = opts.Timeout
	}
	return b.Client.AwaitChange(b.r.hooks[b.unit], id, timeout, ctx.Done())
}

// noticeID is the id of the custom notice a notice event is about.
func (r *charmRunner) noticeID(unit spec.UnitID, container, key string) string {
	u, err := r.s.m.Unit(unit)
	if err != nil {
		return ""
	}
	notices, err := u.Client(container).Notices(&client.NoticesOptions{Types: []client.NoticeType{client.CustomNotice}, Keys: []string{key}})
	if err != nil || len(notices) == 0 {
		return ""
	}
	return notices[len(notices)-1].ID
}

// workloadOf is the container a workload event is about, or "".
func workloadOf(cs *spec.CharmSpec, event string) string {
	for _, name := range cs.ContainerNames() {
		if strings.HasPrefix(event, name+"-pebble-") {
			return name
		}
	}
	return ""
}

// Agent is the unit's running agent (realpod.Pods).
func (r *charmRunner) Agent(id spec.UnitID) (*charmagent.Client, error) {
	if a := r.agents[id]; a != nil {
		return a.client, nil
	}
	return nil, fmt.Errorf("cannot reach %s: its pod is not running", id)
}

// StartPod and RemovePod are scaling's (realpod.Pods): on sim the model
// scales, and the runner follows its pods.
func (r *charmRunner) StartPod(*realpod.Unit) error { return nil }
func (r *charmRunner) RemovePod(spec.UnitID)        {}

// close stops every agent and removes the run directory; the model's
// lock is held, and given up while the hooks' goroutines end. Nothing
// starts after it.
func (r *charmRunner) close() {
	r.closed = true
	for unit, a := range r.agents {
		delete(r.agents, unit)
		a.stop()
	}
	for unit, h := range r.hooks {
		delete(r.hooks, unit)
		h.Release()
	}
	r.s.m.Clock.Abandon()
	r.s.mu.Unlock()
	r.runs.Wait()
	r.s.mu.Lock()
	os.RemoveAll(r.dir)
}

// podDir is where the unit's pod incarnation keeps its charm-data.
func (r *charmRunner) podDir(unit spec.UnitID, pod int) string {
	return filepath.Join(r.dir, fmt.Sprintf("%s-%d", strings.ReplaceAll(string(unit), "/", "-"), pod))
}
