package docker

import (
	"context"
	"fmt"
	"os"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// prepareCharm builds the charm container's image for a charm of your
// own (realpod.CharmImage).
func (d *Docker) prepareCharm(ctx context.Context, c *spec.RealCharm) error {
	tag, err := realpod.CharmImage(ctx, os.Stderr, c)
	if err != nil {
		return err
	}
	d.charmImage = tag
	return nil
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
