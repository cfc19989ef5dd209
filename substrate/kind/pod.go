package kind

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/canonical/pebble/client"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// unit is one unit and its pods over the scenario.
type unit struct {
	k  *Kind
	id spec.UnitID
	// ctl is the controller's side of the unit across its pods.
	ctl   *realpod.Unit
	mu    sync.Mutex
	inc   *incarnation
	ended types.UID // the pod the scenario deleted, until its object goes
}

func (u *unit) current() *incarnation {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.inc
}

// end stops following an incarnation the scenario deleted.
func (u *unit) end(inc *incarnation) {
	u.mu.Lock()
	if u.inc == inc {
		u.inc = nil
		u.ended = inc.uid
	}
	u.mu.Unlock()
	inc.close()
}

// observe takes a pod's new state: a new pod object is a new incarnation;
// its placement, its start, its containers' restarts and its deletion are
// recorded as they are seen.
func (u *unit) observe(pod *corev1.Pod) {
	u.mu.Lock()
	if pod.UID == u.ended {
		u.mu.Unlock()
		return
	}
	inc := u.inc
	if inc == nil || inc.uid != pod.UID {
		if inc != nil {
			go inc.close()
		}
		inc = &incarnation{u: u, k: u.k, uid: pod.UID, name: pod.Name, restarts: map[string]int32{},
			clients: map[string]*client.Client{}, stop: make(chan struct{})}
		u.inc = inc
	}
	u.mu.Unlock()
	inc.update(pod)
}

// incarnation is one pod object of a unit.
type incarnation struct {
	u    *unit
	k    *Kind
	uid  types.UID
	name string

	mu      sync.Mutex
	node    string
	phase   string
	started bool
	closed  bool
	pending bool // the scheduler said it cannot place the pod
	// pullFailed: containers whose image could not be pulled, said once
	pullFailed map[string]bool
	restarts   map[string]int32
	ports      map[string]int // "agent" or a workload -> local port
	clients    map[string]*client.Client
	agent      *charmagent.Client
	stop       chan struct{}
	following  bool
	logs       map[string]*logState // by workload, once run has begun
	followers  sync.WaitGroup
}

func (inc *incarnation) isStarted() bool {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.started && !inc.closed
}

func (inc *incarnation) close() {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	if !inc.closed {
		inc.closed = true
		close(inc.stop)
	}
}

func (inc *incarnation) gone() bool {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.closed
}

// state records a pod phase once.
func (inc *incarnation) state(phase string) {
	inc.mu.Lock()
	if inc.phase == phase || inc.closed {
		inc.mu.Unlock()
		return
	}
	inc.phase = phase
	inc.mu.Unlock()
	inc.k.Observe(spec.Record{Type: spec.RecPod, Unit: inc.u.id, State: phase})
}

func (inc *incarnation) update(pod *corev1.Pod) {
	k := inc.k
	inc.mu.Lock()
	placed := inc.node == "" && pod.Spec.NodeName != ""
	if placed {
		inc.node = pod.Spec.NodeName
	}
	unschedulable := false
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			unschedulable = true
		}
	}
	newlyUnschedulable := unschedulable && !inc.pending
	inc.pending = unschedulable
	var pullProblems []string
	for _, st := range append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if p := imagePullProblem(st, k.target.Registry); p != "" && !inc.pullFailed[st.Name] {
			if inc.pullFailed == nil {
				inc.pullFailed = map[string]bool{}
			}
			inc.pullFailed[st.Name] = true
			pullProblems = append(pullProblems, fmt.Sprintf("%s: %s", pod.Name, p))
		}
	}
	inc.mu.Unlock()
	for _, p := range pullProblems {
		k.Failf("%s", p)
	}
	if newlyUnschedulable {
		inc.state("Pending")
	}
	if placed {
		k.Observe(spec.Record{Type: spec.RecPlacement, Unit: inc.u.id, Node: k.modelNode(pod.Spec.NodeName)})
	}
	if pod.DeletionTimestamp != nil {
		k.mu.Lock()
		lost := k.notReady[pod.Spec.NodeName]
		k.mu.Unlock()
		if lost {
			inc.state("Terminating")
		}
		return
	}
	// Running once every container has started: the model's pod runs
	// when its containers start.
	running := len(pod.Status.ContainerStatuses) == len(pod.Spec.Containers)
	for _, c := range pod.Status.ContainerStatuses {
		running = running && (c.State.Running != nil || c.RestartCount > 0)
	}
	inc.mu.Lock()
	first := running && !inc.started && !inc.closed
	if first {
		inc.started = true
	}
	inc.mu.Unlock()
	if first {
		inc.state("Running")
		go func() {
			if err := inc.run(); err != nil && !inc.gone() {
				k.Failf("cannot reach the pod of %s: %v", inc.u.id, err)
			}
		}()
	}
	for _, c := range pod.Status.ContainerStatuses {
		inc.mu.Lock()
		was := inc.restarts[c.Name]
		inc.restarts[c.Name] = c.RestartCount
		inc.mu.Unlock()
		if c.RestartCount > was {
			// When it is seen: the API's start times are whole seconds.
			k.Observe(spec.Record{Type: spec.RecRestart, Unit: inc.u.id, Container: c.Name, Count: int(c.RestartCount)})
		}
	}
}

// run forwards the agent's port and each workload's Pebble proxy, follows
// the workloads' logs, and plays the controller: it introduces the pod to
// the agent once the agent and every Pebble answer.
func (inc *incarnation) run() error {
	if err := inc.forward(); err != nil {
		return err
	}
	inc.mu.Lock()
	inc.agent = charmagent.NewTCPClient(fmt.Sprintf("127.0.0.1:%d", inc.ports["agent"]), inc.k.token)
	inc.following = true
	inc.logs = map[string]*logState{}
	for _, name := range inc.k.charm.ContainerNames() {
		inc.logs[name] = &logState{}
		inc.followers.Add(1)
		go inc.followLogs(name, inc.logs[name])
	}
	inc.mu.Unlock()
	return inc.introduce()
}

// forward starts a port-forward to the pod for the agent and every
// Pebble proxy, and keeps it up on the same local ports until the
// incarnation ends: a forward dies with a stream that fails (a container
// restarting under it), and the clients must find it where it was.
func (inc *incarnation) forward() error {
	k := inc.k
	names := append([]string{"agent", spec.CharmContainer}, k.charm.ContainerNames()...)
	remote := []int{sidecar.AgentPort, sidecar.CharmProxyPort}
	for i := range k.charm.ContainerNames() {
		remote = append(remote, sidecar.WorkloadProxyPort(i))
	}
	local := make([]int, len(remote))
	ready := make(chan error, 1)
	go func() {
		first := true
		for !inc.gone() {
			var specs []string
			for i, r := range remote {
				specs = append(specs, fmt.Sprintf("%d:%d", local[i], r))
			}
			readyCh := make(chan struct{})
			fw, err := inc.portForwarder(specs, readyCh)
			if err == nil {
				done := make(chan error, 1)
				go func() { done <- fw.ForwardPorts() }()
				select {
				case <-readyCh:
					if first {
						ports, _ := fw.GetPorts()
						for i, p := range ports {
							local[i] = int(p.Local)
						}
						inc.mu.Lock()
						inc.ports = map[string]int{}
						for i, n := range names {
							inc.ports[n] = local[i]
						}
						inc.mu.Unlock()
						first = false
						ready <- nil
					}
					<-done
				case err = <-done:
				}
			}
			if first && err != nil && inc.gone() {
				ready <- err
				return
			}
			select {
			case <-inc.stop:
			case <-time.After(100 * time.Millisecond):
			}
		}
		if first {
			ready <- fmt.Errorf("the pod went away")
		}
	}()
	select {
	case err := <-ready:
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("cannot forward ports to pod %s within 60s", inc.name)
	}
}

// portForwarder is client-go's port-forward to the pod, as kubectl's; it
// stops when the incarnation does.
func (inc *incarnation) portForwarder(ports []string, ready chan struct{}) (*portforward.PortForwarder, error) {
	k := inc.k
	transport, upgrader, err := spdy.RoundTripperFor(k.rest)
	if err != nil {
		return nil, err
	}
	url := k.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(k.ns).Name(inc.name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, url)
	return portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, ports, inc.stop, ready, io.Discard, io.Discard)
}

func (inc *incarnation) introduce() error {
	k := inc.k
	deadline := time.Now().Add(90 * time.Second)
	for !inc.agent.Healthy() {
		if inc.gone() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the charm agent of %s did not answer within 90s", inc.u.id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, name := range k.charm.ContainerNames() {
		c, err := inc.client(name)
		if err != nil {
			return err
		}
		for !spec.CanConnect(c) {
			if inc.gone() {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the Pebble of %s in %s did not answer within 90s", name, inc.u.id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := k.Controller.Introduce(inc.u.ctl, inc.agent); err != nil {
		return err
	}
	k.PollEvents(inc.agent, inc.u.id, k.charm.ContainerNames(), k.charm.Charm != nil, inc.stop)
	return nil
}

// client is a workload's Pebble through the agent's proxy for it: a real
// client, through the charm container, as the charm reaches it.
func (inc *incarnation) client(name string) (*client.Client, error) {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	if c, ok := inc.clients[name]; ok {
		return c, nil
	}
	port, ok := inc.ports[name]
	if !ok {
		return nil, fmt.Errorf("cannot reach container %q of %s", name, inc.u.id)
	}
	c, err := client.New(&client.Config{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port), BasicUsername: "tandem", BasicPassword: inc.k.token})
	if err != nil {
		return nil, err
	}
	inc.clients[name] = c
	return c, nil
}

// stopFollowing stops reading logs of a pod whose node died: the API
// server can no longer reach its kubelet.
func (inc *incarnation) stopFollowing() {
	inc.mu.Lock()
	inc.following = false
	inc.mu.Unlock()
}

func (inc *incarnation) isFollowing() bool {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.following && !inc.closed
}
