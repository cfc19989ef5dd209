package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// A real charm's charm container holds what Juju's does (JUJU-CONTRACT.md
// §1.1): the charm dir on the charm-data volume at /var/lib/juju, the
// hook tools linked to jujuc, and the agent running dispatch. Its Python
// is this machine's (/usr read-only): the venv points at it.
const (
	jujuDir  = spec.JujuDir
	jujucBin = sidecar.Jujuc
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

// Agent is the charm agent of the unit's running pod (realpod.Pods).
func (l *Local) Agent(id spec.UnitID) (*charmagent.Client, error) {
	p, err := l.livePod(id)
	if err != nil {
		return nil, err
	}
	return p.agent, nil
}

// StartPod starts the first pod of a unit scaling added (realpod.Pods).
func (l *Local) StartPod(cu *realpod.Unit) error {
	u := &unit{id: cu.ID, ctl: cu}
	l.mu.Lock()
	l.units = append(l.units, u)
	l.mu.Unlock()
	return l.startPod(u)
}

// RemovePod tears down the pod of a unit scaling removed (realpod.Pods).
func (l *Local) RemovePod(id spec.UnitID) {
	if p, err := l.livePod(id); err == nil {
		p.teardown()
	}
}

// unitDir is the unit's agent directory under /var/lib/juju.
func (p *pod) unitDir() string { return spec.UnitDir(p.l.charm.App, p.u.id) }

// layCharm copies the charm into the pod's charm-data volume, as Juju
// downloads it there for each new pod.
func (p *pod) layCharm() error {
	return realpod.LayCharm(p.l.charm, p.u.id, filepath.Join(p.dir, "cd", "juju"))
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
