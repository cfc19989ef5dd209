package simulator

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

func TestCheckSpec(t *testing.T) {
	ok := func() *spec.CharmSpec {
		return &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
	}
	tests := []struct {
		name string
		edit func(*spec.CharmSpec)
		err  string
	}{
		{"fine", func(*spec.CharmSpec) {}, ""},
		{"bad app", func(c *spec.CharmSpec) { c.App = "Demo" }, `charm spec: application name "Demo" is invalid`},
		{"no containers", func(c *spec.CharmSpec) { c.Containers = nil }, `no workload containers`},
		{"charm container", func(c *spec.CharmSpec) { c.Containers[0].Name = "charm" }, `Juju's own charm container`},
		{"unknown container in handler", func(c *spec.CharmSpec) {
			c.Handlers = []spec.Handler{{Event: "start", Actions: []spec.Action{{Kind: spec.ActReplan, Container: "ghost"}}}}
		}, `charm spec "demo" handler on "start", action 1: replan in ghost: unknown container "ghost" (the charm has app)`},
		{"event of unknown container", func(c *spec.CharmSpec) {
			c.Handlers = []spec.Handler{{Event: "ghost-pebble-ready"}}
		}, `event "ghost-pebble-ready" names container "ghost", which the charm does not have (it has app)`},
		{"invalid layer", func(c *spec.CharmSpec) {
			c.Handlers = []spec.Handler{{Event: "start", Actions: []spec.Action{{Kind: spec.ActAddLayer, Container: "app", Label: "l", Layer: "services:\n  a:\n    command: x\n    override: replace\n    on-failure: boom\n"}}}}
		}, `plan service "a" on-failure action "boom" invalid`},
		{"unknown command", func(c *spec.CharmSpec) {
			c.Handlers = []spec.Handler{{Event: "start", Actions: []spec.Action{{Kind: spec.ActAddLayer, Container: "app", Label: "l", Layer: "services:\n  a:\n    command: /bin/redis-server\n    override: replace\n"}}}}
		}, `command "/bin/redis-server" is neither the workload tool nor a program the spec declares`},
		{"declared program", func(c *spec.CharmSpec) {
			c.Containers[0].Programs = map[string]spec.Behaviour{"/bin/redis-server": {TCPPort: 6379}}
			c.Handlers = []spec.Handler{{Event: "start", Actions: []spec.Action{{Kind: spec.ActAddLayer, Container: "app", Label: "l", Layer: "services:\n  a:\n    command: /bin/redis-server\n    override: replace\n"}}}}
		}, ""},
		{"service in no layer", func(c *spec.CharmSpec) {
			c.Handlers = []spec.Handler{{Event: "start", Actions: []spec.Action{{Kind: spec.ActStart, Container: "app", Services: []string{"ghost"}}}}}
		}, `service "ghost" is in no layer of container "app"`},
		{"storage not declared", func(c *spec.CharmSpec) { c.Containers[0].Mounts = []spec.Mount{{Storage: "data", Location: "/d"}} }, `mounts storage "data", which the charm does not declare`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := ok()
			tt.edit(cs)
			err := CheckSpec(cs)
			if tt.err == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.err)
			}
		})
	}
}

func TestCheckActionKnowsEarlierLayers(t *testing.T) {
	cs := &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
	add := spec.Action{Kind: spec.ActAddLayer, Label: "base", Container: "app", Layer: "services:\n  srv:\n    override: replace\n    command: /usr/bin/workload\n"}
	start := spec.Action{Kind: spec.ActStart, Container: "app", Services: []string{"srv"}}
	require.Error(t, CheckAction(cs, start), "no layer defines srv yet")
	require.NoError(t, CheckAction(cs, start, add), "an earlier scenario action added it")
}
