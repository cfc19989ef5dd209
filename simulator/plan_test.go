package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseLayerErrors(t *testing.T) {
	rules(t, "R4.1", "R4.2", "R4.6")
	tests := []struct {
		name, yaml, err string
	}{
		{"unknown field", "services:\n  a:\n    override: replace\n    command: x\n    colour: red\n", `cannot parse layer "l" section "services": yaml: unmarshal errors:` + "\n  line 4: field colour not found in type simulator.service"},
		{"unknown section", "widgets: {}\n", `cannot parse layer "l": unknown section "widgets"`},
		{"bad on-success", "services:\n  a:\n    override: replace\n    command: x\n    on-success: success-shutdown-ish\n", `plan service "a" on-success action "success-shutdown-ish" invalid`},
		{"on-success success-shutdown", "services:\n  a:\n    override: replace\n    command: x\n    on-success: success-shutdown\n", `plan service "a" on-success action "success-shutdown" invalid`},
		{"on-failure failure-shutdown", "services:\n  a:\n    override: replace\n    command: x\n    on-failure: failure-shutdown\n", `plan service "a" on-failure action "failure-shutdown" invalid`},
		{"on-check-failure failure-shutdown", "services:\n  a:\n    override: replace\n    command: x\n    on-check-failure: {c: failure-shutdown}\n", `plan service "a" on-check-failure action "failure-shutdown" invalid`},
		{"backoff factor", "services:\n  a:\n    override: replace\n    command: x\n    backoff-factor: 0.5\n", `plan service "a" backoff-factor must be 1.0 or greater, not 0.5`},
		{"bad duration", "services:\n  a:\n    override: replace\n    command: x\n    backoff-delay: soon\n", `cannot parse layer "l" section "services": invalid duration "soon"`},
		{"reserved name", "services:\n  pebble:\n    override: replace\n    command: x\n", `cannot use reserved service name "pebble"`},
		{"dash name", "services:\n  -a:\n    override: replace\n    command: x\n", `cannot use service name "-a": starting with "-" not allowed`},
		{"check level", "checks:\n  c:\n    override: replace\n    level: sometimes\n    http: {url: 'http://localhost/'}\n", `plan check "c" level must be "alive" or "ready"`},
		{"check period zero", "checks:\n  c:\n    override: replace\n    period: 0s\n    http: {url: 'http://localhost/'}\n", `plan check "c" period must not be zero`},
		{"unterminated quote", "services:\n  a:\n    override: replace\n    command: x 'y\n", `plan service "a" command invalid: cannot split command "x 'y": unterminated quote`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseLayer(1, "l", []byte(tt.yaml))
			require.EqualError(t, err, tt.err)
		})
	}
	for _, ok := range []string{"on-success: failure-shutdown", "on-failure: success-shutdown", "on-check-failure: {c: success-shutdown}"} {
		_, err := parseLayer(1, "l", []byte("services:\n  a:\n    override: replace\n    command: x\n    "+ok+"\n"))
		require.NoError(t, err, "%s is valid (validServiceAction's additional actions)", ok)
	}
	_, err := parseLayer(1, "pebble-x", []byte("{}"))
	require.EqualError(t, err, `cannot use reserved label prefix "pebble-"`)
}

func TestPlanValidation(t *testing.T) {
	rules(t, "R4.2", "R4.6")
	tests := []struct {
		name, yaml, err string
	}{
		{"no command", "services:\n  a:\n    override: replace\n", `plan must define "command" for service "a"`},
		{"two check kinds", "checks:\n  c:\n    override: replace\n    http: {url: 'http://x/'}\n    tcp: {port: 80}\n", `plan must specify one of "http", "tcp", or "exec" for check "c"`},
		{"no check kind", "checks:\n  c:\n    override: replace\n", `plan must specify one of "http", "tcp", or "exec" for check "c"`},
		{"http no url", "checks:\n  c:\n    override: replace\n    http: {headers: {a: b}}\n", `plan must set "url" for http check "c"`},
		{"tcp no port", "checks:\n  c:\n    override: replace\n    tcp: {host: x}\n", `plan must set "port" for tcp check "c"`},
		{"exec context", "checks:\n  c:\n    override: replace\n    exec: {command: x, service-context: nope}\n", `plan check "c" service context specifies non-existent service "nope"`},
		{"cycle", "services:\n  a:\n    override: replace\n    command: x\n    after: [b]\n  b:\n    override: replace\n    command: x\n    after: [a]\n", `services in before/after loop: a, b`},
		{"requires unknown", "services:\n  a:\n    override: replace\n    command: x\n    requires: [ghost]\n", `service "ghost" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := parseLayer(1, "l", []byte(tt.yaml))
			require.NoError(t, err)
			_, err = buildPlan([]*layer{l})
			require.EqualError(t, err, tt.err)
		})
	}
}

func mustLayer(t *testing.T, order int, label, yaml string) *layer {
	t.Helper()
	l, err := parseLayer(order, label, []byte(yaml))
	require.NoError(t, err)
	return l
}

func TestCombineLayers(t *testing.T) {
	rules(t, "R4.3", "R4.4")
	base := mustLayer(t, 1, "base", `
services:
  web:
    override: replace
    command: /usr/bin/workload --http=8080
    backoff-delay: 2s
    after: [db]
    environment: {A: "1", B: "1"}
    on-check-failure: {up: restart}
  db:
    override: replace
    command: /usr/bin/workload
checks:
  up:
    override: replace
    period: 2s
    http: {url: "http://localhost:8080/health"}
`)
	merge := mustLayer(t, 2, "merge", `
services:
  web:
    override: merge
    backoff-factor: 3
    after: [cache]
    environment: {B: "2"}
  cache:
    override: replace
    command: /usr/bin/workload
`)
	p, err := buildPlan([]*layer{base, merge})
	require.NoError(t, err)
	web := p.Services["web"]
	require.Equal(t, "/usr/bin/workload --http=8080", web.Command, "merge keeps unset scalars")
	require.Equal(t, 2*time.Second, web.BackoffDelay.Value, "set in the first layer, kept by merge")
	require.Equal(t, 3.0, web.BackoffFactor.Value)
	require.Equal(t, defaultBackoffLimit, web.BackoffLimit.Value, "default applied after combining")
	require.Equal(t, []string{"db", "cache"}, web.After, "after is appended")
	require.Equal(t, map[string]string{"A": "1", "B": "2"}, web.Environment, "environment merged by key")
	require.Equal(t, 2*time.Second, p.Checks["up"].Timeout.Value, "timeout capped to the period")
	require.Equal(t, defaultCheckThresh, p.Checks["up"].Threshold)

	replace := mustLayer(t, 3, "replace", "services:\n  web:\n    override: replace\n    command: /usr/bin/workload\n")
	p, err = buildPlan([]*layer{base, merge, replace})
	require.NoError(t, err)
	require.Equal(t, defaultBackoffDelay, p.Services["web"].BackoffDelay.Value, "replace drops the earlier backoff-delay; the default fills it")
	require.Empty(t, p.Services["web"].After)

	noOverride := mustLayer(t, 4, "bad", "services:\n  web:\n    command: x\n")
	_, err = buildPlan([]*layer{base, noOverride})
	require.EqualError(t, err, `layer "bad" must define "override" for service "web"`)
	badOverride := mustLayer(t, 4, "bad", "services:\n  web:\n    override: sometimes\n    command: x\n")
	_, err = buildPlan([]*layer{base, badOverride})
	require.EqualError(t, err, `layer "bad" has invalid "override" value for service "web"`)
}

func TestLayerFileNames(t *testing.T) {
	rules(t, "R4.5")
	tests := []struct {
		name  string
		order int
		label string
		ok    bool
	}{
		{"001-base.yaml", 1, "base", true},
		{"123-some-label.yaml", 123, "some-label", true},
		{"1-base.yaml", 0, "", false},
		{"001-ab.yaml", 0, "", false},
		{"001-Base.yaml", 0, "", false},
		{"001-base.yml", 0, "", false},
		{"001-base--x.yaml", 0, "", false},
	}
	for _, tt := range tests {
		order, label, err := parseLayerFileName(tt.name)
		if !tt.ok {
			require.Error(t, err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.order, order)
		require.Equal(t, tt.label, label)
	}
}

func TestAPILayers(t *testing.T) {
	rules(t, "R4.5")
	h := newHarness(t, testProfile(), oneContainer())
	h.layer("one", svcLayer("a", tool))
	err := h.c.AddLayer(clientAddLayer{Label: "one", LayerData: []byte(svcLayer("a", tool))}.opts())
	require.EqualError(t, err, `layer "one" already exists`)
	require.NoError(t, h.c.AddLayer(clientAddLayer{Label: "one", LayerData: []byte("services:\n  b:\n    override: replace\n    command: " + tool + "\n"), Combine: true}.opts()))
	h.layer("two", svcLayer("c", tool))
	p, _ := h.c.pebble()
	require.Len(t, p.layers, 2)
	require.Equal(t, []int{1, 2}, []int{p.layers[0].Order, p.layers[1].Order}, "a new label is appended after the last")
	require.Contains(t, p.plan.Services, "b")
}

func TestStartOrder(t *testing.T) {
	rules(t, "R5.6")
	l := mustLayer(t, 1, "l", `
services:
  web: {override: replace, command: x, requires: [db], after: [db, cache]}
  db: {override: replace, command: x}
  cache: {override: replace, command: x, before: [web]}
  lone: {override: replace, command: x}
`)
	p, err := buildPlan([]*layer{l})
	require.NoError(t, err)
	order, err := p.startOrder([]string{"web"})
	require.NoError(t, err)
	require.Equal(t, []string{"db", "web"}, order, "requires pulls db in; after orders it first")
	order, err = p.startOrder([]string{"web", "cache", "lone"})
	require.NoError(t, err)
	require.Less(t, index(order, "cache"), index(order, "web"))
	require.Less(t, index(order, "db"), index(order, "web"))
	stop, err := p.stopOrder([]string{"db"})
	require.NoError(t, err)
	require.Equal(t, []string{"web", "db"}, stop, "stopping db stops what requires it, first")
}

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
