package docker

import (
	"context"
	"fmt"
	"os"

	"github.com/testcontainers/testcontainers-go"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// A charm of your own runs in a charm container made as Juju's is
// (../shared/JUJU-CONTRACT.md §1.1): Debian's python3 at its venv's
// version, the charm dir and the hook tools on the charm-data volume at
// /var/lib/juju, the agent under the container's own Pebble.

// prepareCharm builds the charm container's image for a charm of your
// own: its venv (built once, then cached) and the charm staged in it.
func (d *Docker) prepareCharm(ctx context.Context, c *spec.RealCharm) error {
	for name, src := range c.Resources {
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("cannot attach resource %q: %s is not a file (a file resource is one file: attach that)", name, src)
		}
	}
	venv, err := charms.Venv(ctx, c, os.Stderr)
	if err != nil {
		return err
	}
	tag, err := images.CharmImage(ctx, os.Stderr, c.Meta.Name, c.Dir, venv)
	if err != nil {
		return err
	}
	d.charmImage = tag
	return nil
}

// resourceFiles are the charm's attached file resources, laid on the
// new charm container's charm-data where Juju downloads them for each
// new pod (realpod.ResourcePath), before the container starts.
func (p *pod) resourceFiles(container string) []testcontainers.ContainerFile {
	c := p.d.charm.Charm
	if c == nil || container != spec.CharmContainer {
		return nil
	}
	var out []testcontainers.ContainerFile
	for name, src := range c.Resources {
		out = append(out, testcontainers.ContainerFile{HostFilePath: src, ContainerFilePath: realpod.ResourcePath(p.d.charm.App, p.u.id, name, src), FileMode: 0o644})
	}
	return out
}

// The controller's part, played by d.ctl (realpod.Controller).

func (d *Docker) UnitView(id spec.UnitID) (spec.UnitView, error) { return d.ctl.UnitView(id) }
func (d *Docker) SetConfig(values map[string]any) error          { return d.ctl.SetConfig(values) }
func (d *Docker) MoveLeader(id spec.UnitID) error                { return d.ctl.MoveLeader(id) }
func (d *Docker) Scale(n int) error                              { return d.ctl.Scale(n) }
func (d *Docker) Relation(op spec.RelationOp) (spec.RelationOp, error) {
	return d.ctl.Relation(op)
}
func (d *Docker) RunAction(id spec.UnitID, name string, params map[string]any) (spec.ActionResult, error) {
	return d.ctl.RunAction(id, name, params)
}

// Agent is the charm agent of the unit's running pod (realpod.Pods).
func (d *Docker) Agent(id spec.UnitID) (*charmagent.Client, error) {
	p, err := d.running(id)
	if err != nil {
		return nil, err
	}
	if !p.started() {
		return nil, fmt.Errorf("the pod of %s is starting", id)
	}
	return p.agent, nil
}

// StartPod starts the first pod of a unit scaling added (realpod.Pods).
func (d *Docker) StartPod(cu *realpod.Unit) error {
	u := &unit{d: d, id: cu.ID, ctl: cu}
	d.mu.Lock()
	d.units = append(d.units, u)
	d.mu.Unlock()
	d.startPod(u)
	return nil
}

// RemovePod tears down the pod of a unit scaling removed (realpod.Pods).
func (d *Docker) RemovePod(id spec.UnitID) {
	if p, err := d.running(id); err == nil {
		p.teardown()
	}
}
