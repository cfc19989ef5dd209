package spec

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// RealCharm is a charm author's own charm under test: where it is, what
// its metadata declares, and what the scenario gives it as Juju's
// controller would (config set by the operator).
type RealCharm struct {
	// Dir is the charm's directory on this machine (a packed .charm is
	// unpacked first), absolute.
	Dir  string    `json:"dir"`
	Meta CharmMeta `json:"meta"`
	// Config holds the options the scenario set, by name; the others take
	// their defaults.
	Config map[string]any `json:"config,omitempty"`
	// Relations are the applications related before the deploy: each
	// unit gets relation-created after install, and joined and changed
	// for each remote unit after start.
	Relations []RelationOp `json:"relations,omitempty"`
	// Resources are the files the scenario attached, by resource name:
	// absolute paths on this machine.
	Resources map[string]string `json:"resources,omitempty"`
	// UpdateStatus is the model's update-status-hook-interval: the agent
	// runs update-status that often while it runs (0: never, the default
	// for a scenario, where Juju's is 5m).
	UpdateStatus time.Duration `json:"update-status,omitempty"`
	// PebbleReadyFirst: at the deploy, each workload's pebble-ready runs
	// right after install, relation-created and leader-elected, before
	// config-changed, as Juju runs it when the workload's Pebble answers
	// that early (workload hooks come before config-changed in the
	// uniter's resolver; canonical/pebble#52). Otherwise after start.
	PebbleReadyFirst bool `json:"pebble-ready-first,omitempty"`
}

// CharmMeta is what a charm's metadata declares, read as ops reads it
// (ops/charm.py CharmMeta.from_charm_root): metadata.yaml, else
// charmcraft.yaml, with config.yaml and actions.yaml beside it, or their
// sections in charmcraft.yaml.
type CharmMeta struct {
	Name       string                  `json:"name"`
	Containers map[string]ContainerUse `json:"containers,omitempty"`
	Storage    []string                `json:"storage,omitempty"`
	// Resources maps each resource to its type ("file", "oci-image").
	Resources map[string]string `json:"resources,omitempty"`
	// UpstreamSources maps an oci-image resource to the image its
	// metadata names (upstream-source), which Juju deploys when the
	// operator gives none.
	UpstreamSources map[string]string       `json:"upstream-sources,omitempty"`
	Config          map[string]ConfigOption `json:"config,omitempty"`
	Actions         map[string]ActionMeta   `json:"actions,omitempty"`
	// Requires, Provides and Peers map each endpoint to its interface.
	Requires map[string]string `json:"requires,omitempty"`
	Provides map[string]string `json:"provides,omitempty"`
	Peers    map[string]string `json:"peers,omitempty"`
}

// ContainerUse is a container as metadata declares it: its resource (the
// image) and where storage is mounted in it.
type ContainerUse struct {
	Resource string  `json:"resource,omitempty"`
	Mounts   []Mount `json:"mounts,omitempty"`
}

// ConfigOption is one option of config.yaml.
type ConfigOption struct {
	Type        string `json:"type"`
	Default     any    `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
}

// ActionMeta is one action of actions.yaml.
type ActionMeta struct {
	Description string         `json:"description,omitempty"`
	Params      map[string]any `json:"params,omitempty"`
}

// metaFile is the YAML of metadata.yaml and of charmcraft.yaml's
// metadata keys.
type metaFile struct {
	Name       string `yaml:"name"`
	Containers map[string]struct {
		Resource string `yaml:"resource"`
		Mounts   []struct {
			Storage  string `yaml:"storage"`
			Location string `yaml:"location"`
		} `yaml:"mounts"`
	} `yaml:"containers"`
	Storage   map[string]any `yaml:"storage"`
	Resources map[string]struct {
		Type           string `yaml:"type"`
		UpstreamSource string `yaml:"upstream-source"`
	} `yaml:"resources"`
	Requires map[string]endpointDecl `yaml:"requires"`
	Provides map[string]endpointDecl `yaml:"provides"`
	Peers    map[string]endpointDecl `yaml:"peers"`
	Config   *configFile             `yaml:"config"`
	Actions  map[string]actionDecl   `yaml:"actions"`
}

type endpointDecl struct {
	Interface string `yaml:"interface"`
}

type configFile struct {
	Options map[string]struct {
		Type        string `yaml:"type"`
		Default     any    `yaml:"default"`
		Description string `yaml:"description"`
	} `yaml:"options"`
}

type actionDecl struct {
	Description string         `yaml:"description"`
	Params      map[string]any `yaml:"params"`
}

// ReadCharmMeta reads a charm directory's metadata. Its errors name the
// file and, for bad YAML, the line.
func ReadCharmMeta(dir string) (CharmMeta, error) {
	var m metaFile
	source := filepath.Join(dir, "metadata.yaml")
	if err := readYAML(source, &m); errors.Is(err, os.ErrNotExist) {
		source = filepath.Join(dir, "charmcraft.yaml")
		if err := readYAML(source, &m); errors.Is(err, os.ErrNotExist) {
			return CharmMeta{}, fmt.Errorf("cannot read charm %s: it has neither metadata.yaml nor charmcraft.yaml (is it a charm directory?)", dir)
		} else if err != nil {
			return CharmMeta{}, err
		}
	} else if err != nil {
		return CharmMeta{}, err
	}
	if m.Name == "" {
		return CharmMeta{}, fmt.Errorf("%s: the charm has no name (add name: <charm> at the top)", source)
	}
	if m.Config == nil {
		var c configFile
		if err := readYAML(filepath.Join(dir, "config.yaml"), &c); err == nil {
			m.Config = &c
		} else if !errors.Is(err, os.ErrNotExist) {
			return CharmMeta{}, err
		}
	}
	if m.Actions == nil {
		if err := readYAML(filepath.Join(dir, "actions.yaml"), &m.Actions); err != nil && !errors.Is(err, os.ErrNotExist) {
			return CharmMeta{}, err
		}
	}
	return m.meta(source)
}

func (m metaFile) meta(source string) (CharmMeta, error) {
	out := CharmMeta{Name: m.Name, Containers: map[string]ContainerUse{},
		Config: map[string]ConfigOption{}, Actions: map[string]ActionMeta{},
		Requires: endpoints(m.Requires), Provides: endpoints(m.Provides), Peers: endpoints(m.Peers)}
	for name := range m.Storage {
		out.Storage = append(out.Storage, name)
	}
	sort.Strings(out.Storage)
	for name, r := range m.Resources {
		if out.Resources == nil {
			out.Resources = map[string]string{}
		}
		out.Resources[name] = r.Type
		if r.Type == "oci-image" && r.UpstreamSource != "" {
			if out.UpstreamSources == nil {
				out.UpstreamSources = map[string]string{}
			}
			out.UpstreamSources[name] = r.UpstreamSource
		}
	}
	for name, c := range m.Containers {
		if !validName.MatchString(name) {
			return CharmMeta{}, fmt.Errorf("%s: container name %q is not a valid name (lower-case letters, digits and dashes)", source, name)
		}
		use := ContainerUse{Resource: c.Resource}
		for _, mt := range c.Mounts {
			use.Mounts = append(use.Mounts, Mount{Storage: mt.Storage, Location: mt.Location})
		}
		out.Containers[name] = use
	}
	if m.Config != nil {
		for name, o := range m.Config.Options {
			switch o.Type {
			case "string", "int", "float", "boolean", "secret":
			default:
				return CharmMeta{}, fmt.Errorf("%s: config option %q has type %q: want string, int, float, boolean or secret", source, name, o.Type)
			}
			out.Config[name] = ConfigOption{Type: o.Type, Default: o.Default, Description: o.Description}
		}
	}
	for name, a := range m.Actions {
		out.Actions[name] = ActionMeta{Description: a.Description, Params: a.Params}
	}
	return out, nil
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

func endpoints(decl map[string]endpointDecl) map[string]string {
	if len(decl) == 0 {
		return nil
	}
	out := map[string]string{}
	for name, d := range decl {
		out[name] = d.Interface
	}
	return out
}

// readYAML decodes one YAML file; a syntax error names the file and line.
func readYAML(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(into); err != nil && err.Error() != "EOF" {
		return fmt.Errorf("%s: %v", path, yamlLine(err))
	}
	return nil
}

// yamlLine rewords yaml.v3's "yaml: line N: ..." as "line N: ...".
func yamlLine(err error) string {
	msg := err.Error()
	if m := regexp.MustCompile(`^yaml: (line \d+: .*)$`).FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return msg
}

// Endpoint is one of the charm's relation endpoints: its role and
// interface.
type Endpoint struct {
	Name, Role, Interface string
}

// Endpoint finds a relation endpoint the metadata declares.
func (m CharmMeta) Endpoint(name string) (Endpoint, bool) {
	for role, eps := range map[string]map[string]string{"requires": m.Requires, "provides": m.Provides, "peers": m.Peers} {
		if iface, ok := eps[name]; ok {
			return Endpoint{Name: name, Role: role, Interface: iface}, true
		}
	}
	return Endpoint{}, false
}

// ConfigValue parses a config value given as text, by the option's type,
// as `juju config app key=value` does.
func (m CharmMeta) ConfigValue(name, text string) (any, error) {
	o, ok := m.Config[name]
	if !ok {
		var names []string
		for n := range m.Config {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("the charm %s has no config option %q (it has: %v)", m.Name, name, names)
	}
	switch o.Type {
	case "int":
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("config option %q is an int: %q is not one", name, text)
		}
		return v, nil
	case "float":
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("config option %q is a float: %q is not one", name, text)
		}
		return v, nil
	case "boolean":
		v, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("config option %q is a boolean: %q is not one (true or false)", name, text)
		}
		return v, nil
	}
	return text, nil
}

// CharmSpecOf is the spec of a charm of your own's application: its
// containers and storage as its metadata declares them. A container's
// image is left to the substrate (tandem's workload image, unless a
// scenario or --image names one).
func CharmSpecOf(c *RealCharm) CharmSpec {
	cs := CharmSpec{App: c.Meta.Name, Charm: c}
	for _, name := range c.Meta.ContainerNames() {
		cs.Containers = append(cs.Containers, Container{Name: name, Mounts: c.Meta.Containers[name].Mounts})
	}
	for _, st := range c.Meta.Storage {
		cs.Storage = append(cs.Storage, Storage{Name: st, Size: "1Gi"})
	}
	return cs
}

// WorkloadImage is the image a workload container of the charm runs, as
// Juju picks it: the one the operator gives (overrides, by container or
// by its resource's name, as --image NAME=REF and juju deploy --resource
// do), else its oci-image resource's upstream-source; "" leaves it to the
// substrate. why says which, for a person.
func (m CharmMeta) WorkloadImage(container string, overrides map[string]string) (image, why string) {
	res := m.Containers[container].Resource
	switch {
	case overrides[container] != "":
		return overrides[container], "--image " + container
	case res != "" && overrides[res] != "":
		return overrides[res], "--image " + res
	case m.UpstreamSources[res] != "":
		return m.UpstreamSources[res], "resource " + res + "'s upstream-source"
	case res != "":
		return "", "resource " + res + " names no upstream-source (--image " + res + "=REF names one)"
	}
	return "", "the container names no resource (--image " + container + "=REF names one)"
}

// CheckImageOverrides refuses an override that names neither a container
// nor an oci-image resource of the charm.
func (m CharmMeta) CheckImageOverrides(overrides map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := m.Containers[name]; ok || m.Resources[name] == "oci-image" {
			continue
		}
		return fmt.Errorf("--image %s=%s: charm %s has no container or oci-image resource %q (containers: %s)", name, overrides[name], m.Name, name, strings.Join(m.ContainerNames(), ", "))
	}
	return nil
}

// ContainerNames lists the containers in name order.
func (m CharmMeta) ContainerNames() []string {
	var out []string
	for n := range m.Containers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
