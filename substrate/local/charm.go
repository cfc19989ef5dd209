package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
)

// A real charm's charm container holds what Juju's does (JUJU-CONTRACT.md
// §1.1): the charm dir on the charm-data volume at /var/lib/juju, the
// hook tools linked to jujuc, and the agent running dispatch. Its Python
// is this machine's (/usr read-only): the venv points at it.
const (
	jujuDir  = "/var/lib/juju"
	jujucBin = "/charm/bin/jujuc"
	// realSocketsDir is where a real charm's agent reaches the workloads'
	// own Pebble sockets, behind the proxies it serves the charm.
	realSocketsDir = "/charm/workloads"
	// hookRetry is Juju's first hook retry delay (retrystrategy.go: 5 s,
	// doubling to 5 min).
	hookRetry, hookRetryLimit = 5 * time.Second, 5 * time.Minute
)

// prepareCharm readies a real charm for the run: its venv (built once).
func (l *Local) prepareCharm(ctx context.Context, c *spec.RealCharm) error {
	venv, err := charms.Venv(ctx, c, os.Stderr)
	if err != nil {
		return err
	}
	l.venv = venv
	return nil
}

// initialState is what the controller holds for a new unit: the config
// (defaults, then what the scenario set), leadership for the leader's
// unit, and the peer relations with their data; l.mu is held.
func (l *Local) initialState(u *unit) spec.UnitState {
	id := u.id
	c := l.charm.Charm
	st := spec.UnitState{Name: string(id), Leader: id == l.leaderLocked(), Config: map[string]any{}, Address: "127.0.0.1"}
	for name, o := range c.Meta.Config {
		st.Config[name] = o.Default
	}
	for name, v := range c.Config {
		st.Config[name] = v
	}
	for name, kind := range c.Meta.Resources {
		if kind != "file" {
			continue
		}
		if st.Resources == nil {
			st.Resources = map[string]string{}
		}
		st.Resources[name] = ""
		if src, ok := c.Resources[name]; ok {
			st.Resources[name] = filepath.Join(jujuDir, unitDir(l.charm.App, id), "resources", name, filepath.Base(src))
		}
	}
	for _, op := range spec.InitialRelations(c, u.peers) {
		data := map[string]map[string]string{}
		if op.RemoteApp == c.Meta.Name {
			data = l.peerDataOf(op.ID)
		}
		st.Relations = append(st.Relations, spec.Relation{ID: op.ID, Endpoint: op.Endpoint, RemoteApp: op.RemoteApp,
			Units: op.Units, Data: data})
	}
	return st
}

// Relation plays a related application's doing on every unit.
func (l *Local) Relation(op spec.RelationOp) (spec.RelationOp, error) {
	if l.charm == nil || l.charm.Charm == nil {
		return op, fmt.Errorf("cannot relate: no charm of your own is deployed")
	}
	l.mu.Lock()
	if op.Op == spec.RelateOp {
		op.ID = l.nextRelation()
	}
	l.relations = append(l.relations, op)
	l.mu.Unlock()
	l.Act(spec.Record{Type: spec.RecRelation, Relation: &op})
	for _, u := range l.alive() {
		p, err := l.livePod(u.id)
		if err != nil {
			return op, err
		}
		if err := p.agent.Relation(op); err != nil {
			return op, err
		}
	}
	return op, nil
}

// nextRelation is the id the controller gives a new relation: after those
// at deploy and those related since.
func (l *Local) nextRelation() int {
	n := len(spec.InitialRelations(l.charm.Charm, nil))
	for _, op := range l.relations {
		if op.Op == spec.RelateOp {
			n++
		}
	}
	return n
}

// unitDir is the unit's agent directory under /var/lib/juju.
func (p *pod) unitDir() string { return unitDir(p.l.charm.App, p.u.id) }

func unitDir(app string, id spec.UnitID) string {
	return fmt.Sprintf("agents/unit-%s-%d", app, id.Index())
}

// layCharm copies the charm into the pod's charm-data volume, as Juju
// downloads it there for each new pod.
func (p *pod) layCharm() error {
	dir := filepath.Join(p.dir, "cd", "juju", p.unitDir(), "charm")
	src := os.DirFS(p.l.charm.Charm.Dir)
	if err := os.CopyFS(dir, src); err != nil {
		return fmt.Errorf("cannot copy the charm into %s's pod: %w", p.u.id, err)
	}
	// The venv is bound over the charm's own (read-only, shared).
	os.RemoveAll(filepath.Join(dir, "venv"))
	if err := os.MkdirAll(filepath.Join(dir, "venv"), 0o755); err != nil {
		return err
	}
	// Attached resources beside the charm, where Juju downloads them.
	for name, src := range p.l.charm.Charm.Resources {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
		dst := filepath.Join(filepath.Dir(dir), "resources", name, filepath.Base(src))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
	}
	return nil
}

// charmAgentConfig is the agent's part for a real charm.
func (p *pod) charmAgentConfig() *charmagent.CharmConfig {
	base := filepath.Join(jujuDir, p.unitDir())
	return &charmagent.CharmConfig{
		Dir: filepath.Join(base, "charm"), ToolsDir: filepath.Join(jujuDir, "tools", filepath.Base(p.unitDir())),
		Jujuc: jujucBin, Path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/charm/bin",
		Meta: p.l.charm.Charm.Meta, RetryDelay: hookRetry, RetryLimit: hookRetryLimit,
		OutputDir: filepath.Join(base, "hook-output"), UpdateStatus: p.l.charm.Charm.UpdateStatus, PebbleReadyFirst: p.l.charm.Charm.PebbleReadyFirst,
	}
}

// charmBinds are the charm container's extra mounts for a real charm.
func (p *pod) charmBinds() []string {
	charmDir := filepath.Join(jujuDir, p.unitDir(), "charm")
	return []string{
		"--ro-bind", "/usr", "/usr",
		"--ro-bind", p.l.bins.Jujuc, jujucBin,
		"--bind", filepath.Join(p.dir, "cd", "juju"), jujuDir,
		"--ro-bind", p.l.venv, filepath.Join(charmDir, "venv"),
	}
}

// usrLinks are the merged-/usr links a Debian root has.
var usrLinks = map[string]string{"/bin": "usr/bin", "/sbin": "usr/sbin", "/lib": "usr/lib", "/lib64": "usr/lib64"}

// terminate plays the pod's SIGTERM for a real charm: the stop hook runs
// within the grace period (30 s), then the controller keeps what the unit
// holds for the next pod.
func (p *pod) terminate() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.agent.Terminate(ctx)
	// The stop hook and its calls into the trace before the pod goes.
	p.l.CatchUp()
	if v, err := p.agent.Unit(); err == nil {
		p.l.keepState(p.u, v.UnitState)
	}
}

// keepState is the controller keeping what it holds for a unit; pods'
// goroutines and the steps' come here.
func (l *Local) keepState(u *unit, st spec.UnitState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u.state = &st
}

func (l *Local) UnitView(id spec.UnitID) (spec.UnitView, error) {
	if u, err := l.unit(id); err == nil && u.removed && u.state != nil {
		// A unit scaling took away: what the controller kept of it.
		return spec.UnitView{UnitState: *u.state}, nil
	}
	p, err := l.livePod(id)
	if err != nil {
		return spec.UnitView{}, err
	}
	v, err := p.agent.Unit()
	if err == nil {
		l.keepState(p.u, v.UnitState)
	}
	return v, err
}

func (l *Local) SetConfig(values map[string]any) error {
	if l.charm == nil || l.charm.Charm == nil {
		return fmt.Errorf("cannot set config: no charm of its own is deployed")
	}
	l.Act(spec.Record{Type: spec.RecConfig, Message: fmt.Sprint(values)})
	for _, u := range l.alive() {
		p, err := l.livePod(u.id)
		if err != nil {
			return err
		}
		if err := p.agent.SetConfig(values); err != nil {
			return err
		}
	}
	return nil
}

func (l *Local) RunAction(id spec.UnitID, name string, params map[string]any) (spec.ActionResult, error) {
	p, err := l.livePod(id)
	if err != nil {
		return spec.ActionResult{}, err
	}
	l.Act(spec.Record{Type: spec.RecRunAction, Unit: id, Message: name})
	// Juju's own `juju run` waits 10 minutes by default.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return p.agent.RunAction(ctx, name, params)
}

// livePod is the unit's pod, if it runs.
func (l *Local) livePod(id spec.UnitID) (*pod, error) {
	u, err := l.unit(id)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	p := u.pod
	l.mu.Unlock()
	if p == nil || p.gone() {
		return nil, fmt.Errorf("cannot reach %s: its pod is not running", id)
	}
	return p, nil
}

// KeepLogs keeps, for a charm of your own, each hook's stdout and stderr
// (the agent writes them to the pod's charm-data volume), per unit.
func (l *Local) KeepLogs(dir string) []string {
	if l.charm == nil || l.charm.Charm == nil {
		return nil
	}
	var kept []string
	for _, u := range l.units {
		p := u.pod
		if p == nil || p.gone() {
			continue
		}
		src := filepath.Join(p.dir, "cd", "juju", p.unitDir(), "hook-output")
		dst := filepath.Join(dir, strings.ReplaceAll(string(u.id), "/", "-"))
		if err := os.CopyFS(dst, os.DirFS(src)); err == nil {
			kept = append(kept, dst)
		}
		// What the charm logged (ops logs through juju-log, tracebacks
		// included), as juju debug-log would show it.
		if v, err := p.agent.Unit(); err == nil {
			var b strings.Builder
			for _, line := range v.Logs {
				fmt.Fprintf(&b, "%s %s: %s\n", line.Hook, line.Level, line.Message)
			}
			os.WriteFile(filepath.Join(dst, "juju-log.txt"), []byte(b.String()), 0o644)
		}
	}
	return kept
}
