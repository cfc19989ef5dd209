package steps

import (
	"fmt"
	"strconv"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// podCheckPhrases check the pod, its Service and the nodes it runs on.
func podCheckPhrases() []Phrase {
	g := "Checks"
	return []Phrase{
		{Group: g, Pattern: `^the pod is (Running|Pending|Terminating|Unknown|ready|not ready)` + within + `$`,
			Example: `Then the pod is not ready within 10s`,
			Help:    "The unit's pod phase, or its readiness (R3.4, R3.7).",
			run: func(s *scenario, a []string, _ string) error {
				return s.check(a[1], func() error {
					p, err := s.pod()
					if err != nil {
						return err
					}
					switch a[0] {
					case "ready", "not ready":
						if p.Ready != (a[0] == "ready") {
							return fmt.Errorf("the pod of %s is ready=%v, want %s", s.unit, p.Ready, a[0])
						}
					default:
						if p.Phase != a[0] {
							return fmt.Errorf("the pod of %s is %s, want %s", s.unit, p.Phase, a[0])
						}
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the pod's address in the Service is (serving|not serving)` + within + `$`,
			Example: `Then the pod's address in the Service is not serving within 15s`,
			Help:    "The unit in the endpoints of Juju's headless <app>-endpoints Service (R3.4): Juju publishes not-ready addresses, so the pod stays listed; whether it is serving there follows its readiness.",
			Needs:   spec.CapProber,
			run: func(s *scenario, a []string, _ string) error {
				er, ok := s.sub.(substrate.EndpointReader)
				if !ok {
					return fmt.Errorf("the %s substrate has no Service endpoints (tag the scenario @needs-prober)", s.sub.Name())
				}
				return s.check(a[1], func() error {
					listed, serving, err := er.Endpoint(s.unit)
					if err != nil {
						return err
					}
					if !listed {
						return fmt.Errorf("the pod of %s is not in the Service's endpoints", s.unit)
					}
					if serving != (a[0] == "serving") {
						return fmt.Errorf("the pod of %s is listed, serving=%v, want %s", s.unit, serving, a[0])
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the pod (runs on another node|is still on the failed node)` + within + `$`,
			Example: `Then the pod runs on another node within 30s`,
			Help:    "Where the unit's pod is, against the node it ran on when a node failed or the pod was force-deleted (R3.7).",
			run: func(s *scenario, a []string, _ string) error {
				if s.nodeBefore == "" {
					return fmt.Errorf("no node failed and no pod was force-deleted in this scenario")
				}
				return s.check(a[1], func() error {
					p, err := s.pod()
					if err != nil {
						return err
					}
					moved := p.Node != "" && p.Node != s.nodeBefore && p.Phase == "Running"
					if (a[0] == "runs on another node") != moved {
						return fmt.Errorf("the pod of %s is %s on node %q (was on %q)", s.unit, p.Phase, p.Node, s.nodeBefore)
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^every unit's containers run on one node$`,
			Example: `Then every unit's containers run on one node`,
			Help:    "Co-location (R1.6): each unit's pod, with its charm and every workload, is on one node; where the substrate can see where each container's processes run (kind), each container is checked there too.",
			run: func(s *scenario, _ []string, _ string) error {
				pods, err := s.sub.Pods()
				if err != nil {
					return err
				}
				if len(pods) == 0 {
					return fmt.Errorf("no pods")
				}
				placer, seen := s.sub.(substrate.ContainerPlacer)
				for _, p := range pods {
					if p.Node == "" || p.Phase != "Running" {
						return fmt.Errorf("the pod of %s is %s on node %q", p.Unit, p.Phase, p.Node)
					}
					if !seen {
						continue
					}
					nodes, err := placer.ContainerNodes(p.Unit)
					if err != nil {
						return err
					}
					for name, node := range nodes {
						if node != p.Node {
							return fmt.Errorf("container %s of %s runs on %s, its pod on %s", name, p.Unit, node, p.Node)
						}
					}
				}
				return nil
			}},
		{Group: g, Pattern: `^the operator pod and the workload pod run on different nodes$`,
			Example: `Then the operator pod and the workload pod run on different nodes`,
			Help:    "After a podspec deploy (R1.6): the scheduler put the charm's operator pod and its workload pod on two nodes, which a sidecar unit's one pod never is.",
			run: func(s *scenario, _ []string, _ string) error {
				pd, ok := s.sub.(substrate.PodspecDeployer)
				if !ok || !s.podspec {
					return fmt.Errorf("no podspec pods: add \"When the charm is deployed the podspec way on 2 nodes\" first")
				}
				op, wl, err := pd.PodspecNodes()
				if err != nil {
					return err
				}
				if op == "" || wl == "" || op == wl {
					return fmt.Errorf("the operator pod is on %q and the workload pod on %q, want two nodes", op, wl)
				}
				return nil
			}},
		{Group: g, Pattern: `^the units run on (?P<n>\d+) different nodes$`,
			Example: `Then the units run on 2 different nodes`,
			Help:    "How many nodes the units' pods are spread over.",
			run: func(s *scenario, a []string, _ string) error {
				pods, err := s.sub.Pods()
				if err != nil {
					return err
				}
				nodes := map[string]bool{}
				for _, p := range pods {
					nodes[p.Node] = true
				}
				want, _ := strconv.Atoi(a[0])
				if len(nodes) != want {
					return fmt.Errorf("the units run on %d nodes, want %d", len(nodes), want)
				}
				return nil
			}},
	}
}
