package simulator

import (
	"fmt"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// CheckSpec rejects a charm spec no unit could run, before anything runs:
// an invalid name, an unknown container, a layer Pebble would refuse, a
// service command the model cannot know, a handler acting on a service no
// layer defines. Each message says where.
func CheckSpec(cs *spec.CharmSpec) error {
	if !spec.ValidAppName(cs.App) {
		return fmt.Errorf("charm spec: application name %q is invalid: use lowercase letters, digits and hyphens, starting with a letter", cs.App)
	}
	if len(cs.Containers) == 0 {
		return fmt.Errorf("charm spec %q: no workload containers: a sidecar charm needs at least one", cs.App)
	}
	seen := map[string]bool{}
	storage := map[string]bool{}
	for _, s := range cs.Storage {
		storage[s.Name] = true
	}
	for _, c := range cs.Containers {
		where := fmt.Sprintf("charm spec %q container %q", cs.App, c.Name)
		switch {
		case !spec.ValidContainerName(c.Name):
			return fmt.Errorf("%s: invalid name: use lowercase letters, digits and hyphens", where)
		case c.Name == spec.CharmContainer:
			return fmt.Errorf("%s: the name %q is Juju's own charm container", where, spec.CharmContainer)
		case seen[c.Name]:
			return fmt.Errorf("%s: declared twice", where)
		}
		seen[c.Name] = true
		for _, m := range c.Mounts {
			if !storage[m.Storage] {
				return fmt.Errorf("%s: mounts storage %q, which the charm does not declare", where, m.Storage)
			}
		}
		var layers []*layer
		for _, name := range sortedKeys(c.Layers) {
			order, label, err := parseLayerFileName(name)
			if err != nil {
				return fmt.Errorf("%s: image layer: %v", where, err)
			}
			l, err := parseLayer(order, label, []byte(c.Layers[name]))
			if err != nil {
				return fmt.Errorf("%s: image layer %s: %v", where, name, err)
			}
			layers = append(layers, l)
		}
		pl, err := buildPlan(layers)
		if err != nil {
			return fmt.Errorf("%s: image layers: %v", where, err)
		}
		for _, name := range sortedKeys(pl.Services) {
			if _, err := spec.ResolveBehaviour(pl.Services[name].Command, c.Programs); err != nil {
				return fmt.Errorf("%s: image layers: service %q: %v", where, name, err)
			}
		}
	}
	for i, h := range cs.Handlers {
		if err := checkEventName(cs, h.Event); err != nil {
			return fmt.Errorf("charm spec %q handler %d: %v", cs.App, i+1, err)
		}
		for j, a := range h.Actions {
			if err := CheckAction(cs, a); err != nil {
				return fmt.Errorf("charm spec %q handler on %q, action %d: %v", cs.App, h.Event, j+1, err)
			}
		}
	}
	return nil
}

// checkEventName accepts the events R2 lists, for the spec's containers.
func checkEventName(cs *spec.CharmSpec, event string) error {
	switch event {
	case spec.EventInstall, spec.EventLeaderElected, spec.EventConfigChanged, spec.EventStart, spec.EventUpgradeCharm:
		return nil
	}
	for _, c := range cs.ContainerNames() {
		switch event {
		case spec.PebbleReady(c), spec.CustomNotice(c), spec.CheckFailed(c), spec.CheckRecovered(c):
			return nil
		}
	}
	for _, suffix := range []string{"-pebble-ready", "-pebble-custom-notice", "-pebble-check-failed", "-pebble-check-recovered"} {
		if name, ok := strings.CutSuffix(event, suffix); ok {
			return fmt.Errorf("event %q names container %q, which the charm does not have (it has %s)", event, name, strings.Join(cs.ContainerNames(), ", "))
		}
	}
	return fmt.Errorf("unknown event %q: want install, leader-elected, config-changed, start, upgrade-charm or <container>-pebble-ready, -pebble-custom-notice, -pebble-check-failed, -pebble-check-recovered", event)
}

// CheckAction rejects an action no unit of cs could take: an unknown
// container, an invalid layer, a service command the model cannot know, a
// service no layer defines, in the spec or in earlier, the actions a
// scenario took before this one.
func CheckAction(cs *spec.CharmSpec, a spec.Action, earlier ...spec.Action) error {
	c, ok := cs.Container(a.Container)
	if !ok {
		return fmt.Errorf("%s: unknown container %q (the charm has %s)", a, a.Container, strings.Join(cs.ContainerNames(), ", "))
	}
	switch a.Kind {
	case spec.ActAddLayer:
		l, err := parseLayer(0, a.Label, []byte(a.Layer))
		if err != nil {
			return &spec.PebbleRefuses{Err: fmt.Errorf("%s: %v", a, err)}
		}
		if a.Label == "" {
			return fmt.Errorf("%s: label must be set", a)
		}
		for _, name := range sortedKeys(l.Services) {
			if l.Services[name].Command == "" {
				continue // a merge may take its command from an earlier layer
			}
			if _, err := spec.ResolveBehaviour(l.Services[name].Command, c.Programs); err != nil {
				return fmt.Errorf("%s: service %q: %v", a, name, err)
			}
		}
	case spec.ActStart, spec.ActStop, spec.ActRestart, spec.ActSignal:
		known := servicesOf(cs, a.Container, earlier)
		for _, s := range a.Services {
			if !known[s] {
				return &spec.PebbleRefuses{Err: fmt.Errorf("%s: service %q is in no layer of container %q", a, s, a.Container)}
			}
		}
	case spec.ActPush, spec.ActMakeDir, spec.ActRemove:
		if !strings.HasPrefix(a.Path, "/") {
			return fmt.Errorf("%s: paths must be absolute, got %q", a, a.Path)
		}
		if a.Permissions != "" {
			if _, err := spec.ParsePermissions(a.Permissions); err != nil {
				return fmt.Errorf("%s: %v", a, err)
			}
		}
	case spec.ActConnect:
		if a.Port < 1 || a.Port > 65535 {
			return fmt.Errorf("%s: port must be 1 to 65535", a)
		}
	case spec.ActExec:
		if len(a.Command) == 0 {
			return fmt.Errorf("%s: no command", a)
		}
		if !spec.IsWorkloadTool(a.Command[0]) {
			if _, ok := c.Programs[a.Command[0]]; !ok {
				return fmt.Errorf("%s: command %q is neither the workload tool nor a program the spec declares", a, a.Command[0])
			}
		}
	case spec.ActReplan, spec.ActNotify:
	default:
		return fmt.Errorf("unknown action kind %q", a.Kind)
	}
	return nil
}

// servicesOf lists every service any layer of the spec defines for a
// container: shipped in the image or added by a handler.
func servicesOf(cs *spec.CharmSpec, container string, earlier []spec.Action) map[string]bool {
	out := map[string]bool{}
	add := func(label, data string) {
		if l, err := parseLayer(0, label, []byte(data)); err == nil {
			for name := range l.Services {
				out[name] = true
			}
		}
	}
	if c, ok := cs.Container(container); ok {
		for _, data := range c.Layers {
			add("image", data)
		}
	}
	actions := append([]spec.Action(nil), earlier...)
	for _, h := range cs.Handlers {
		actions = append(actions, h.Actions...)
	}
	for _, a := range actions {
		if a.Kind == spec.ActAddLayer && a.Container == container {
			add(a.Label, a.Layer)
		}
	}
	return out
}
