package simulator

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

// Pebble's plan defaults, applied after layers are combined (R4.4), and its
// fixed service delays (R5.2, R5.5).
const (
	defaultBackoffDelay  = 500 * time.Millisecond
	defaultBackoffFactor = 2.0
	defaultBackoffLimit  = 30 * time.Second
	defaultKillDelay     = 5 * time.Second
	defaultCheckPeriod   = 10 * time.Second
	defaultCheckTimeout  = 3 * time.Second
	defaultCheckThresh   = 3
	okayDelay            = time.Second
	failDelay            = 5 * time.Second
)

// Service actions (R4.1).
const (
	actionUnset           = ""
	actionRestart         = "restart"
	actionShutdown        = "shutdown"
	actionIgnore          = "ignore"
	actionSuccessShutdown = "success-shutdown"
	actionFailureShutdown = "failure-shutdown"
)

// optDuration and optFloat remember whether a layer set the field, which
// merging and defaulting both need.
type optDuration struct {
	Value time.Duration
	IsSet bool
}

func (d *optDuration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("duration must be a YAML string")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("invalid duration %q", n.Value)
	}
	d.Value, d.IsSet = v, true
	return nil
}

type optFloat struct {
	Value float64
	IsSet bool
}

func (f *optFloat) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("value must be a YAML number")
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		return fmt.Errorf("invalid floating-point number %q", n.Value)
	}
	f.Value, f.IsSet = v, true
	return nil
}

// service is a layer's service definition (R4.1).
type service struct {
	Name           string            `yaml:"-"`
	Summary        string            `yaml:"summary,omitempty"`
	Description    string            `yaml:"description,omitempty"`
	Startup        string            `yaml:"startup,omitempty"`
	Override       string            `yaml:"override,omitempty"`
	Command        string            `yaml:"command,omitempty"`
	After          []string          `yaml:"after,omitempty"`
	Before         []string          `yaml:"before,omitempty"`
	Requires       []string          `yaml:"requires,omitempty"`
	Environment    map[string]string `yaml:"environment,omitempty"`
	UserID         *int              `yaml:"user-id,omitempty"`
	User           string            `yaml:"user,omitempty"`
	GroupID        *int              `yaml:"group-id,omitempty"`
	Group          string            `yaml:"group,omitempty"`
	WorkingDir     string            `yaml:"working-dir,omitempty"`
	OnSuccess      string            `yaml:"on-success,omitempty"`
	OnFailure      string            `yaml:"on-failure,omitempty"`
	OnCheckFailure map[string]string `yaml:"on-check-failure,omitempty"`
	BackoffDelay   optDuration       `yaml:"backoff-delay,omitempty"`
	BackoffFactor  optFloat          `yaml:"backoff-factor,omitempty"`
	BackoffLimit   optDuration       `yaml:"backoff-limit,omitempty"`
	KillDelay      optDuration       `yaml:"kill-delay,omitempty"`
}

type httpCheck struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers,omitempty"`
}

type tcpCheck struct {
	Port int    `yaml:"port"`
	Host string `yaml:"host,omitempty"`
}

type execCheck struct {
	Command        string            `yaml:"command"`
	ServiceContext string            `yaml:"service-context,omitempty"`
	Environment    map[string]string `yaml:"environment,omitempty"`
	UserID         *int              `yaml:"user-id,omitempty"`
	User           string            `yaml:"user,omitempty"`
	GroupID        *int              `yaml:"group-id,omitempty"`
	Group          string            `yaml:"group,omitempty"`
	WorkingDir     string            `yaml:"working-dir,omitempty"`
}

// check is a layer's check definition (R4.2).
type check struct {
	Name      string      `yaml:"-"`
	Override  string      `yaml:"override,omitempty"`
	Level     string      `yaml:"level,omitempty"`
	Startup   string      `yaml:"startup,omitempty"`
	Period    optDuration `yaml:"period,omitempty"`
	Timeout   optDuration `yaml:"timeout,omitempty"`
	Threshold int         `yaml:"threshold,omitempty"`
	HTTP      *httpCheck  `yaml:"http,omitempty"`
	TCP       *tcpCheck   `yaml:"tcp,omitempty"`
	Exec      *execCheck  `yaml:"exec,omitempty"`
}

// layer is one parsed layer.
type layer struct {
	Order       int
	Label       string
	Summary     string
	Description string
	Services    map[string]*service
	Checks      map[string]*check
}

// plan is the combined, defaulted, validated result of all layers.
type plan struct {
	Services map[string]*service
	Checks   map[string]*check
}

// layerFileRE is Pebble's layer file name rule (R4.5).
var layerFileRE = regexp.MustCompile(`^([0-9]{3})-([a-z](?:-?[a-z0-9]){2,})\.yaml$`)

// parseLayerFileName splits "001-base.yaml" into 1 and "base".
func parseLayerFileName(name string) (int, string, error) {
	m := layerFileRE.FindStringSubmatch(name)
	if m == nil {
		return 0, "", fmt.Errorf("invalid layer filename: %q (must look like \"123-some-label.yaml\")", name)
	}
	order, _ := strconv.Atoi(m[1])
	return order, m[2], nil
}

// parseLayer parses and validates one layer, with Pebble's error wording
// (internals/plan ParseLayer and Layer.Validate).
func parseLayer(order int, label string, data []byte) (*layer, error) {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("cannot parse layer %q: %v", label, err)
	}
	l := &layer{Order: order, Label: label, Services: map[string]*service{}, Checks: map[string]*check{}}
	targets := map[string]any{
		"summary": &l.Summary, "description": &l.Description,
		"services": &l.Services, "checks": &l.Checks,
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, field := range keys {
		node := top[field]
		if field == "log-targets" {
			continue // tandem does not model log forwarding
		}
		target, ok := targets[field]
		if !ok {
			return nil, fmt.Errorf("cannot parse layer %q: unknown section %q", label, field)
		}
		if err := decodeKnownFields(&node, target); err != nil {
			return nil, fmt.Errorf("cannot parse layer %q section %q: %v", label, field, err)
		}
	}
	for name, s := range l.Services {
		if s != nil {
			s.Name = name
		}
	}
	for name, c := range l.Checks {
		if c != nil {
			c.Name = name
		}
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// decodeKnownFields decodes a node rejecting unknown fields, as Pebble does
// (yaml.v3 cannot do that on a Node directly, hence the round trip).
func decodeKnownFields(node *yaml.Node, v any) error {
	data, err := yaml.Marshal(node)
	if err != nil {
		return fmt.Errorf("cannot marshal YAML: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// validAction follows plan's validServiceAction: restart, shutdown and
// ignore are valid everywhere; the cross actions only where named, so
// on-success may be failure-shutdown and on-failure success-shutdown, not
// the other way round (REFERENCE R4.1 lists them without saying where; real
// Pebble refused on-success: success-shutdown, see docs/model.md).
func validAction(a string, additional string) bool {
	switch a {
	case actionUnset, actionRestart, actionShutdown, actionIgnore, additional:
		return true
	}
	return false
}

func (l *layer) validate() error {
	if strings.HasPrefix(l.Label, "pebble-") {
		return fmt.Errorf(`cannot use reserved label prefix "pebble-"`)
	}
	for _, name := range sortedKeys(l.Services) {
		s := l.Services[name]
		switch {
		case name == "":
			return fmt.Errorf("cannot use empty string as service name")
		case name == "pebble":
			return fmt.Errorf("cannot use reserved service name %q", name)
		case strings.HasPrefix(name, "-"):
			return fmt.Errorf(`cannot use service name %q: starting with "-" not allowed`, name)
		case s == nil:
			return fmt.Errorf("service object cannot be null for service %q", name)
		}
		if _, err := spec.SplitCommand(s.Command); err != nil {
			return fmt.Errorf("plan service %q command invalid: %v", name, err)
		}
		if !validAction(s.OnSuccess, actionFailureShutdown) {
			return fmt.Errorf("plan service %q on-success action %q invalid", name, s.OnSuccess)
		}
		if !validAction(s.OnFailure, actionSuccessShutdown) {
			return fmt.Errorf("plan service %q on-failure action %q invalid", name, s.OnFailure)
		}
		for _, a := range s.OnCheckFailure {
			if !validAction(a, actionSuccessShutdown) {
				return fmt.Errorf("plan service %q on-check-failure action %q invalid", name, a)
			}
		}
		if s.BackoffFactor.IsSet && s.BackoffFactor.Value < 1 {
			return fmt.Errorf("plan service %q backoff-factor must be 1.0 or greater, not %g", name, s.BackoffFactor.Value)
		}
	}
	for _, name := range sortedKeys(l.Checks) {
		c := l.Checks[name]
		switch {
		case name == "":
			return fmt.Errorf("cannot use empty string as check name")
		case c == nil:
			return fmt.Errorf("check object cannot be null for check %q", name)
		case c.Level != "" && c.Level != "alive" && c.Level != "ready":
			return fmt.Errorf(`plan check %q level must be "alive" or "ready"`, name)
		case c.Startup != "" && c.Startup != "enabled" && c.Startup != "disabled":
			return fmt.Errorf(`plan check %q startup must be "enabled" or "disabled"`, name)
		case c.Period.IsSet && c.Period.Value == 0:
			return fmt.Errorf("plan check %q period must not be zero", name)
		case c.Timeout.IsSet && c.Timeout.Value == 0:
			return fmt.Errorf("plan check %q timeout must not be zero", name)
		}
	}
	return nil
}

// merge applies other's set fields onto s (R4.3). Like Pebble's
// Service.Merge it never copies override: a merge that changes nothing
// leaves the service's config equal, and a replan restarts nothing.
func (s *service) merge(o *service) {
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setStr(&s.Summary, o.Summary)
	setStr(&s.Description, o.Description)
	setStr(&s.Startup, o.Startup)
	setStr(&s.Command, o.Command)
	setStr(&s.User, o.User)
	setStr(&s.Group, o.Group)
	setStr(&s.WorkingDir, o.WorkingDir)
	setStr(&s.OnSuccess, o.OnSuccess)
	setStr(&s.OnFailure, o.OnFailure)
	if o.UserID != nil {
		v := *o.UserID
		s.UserID = &v
	}
	if o.GroupID != nil {
		v := *o.GroupID
		s.GroupID = &v
	}
	s.After = append(s.After, o.After...)
	s.Before = append(s.Before, o.Before...)
	s.Requires = append(s.Requires, o.Requires...)
	s.Environment = mergeMap(s.Environment, o.Environment)
	s.OnCheckFailure = mergeMap(s.OnCheckFailure, o.OnCheckFailure)
	if o.BackoffDelay.IsSet {
		s.BackoffDelay = o.BackoffDelay
	}
	if o.BackoffFactor.IsSet {
		s.BackoffFactor = o.BackoffFactor
	}
	if o.BackoffLimit.IsSet {
		s.BackoffLimit = o.BackoffLimit
	}
	if o.KillDelay.IsSet {
		s.KillDelay = o.KillDelay
	}
}

func (s *service) copy() *service {
	c := *s
	c.After = append([]string(nil), s.After...)
	c.Before = append([]string(nil), s.Before...)
	c.Requires = append([]string(nil), s.Requires...)
	c.Environment = mergeMap(nil, s.Environment)
	c.OnCheckFailure = mergeMap(nil, s.OnCheckFailure)
	return &c
}

func (c *check) merge(o *check) {
	// Pebble's Check.Merge never copies override either.
	if o.Level != "" {
		c.Level = o.Level
	}
	if o.Startup != "" {
		c.Startup = o.Startup
	}
	if o.Period.IsSet {
		c.Period = o.Period
	}
	if o.Timeout.IsSet {
		c.Timeout = o.Timeout
	}
	if o.Threshold != 0 {
		c.Threshold = o.Threshold
	}
	if o.HTTP != nil {
		if c.HTTP == nil {
			c.HTTP = &httpCheck{}
		}
		if o.HTTP.URL != "" {
			c.HTTP.URL = o.HTTP.URL
		}
		c.HTTP.Headers = mergeMap(c.HTTP.Headers, o.HTTP.Headers)
	}
	if o.TCP != nil {
		if c.TCP == nil {
			c.TCP = &tcpCheck{}
		}
		if o.TCP.Port != 0 {
			c.TCP.Port = o.TCP.Port
		}
		if o.TCP.Host != "" {
			c.TCP.Host = o.TCP.Host
		}
	}
	if o.Exec != nil {
		if c.Exec == nil {
			c.Exec = &execCheck{}
		}
		if o.Exec.Command != "" {
			c.Exec.Command = o.Exec.Command
		}
		if o.Exec.ServiceContext != "" {
			c.Exec.ServiceContext = o.Exec.ServiceContext
		}
		c.Exec.Environment = mergeMap(c.Exec.Environment, o.Exec.Environment)
	}
}

func (c *check) copy() *check {
	n := *c
	if c.HTTP != nil {
		h := *c.HTTP
		h.Headers = mergeMap(nil, c.HTTP.Headers)
		n.HTTP = &h
	}
	if c.TCP != nil {
		t := *c.TCP
		n.TCP = &t
	}
	if c.Exec != nil {
		e := *c.Exec
		e.Environment = mergeMap(nil, c.Exec.Environment)
		n.Exec = &e
	}
	return &n
}

// definition is a service or a check: what layers define by name.
type definition[T any] interface {
	*T
	overrideOf() string
	merge(*T)
	copy() *T
}

func (s *service) overrideOf() string { return s.Override }
func (c *check) overrideOf() string   { return c.Override }

// combineInto lays one layer's definitions of a kind over out (R4.3):
// replace wins whole, merge goes field by field, override is required.
func combineInto[T any, P definition[T]](out, in map[string]*T, label, kind string) error {
	for _, name := range sortedKeys(in) {
		d := P(in[name])
		switch d.overrideOf() {
		case "merge":
			if old, ok := out[name]; ok {
				P(old).merge(in[name])
			} else {
				out[name] = d.copy()
			}
		case "replace":
			out[name] = d.copy()
		case "":
			return fmt.Errorf(`layer %q must define "override" for %s %q`, label, kind, name)
		default:
			return fmt.Errorf(`layer %q has invalid "override" value for %s %q`, label, kind, name)
		}
	}
	return nil
}

// combineRaw combines layers in ascending order, without defaults: what
// the layers themselves say (a combined API layer keeps it so).
func combineRaw(layers []*layer) (*layer, error) {
	out := &layer{Services: map[string]*service{}, Checks: map[string]*check{}}
	if len(layers) == 0 {
		return out, nil
	}
	out.Summary, out.Description = layers[len(layers)-1].Summary, layers[len(layers)-1].Description
	for _, l := range layers {
		if err := combineInto(out.Services, l.Services, l.Label, "service"); err != nil {
			return nil, err
		}
		if err := combineInto(out.Checks, l.Checks, l.Label, "check"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// combineLayers combines layers and applies the defaults afterwards
// (R4.3, R4.4).
func combineLayers(layers []*layer) (*layer, error) {
	out, err := combineRaw(layers)
	if err != nil {
		return nil, err
	}
	for _, s := range out.Services {
		if !s.BackoffDelay.IsSet {
			s.BackoffDelay.Value = defaultBackoffDelay
		}
		if !s.BackoffFactor.IsSet {
			s.BackoffFactor.Value = defaultBackoffFactor
		}
		if !s.BackoffLimit.IsSet {
			s.BackoffLimit.Value = defaultBackoffLimit
		}
	}
	for _, c := range out.Checks {
		if !c.Period.IsSet {
			c.Period.Value = defaultCheckPeriod
		}
		if !c.Timeout.IsSet {
			c.Timeout.Value = defaultCheckTimeout
		}
		if c.Timeout.Value > c.Period.Value {
			c.Timeout.Value = c.Period.Value
		}
		if c.Threshold == 0 {
			c.Threshold = defaultCheckThresh
		}
	}
	return out, nil
}

// buildPlan combines, defaults and validates (R4.3, R4.4, R4.6).
func buildPlan(layers []*layer) (*plan, error) {
	combined, err := combineLayers(layers)
	if err != nil {
		return nil, err
	}
	p := &plan{Services: combined.Services, Checks: combined.Checks}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *plan) validate() error {
	for _, name := range sortedKeys(p.Services) {
		if p.Services[name].Command == "" {
			return fmt.Errorf(`plan must define "command" for service %q`, name)
		}
	}
	for _, name := range sortedKeys(p.Checks) {
		c := p.Checks[name]
		n := 0
		if c.HTTP != nil {
			if c.HTTP.URL == "" {
				return fmt.Errorf(`plan must set "url" for http check %q`, name)
			}
			n++
		}
		if c.TCP != nil {
			if c.TCP.Port == 0 {
				return fmt.Errorf(`plan must set "port" for tcp check %q`, name)
			}
			n++
		}
		if c.Exec != nil {
			if c.Exec.Command == "" {
				return fmt.Errorf(`plan must set "command" for exec check %q`, name)
			}
			if sc := c.Exec.ServiceContext; sc != "" {
				if _, ok := p.Services[sc]; !ok {
					return fmt.Errorf("plan check %q service context specifies non-existent service %q", name, sc)
				}
			}
			n++
		}
		if n != 1 {
			return fmt.Errorf(`plan must specify one of "http", "tcp", or "exec" for check %q`, name)
		}
	}
	_, err := p.startOrder(sortedKeys(p.Services))
	return err
}

// startOrder returns names and the services they require, each after what
// it must follow (after/before/requires; R5.6). A loop is an error worded
// as Pebble's.
func (p *plan) startOrder(names []string) ([]string, error) {
	return p.order(names, false)
}

// stopOrder is the reverse: dependants first.
func (p *plan) stopOrder(names []string) ([]string, error) {
	return p.order(names, true)
}

func (p *plan) order(names []string, stop bool) ([]string, error) {
	// Collect the closure: requirements when starting, dependants when stopping.
	set := map[string]bool{}
	pending := append([]string(nil), names...)
	for len(pending) > 0 {
		n := pending[0]
		pending = pending[1:]
		if set[n] {
			continue
		}
		s, ok := p.Services[n]
		if !ok {
			return nil, fmt.Errorf("service %q does not exist", n)
		}
		set[n] = true
		if stop {
			for _, other := range sortedKeys(p.Services) {
				for _, r := range p.Services[other].Requires {
					if r == n {
						pending = append(pending, other)
					}
				}
			}
		} else {
			pending = append(pending, s.Requires...)
		}
	}
	// Edges: a -> b means a goes first.
	succ := map[string]map[string]bool{}
	indeg := map[string]int{}
	edge := func(a, b string) {
		if !set[a] || !set[b] {
			return
		}
		if succ[a] == nil {
			succ[a] = map[string]bool{}
		}
		if !succ[a][b] {
			succ[a][b] = true
			indeg[b]++
		}
	}
	for n := range set {
		s := p.Services[n]
		for _, a := range s.After {
			if stop {
				edge(n, a)
			} else {
				edge(a, n)
			}
		}
		for _, b := range s.Before {
			if stop {
				edge(b, n)
			} else {
				edge(n, b)
			}
		}
	}
	var ready, out []string
	for _, n := range sortedKeys(set) {
		if indeg[n] == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		out = append(out, n)
		for _, m := range sortedKeys(succ[n]) {
			indeg[m]--
			if indeg[m] == 0 {
				ready = append(ready, m)
				sort.Strings(ready)
			}
		}
	}
	if len(out) != len(set) {
		var loop []string
		for _, n := range sortedKeys(set) {
			if indeg[n] > 0 {
				loop = append(loop, n)
			}
		}
		return nil, fmt.Errorf("services in before/after loop: %s", strings.Join(loop, ", "))
	}
	return out, nil
}

// lanes groups ordered services as servstate's createLanes does: a
// service joins the lane of what it requires (or of what requires it),
// else a new one; within a lane each task waits for the one before, and
// lanes run side by side. The quirk of numbering a new lane after the last
// one used, not the highest, is Pebble's and kept.
func (p *plan) lanes(order []string) [][]string {
	mapping := map[string]int{}
	assign := func(name string, lane int) {
		mapping[name] = lane
		for _, dep := range p.Services[name].Requires {
			mapping[dep] = lane
		}
	}
	current, highest := -1, 0
	for _, name := range order {
		lane, ok := mapping[name]
		if !ok {
			for _, dep := range p.Services[name].Requires {
				if l, found := mapping[dep]; found {
					lane, ok = l, true
					break
				}
			}
		}
		if !ok {
			lane = current + 1
		}
		assign(name, lane)
		current = lane
		if lane > highest {
			highest = lane
		}
	}
	out := make([][]string, highest+1)
	for _, name := range order {
		out[mapping[name]] = append(out[mapping[name]], name)
	}
	return out
}

// yamlOf renders the plan as Pebble's PlanBytes does, close enough for a
// charm to read it back.
func (p *plan) yamlOf() []byte {
	type out struct {
		Services map[string]*service `yaml:"services,omitempty"`
		Checks   map[string]*check   `yaml:"checks,omitempty"`
	}
	data, _ := yaml.Marshal(out{Services: p.Services, Checks: p.Checks})
	return data
}

func (d optDuration) MarshalYAML() (any, error) {
	if !d.IsSet {
		return nil, nil
	}
	return d.Value.String(), nil
}

func (f optFloat) MarshalYAML() (any, error) {
	if !f.IsSet {
		return nil, nil
	}
	return f.Value, nil
}

func (d optDuration) IsZero() bool { return !d.IsSet }
func (f optFloat) IsZero() bool    { return !f.IsSet }

func mergeMap(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]string{}
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
