package steps

import (
	"fmt"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

// faultPhrases are the When steps that break something of the unit: a
// container, a pod, a node.
func faultPhrases() []Phrase {
	g := "Faults"
	return []Phrase{
		{Group: g, Pattern: `^the process of "(?P<service>[^"]*)" in "(?P<container>[^"]*)" is killed(?: with (?P<signal>SIG[A-Z0-9]+))?$`,
			Example: `When the process of "redis" in "redis" is killed with SIGKILL`,
			Help:    "Kills a service's process behind Pebble's back (SIGKILL unless said): Pebble applies on-failure (R3.1).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				sig := a[2]
				if sig == "" {
					sig = "SIGKILL"
				}
				return s.sub.KillService(s.unit, a[1], a[0], sig)
			}},
		{Group: g, Pattern: `^container "(?P<container>[^"]*)" is killed$`,
			Example: `When container "redis" is killed`,
			Help:    "Kills a container's PID 1, its Pebble (\"charm\" for the charm container): it is restarted with a new boot id (R3.2, R3.5).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				if a[0] != spec.CharmContainer {
					if _, err := s.container(a[0]); err != nil {
						return err
					}
				}
				return s.sub.KillContainer(s.unit, a[0])
			}},
		{Group: g, Pattern: `^the workload in "(?P<container>[^"]*)" turns (unhealthy|healthy)(?: through "(?P<path>[^"]*)")?$`,
			Example: `When the workload in "redis" turns unhealthy`,
			Help:    "Flips the workload tool's health switch (its --health-file) so checks fail, or pass again, for real.",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				if _, err := s.container(a[0]); err != nil {
					return err
				}
				path := a[2]
				if path == "" {
					path = spec.DefaultHealthFile
				}
				return s.sub.SetHealth(s.unit, a[0], path, a[1] == "healthy")
			}},
		{Group: g, Pattern: `^the pod is deleted$`,
			Example: `When the pod is deleted`,
			Help:    "Deletes the unit's pod: the StatefulSet recreates it with the same name (R3.6).",
			Needs:   spec.CapPodDelete,
			run: func(s *scenario, _ []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				d, ok := s.sub.(substrate.PodDeleter)
				if !ok {
					return fmt.Errorf("substrate %s cannot delete pods: tag the scenario @needs-pod-delete", s.sub.Name())
				}
				return d.DeletePod(s.unit)
			}},
		{Group: g, Pattern: `^the node running the pod fails$`,
			Example: `When the node running the pod fails`,
			Help:    "Stops the unit's node (R3.7).",
			Needs:   spec.CapNodes,
			run: func(s *scenario, _ []string, _ string) error {
				n, err := s.nodeFailer()
				if err != nil {
					return err
				}
				p, err := s.pod()
				if err != nil {
					return err
				}
				s.failedNode, s.nodeBefore = p.Node, p.Node
				return n.FailNode(p.Node)
			}},
		{Group: g, Pattern: `^the pod is force-deleted$`,
			Example: `When the pod is force-deleted`,
			Help:    "Deletes the pod object whatever its node says, which lets the StatefulSet replace a pod on a dead node (R3.7).",
			run: func(s *scenario, _ []string, _ string) error {
				n, err := s.nodeFailer()
				if err != nil {
					return err
				}
				if p, err := s.pod(); err == nil && s.nodeBefore == "" {
					s.nodeBefore = p.Node
				}
				return n.ForceDelete(s.unit)
			}},
	}
}

func (s *scenario) nodeFailer() (substrate.NodeFailer, error) {
	if err := s.afterDeploy(); err != nil {
		return nil, err
	}
	n, ok := s.sub.(substrate.NodeFailer)
	if !ok {
		return nil, fmt.Errorf("substrate %s has no nodes to fail: tag the scenario @needs-nodes", s.sub.Name())
	}
	return n, nil
}
