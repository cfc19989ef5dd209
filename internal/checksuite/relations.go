package checksuite

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Relation is a related application the charm needs to settle, as
// `tandem check --relations FILE` reads it:
//
//   - app: postgresql
//     endpoint: database
//     units: 1
//     app-data: {endpoints: "10.1.2.3:5432"}
//     unit-data: {ingress-address: 10.1.2.3}
//
// It is related before each deploy; its data are set right after, for
// the application and each of its units.
type Relation struct {
	App      string            `yaml:"app"`
	Endpoint string            `yaml:"endpoint"`
	Units    *int              `yaml:"units"`
	AppData  map[string]string `yaml:"app-data"`
	UnitData map[string]string `yaml:"unit-data"`
	// Line is where it starts in its file, for errors.
	Line int `yaml:"-"`
}

// ReadRelations reads a relations file; an error names the file and line.
func ReadRelations(path string) ([]Relation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
		return nil, fmt.Errorf("%s:%d: %s (a list of related applications: - app: ..., endpoint: ...)", path, line, msg)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	list := doc.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want a list of related applications (- app: ..., endpoint: ...)", path, list.Line)
	}
	var out []Relation
	for _, item := range list.Content {
		if line, err := knownKeys(item); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		var r Relation
		if err := item.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s:%d: %s", path, item.Line, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		r.Line = item.Line
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, item.Line, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// knownKeys refuses a key a related application does not have, rather
// than drop it (a typo would leave the unit waiting for data never set).
func knownKeys(item *yaml.Node) (int, error) {
	if item.Kind != yaml.MappingNode {
		return item.Line, fmt.Errorf("want a related application: app, endpoint, units, app-data, unit-data")
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		switch k := item.Content[i]; k.Value {
		case "app", "endpoint", "units", "app-data", "unit-data":
		default:
			return k.Line, fmt.Errorf("unknown key %q: want app, endpoint, units, app-data or unit-data", k.Value)
		}
	}
	return 0, nil
}

func (r Relation) check() error {
	if r.App == "" || r.Endpoint == "" {
		return fmt.Errorf("a related application needs app and endpoint (- app: postgresql, endpoint: database)")
	}
	if r.Units != nil && *r.Units < 0 {
		return fmt.Errorf("units: %d: want 0 or more", *r.Units)
	}
	all := []string{r.App, r.Endpoint}
	for k, v := range r.AppData {
		all = append(all, k, v)
	}
	for k, v := range r.UnitData {
		all = append(all, k, v)
	}
	for _, s := range all {
		if err := quotable(s); err != nil {
			return fmt.Errorf("%q: %w (JSON in relation data cannot be given here)", s, err)
		}
	}
	return nil
}

func (r Relation) units() int {
	if r.Units == nil {
		return 1
	}
	return *r.Units
}

// relate is its step before the deploy.
func (r Relation) relate() string {
	unit := "units"
	if r.units() == 1 {
		unit = "unit"
	}
	return fmt.Sprintf(`    Given "%s" is related on "%s" with %d %s`, r.App, r.Endpoint, r.units(), unit)
}

// data are its steps after the deploy: the application's data, then
// each unit's.
func (r Relation) data() []string {
	var out []string
	for _, k := range sortedKeys(r.AppData) {
		out = append(out, fmt.Sprintf(`    And "%s" sets "%s" to "%s" on "%s"`, r.App, k, r.AppData[k], r.Endpoint))
	}
	for i := 0; i < r.units(); i++ {
		for _, k := range sortedKeys(r.UnitData) {
			out = append(out, fmt.Sprintf(`    And "%s/%d" sets "%s" to "%s" on "%s"`, r.App, i, k, r.UnitData[k], r.Endpoint))
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
