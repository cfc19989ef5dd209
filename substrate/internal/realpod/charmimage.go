package realpod

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/spec"
)

// CharmImage is the charm container's image for a charm of your own, as
// Juju's charm container is made (../shared/JUJU-CONTRACT.md §1.1):
// Debian's python3 at its venv's version (the venv built once, then
// cached), the charm and its attached file resources staged for the
// agent to lay on each new pod's charm-data. log gets a line for what it
// builds.
func CharmImage(ctx context.Context, log io.Writer, c *spec.RealCharm) (string, error) {
	for name, src := range c.Resources {
		st, err := os.Stat(src)
		if err != nil {
			return "", fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("cannot attach resource %q: %s is not a file (a file resource is one file: attach that)", name, src)
		}
	}
	venv, err := charms.Venv(ctx, c, log)
	if err != nil {
		return "", err
	}
	return images.CharmImage(ctx, log, c.Meta.Name, c.Dir, venv, c.Resources)
}
