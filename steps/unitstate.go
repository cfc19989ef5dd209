package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/canonical/pebble/client"
	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

// What a duty step notes of a unit, and how a later one says it changed.

// unitState is what a duty step notes of a unit, to compare later.
type unitState struct {
	// plans is each workload container's plan, as its Pebble gives it.
	plans map[string]string
	// active lists each container's active services.
	active map[string][]string
	// starts counts Pebble's starts of each "container/service".
	starts map[string]int
	// events is how many events the charm had.
	events int
	status spec.Status
}

// killed is the unit's state after a container was killed.
type killed struct {
	container string
	state     unitState
}

func (s *scenario) unitState() (unitState, error) {
	st := unitState{plans: map[string]string{}, active: map[string][]string{}, starts: map[string]int{}}
	op, _, err := s.operator()
	if err != nil {
		return st, err
	}
	s.catchUp()
	for _, c := range s.charm.ContainerNames() {
		pc, plan, err := s.planOf(c)
		if err != nil {
			return st, err
		}
		st.plans[c] = string(plan)
		infos, err := pc.Services(&client.ServicesOptions{})
		if err != nil {
			return st, fmt.Errorf("cannot read the services of %s: %v", c, err)
		}
		for _, in := range infos {
			if in.Current == client.StatusActive {
				st.active[c] = append(st.active[c], in.Name)
			}
		}
		slices.Sort(st.active[c])
	}
	for _, r := range s.records() {
		if r.Type == spec.RecStart && r.Unit == s.unit {
			st.starts[r.Container+"/"+r.Service]++
		}
	}
	names, err := s.eventNames()
	if err != nil {
		return st, err
	}
	st.events = len(names)
	v, err := op.UnitView(s.unit)
	if err != nil {
		return st, err
	}
	st.status = v.UnitStatus
	return st, nil
}

// planOf reads a workload container's plan, as its Pebble gives it.
func (s *scenario) planOf(container string) (spec.PebbleClient, []byte, error) {
	pc, err := s.sub.Pebble(s.unit, container)
	if err != nil {
		return nil, nil, err
	}
	plan, err := pc.PlanBytes(&client.PlanOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the plan of %s: %v", container, err)
	}
	return pc, plan, nil
}

func (s *scenario) notedState() (*unitState, error) {
	if s.noted == nil {
		return nil, fmt.Errorf("the unit's state was not noted: add And the unit's state is noted first")
	}
	return s.noted, nil
}

// diff says how now differs from the noted state, in a charm author's
// terms.
func (st unitState) diff(now unitState) []string {
	var out []string
	for _, c := range sortedKeys(st.plans) {
		was, is := st.plans[c], now.plans[c]
		switch {
		case was == is:
		case emptyPlan(is):
			out = append(out, fmt.Sprintf("container %s's Pebble has no plan, where it had %s: the charm did not give its layer again "+
				"(a Pebble that starts again starts empty, so a charm gives its layer on every %s)", c, planSummary(was), spec.PebbleReady(c)))
		default:
			out = append(out, fmt.Sprintf("container %s's plan differs from the noted one:\n%s", c, lineDiff(was, is)))
		}
		for _, svc := range st.active[c] {
			if !slices.Contains(now.active[c], svc) {
				out = append(out, fmt.Sprintf("service %s in %s is not active, where it was", svc, c))
			}
		}
	}
	if now.status != st.status {
		out = append(out, fmt.Sprintf("the unit's status is %s, where it was %s", statusText(now.status), statusText(st.status)))
	}
	return out
}

// planChange says, for a restarted service, whether its container's plan
// changed since st was noted, which is why a replan restarts a service.
func (st unitState) planChange(now unitState, container string) string {
	if st.plans[container] == now.plans[container] {
		return ""
	}
	return ": its plan changed, and a replan restarts a service whose plan changed:\n" + lineDiff(st.plans[container], now.plans[container])
}

func emptyPlan(plan string) bool {
	t := strings.TrimSpace(plan)
	return t == "" || t == "{}"
}

// planSummary names a plan's services and checks.
func planSummary(plan string) string {
	var p struct {
		Services map[string]any `yaml:"services"`
		Checks   map[string]any `yaml:"checks"`
	}
	yaml.Unmarshal([]byte(plan), &p)
	out := "services " + listOrNone(sortedKeys(p.Services))
	if len(p.Checks) > 0 {
		out += " and checks " + strings.Join(sortedKeys(p.Checks), ", ")
	}
	return out
}

// lineDiff lists the lines only one side has: "-" the noted plan's, "+"
// the one now.
func lineDiff(was, is string) string {
	a, b := strings.Split(was, "\n"), strings.Split(is, "\n")
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "    - "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "    + "+l)
		}
	}
	return strings.Join(out, "\n")
}

func statusText(st spec.Status) string {
	if st.Message == "" {
		return st.Status
	}
	return fmt.Sprintf("%s (%q)", st.Status, st.Message)
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
