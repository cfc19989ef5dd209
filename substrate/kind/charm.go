package kind

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// A charm of your own runs on kind as on docker: its charm container's
// image (realpod.CharmImage) loaded into the nodes or pushed to the
// registry, the charm laid on each new pod's charm-data by the agent,
// which places it for the unit its pod's name says. The controller's
// part is realpod.Controller's; the pods are the StatefulSet's, so
// scaling sets its replicas.

// Agent is the charm agent of the unit's running pod (realpod.Pods).
func (k *Kind) Agent(id spec.UnitID) (*charmagent.Client, error) {
	inc, err := k.running(id)
	if err != nil {
		return nil, err
	}
	inc.mu.Lock()
	defer inc.mu.Unlock()
	if inc.agent == nil {
		return nil, fmt.Errorf("the pod of %s is starting", id)
	}
	return inc.agent, nil
}

// StartPod adds the pod of a unit scaling added (realpod.Pods): the
// StatefulSet gets one more replica, whose pod's ordinal must be the
// unit's number, since each agent takes its unit from its pod's name.
func (k *Kind) StartPod(cu *realpod.Unit) error {
	// The units alive, the new one among them, are the pods 0 to n-1.
	n := len(k.Controller.Alive())
	if cu.ID.Index() != n-1 {
		return fmt.Errorf("cannot add %s on kind: the StatefulSet's next pod is %s-%d, and each agent takes its unit from its pod's ordinal, while Juju numbers a new unit on after one scaling took away: scale up before scaling down on kind", cu.ID, k.charm.App, n-1)
	}
	k.mu.Lock()
	k.units = append(k.units, &unit{k: k, id: cu.ID, ctl: cu})
	k.mu.Unlock()
	return k.setReplicas(n)
}

// RemovePod takes away, for good, the pod of a unit scaling removed
// (realpod.Pods): the last of the StatefulSet's, once its dying hooks ran.
func (k *Kind) RemovePod(id spec.UnitID) {
	u, err := k.unit(id)
	if err != nil {
		return
	}
	if inc := u.current(); inc != nil {
		u.end(inc)
	}
	if err := k.setReplicas(id.Index()); err != nil {
		k.Failf("cannot remove the pod of %s: %v", id, err)
	}
}

// setReplicas scales the application's StatefulSet, as Juju's provisioner
// does for juju scale-application.
func (k *Kind) setReplicas(n int) error {
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)
	_, err := k.cs.AppsV1().StatefulSets(k.ns).Patch(context.Background(), k.charm.App, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("cannot scale the %s StatefulSet to %d: %w", k.charm.App, n, err)
	}
	return nil
}

// terminate plays a deleted pod's SIGTERM for a charm of your own: its
// stop hook runs within the grace period before the pod goes, and the
// controller keeps what the unit holds for the next pod.
func (k *Kind) terminate(id spec.UnitID) {
	u, err := k.unit(id)
	if err != nil {
		return
	}
	agent, _ := k.Agent(id) // none yet: its charm ran no hook to stop
	k.Controller.Terminate(u.ctl, agent)
}

// allUnits are the scenario's units, the ones scaling added among them.
func (k *Kind) allUnits() []*unit {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*unit(nil), k.units...)
}
