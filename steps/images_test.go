package steps

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/sim"
)

// TestACharmsWorkloadsRunTheImagesJujuWould: where the substrate runs
// images, a workload container runs --image's (by container or by
// resource), else its resource's upstream-source, else tandem's; an
// --image that names nothing of the charm is refused; a substrate with
// no images leaves them to its workload tool.
func TestACharmsWorkloadsRunTheImagesJujuWould(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metadata.yaml"), []byte(`name: db
containers:
  pg: {resource: pg-image}
  tool: {resource: tool-image}
  side: {}
resources:
  pg-image: {type: oci-image, upstream-source: "postgres:16"}
  tool-image: {type: oci-image}
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dispatch"), []byte("#!/bin/sh\n"), 0o755))
	sub, err := sim.New(substrate.Options{})
	require.NoError(t, err)
	images := func(s *scenario) map[string]string {
		out := map[string]string{}
		for _, c := range s.charm.Containers {
			out[c.Name] = c.Image
		}
		return out
	}

	s := &scenario{sub: sub}
	require.NoError(t, s.useCharm(dir))
	require.Equal(t, map[string]string{"pg": "postgres:16", "tool": "", "side": ""}, images(s))

	s = &scenario{sub: sub, cfg: Config{Images: map[string]string{"tool-image": "busybox:1", "pg": "postgres:17"}}}
	require.NoError(t, s.useCharm(dir))
	require.Equal(t, map[string]string{"pg": "postgres:17", "tool": "busybox:1", "side": ""}, images(s))

	s = &scenario{sub: sub, cfg: Config{Images: map[string]string{"web": "nginx:1"}}}
	require.ErrorContains(t, s.useCharm(dir), `charm db has no container or oci-image resource "web" (containers: pg, side, tool)`)

	s = &scenario{sub: noImages{sub}}
	require.NoError(t, s.useCharm(dir))
	require.Equal(t, map[string]string{"pg": "", "tool": "", "side": ""}, images(s))
}

// noImages is a substrate that runs no images, as local.
type noImages struct{ substrate.Substrate }

func (noImages) Capabilities() []spec.Capability { return substrate.Has("local") }
