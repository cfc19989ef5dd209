package simulator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

// rules names the REFERENCE rules a test checks; TestEveryRuleHasAModelTest
// reads these calls to find rules no test checks.
func rules(t *testing.T, ids ...string) {
	t.Helper()
	t.Logf("checks %s", strings.Join(ids, ", "))
}

// testProfile is the sim profile with probes off unless a test wants them.
func testProfile() spec.TimingProfile {
	p := spec.Profiles["sim"]
	p.Probes = false
	return p
}

const tool = spec.WorkloadTool

// harness is one deployed unit of a one-container charm.
type harness struct {
	t *testing.T
	m *Model
	u *Unit
	c *Client
}

func newHarness(t *testing.T, profile spec.TimingProfile, cs *spec.CharmSpec) *harness {
	t.Helper()
	m, err := New(profile, 1)
	require.NoError(t, err)
	require.NoError(t, m.Deploy(cs, 1, 1))
	u := m.Units()[0]
	h := &harness{t: t, m: m, u: u, c: u.Client(cs.Containers[0].Name)}
	m.Clock.Sleep(profile.PodStart + profile.AgentStart + time.Millisecond)
	return h
}

// oneContainer is a charm with one "app" container and no handlers.
func oneContainer() *spec.CharmSpec {
	return &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}
}

func (h *harness) layer(label, yaml string) {
	h.t.Helper()
	require.NoError(h.t, h.c.AddLayer(&client.AddLayerOptions{Label: label, LayerData: []byte(yaml)}))
}

func (h *harness) replan() string {
	h.t.Helper()
	id, err := h.c.Replan(&client.ServiceOptions{})
	require.NoError(h.t, err)
	return id
}

func (h *harness) status(name string) string {
	h.t.Helper()
	infos, err := h.c.Services(&client.ServicesOptions{Names: []string{name}})
	require.NoError(h.t, err)
	require.Len(h.t, infos, 1)
	return string(infos[0].Current)
}

func (h *harness) sleep(d time.Duration) { h.m.Clock.Sleep(d) }

// logs returns the unit's Pebble log lines matching re, from the trace.
func (h *harness) logs(re string) []spec.Record {
	var out []spec.Record
	rx := regexp.MustCompile(re)
	for _, r := range h.m.Trace().Records {
		if r.Type == spec.RecLog && rx.MatchString(r.Message) {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) starts(service string) []time.Duration {
	var out []time.Duration
	for _, r := range h.m.Trace().Records {
		if r.Type == spec.RecStart && r.Service == service {
			out = append(out, r.At)
		}
	}
	return out
}

func (h *harness) events() []string {
	var out []string
	for _, e := range h.u.Events() {
		out = append(out, e.Name)
	}
	return out
}

func svcLayer(name, command string, extra ...string) string {
	s := "services:\n  " + name + ":\n    override: replace\n    startup: enabled\n    command: " + command + "\n"
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

// TestEveryRuleHasAModelTest fails listing each rule of R2 and R4–R7 in
// docs/reference.md that no test in this package names with rules().
func TestEveryRuleHasAModelTest(t *testing.T) {
	data, err := os.ReadFile("../docs/reference.md")
	require.NoError(t, err)
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`\*\*(R[24567]\.\d+)\*\*`).FindAllStringSubmatch(string(data), -1) {
		want[m[1]] = true
	}
	require.NotEmpty(t, want, "no rules found in docs/reference.md")
	named := map[string]bool{}
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "rules" {
				return true
			}
			for _, arg := range call.Args[1:] {
				if lit, ok := arg.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					named[s] = true
				}
			}
			return true
		})
	}
	var missing []string
	for r := range want {
		if !named[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "rules with no model test naming them")
}

// clientAddLayer builds AddLayerOptions in one expression.
type clientAddLayer client.AddLayerOptions

func (o clientAddLayer) opts() *client.AddLayerOptions {
	c := client.AddLayerOptions(o)
	return &c
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
