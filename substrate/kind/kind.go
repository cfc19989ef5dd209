package kind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

func init() {
	// client-go reports a port-forward's broken stream through klog; the
	// forward is made again (pod.go), so the line would only be noise.
	klog.SetLogger(logr.Discard())
	substrate.Register("kind", func(ctx context.Context, opts substrate.Options) (substrate.Substrate, error) {
		return New(ctx, opts)
	})
}

// Labels on every namespace tandem makes; the objects in it carry Juju's
// labels beside tandem's run id.
const (
	LabelRun   = "tandem"       // the run id
	LabelOwner = "tandem.owner" // the pid of the tandem that made it
	LabelHost  = "tandem.host"  // the machine that tandem ran on (HostLabel)
)

// Target is the cluster the kind substrate runs on; `tandem run` sets it
// once for the run.
type Target struct {
	Kubeconfig string
	// Cluster is tandem's kind cluster's name: its nodes are containers on
	// this machine, so images are loaded into them and the process and
	// node faults work. Empty for any other cluster.
	Cluster string
	// Registry is where another cluster's nodes pull tandem's images
	// from: they are pushed there first. Empty: they must be on the nodes.
	Registry images.Registry
}

// ForeignReason is why the kind substrate on a cluster that is not
// tandem's own cannot do all it declares.
const ForeignReason = "the cluster's nodes are not on this machine, so tandem cannot kill their containers, fail them or look inside them (tandem's own kind cluster can)"

var (
	targetMu sync.Mutex
	target   Target
)

// Use sets the cluster scenarios run on. On a cluster that is not
// tandem's own, scenarios needing container kills or node failures are
// skipped with the reason.
func Use(t Target) {
	targetMu.Lock()
	defer targetMu.Unlock()
	target = t
	if t.Cluster == "" {
		substrate.Narrow("kind", []spec.Capability{spec.CapContainerRestart, spec.CapNodes}, ForeignReason)
	} else {
		substrate.Narrow("kind", nil, "")
	}
}

func using() Target {
	targetMu.Lock()
	defer targetMu.Unlock()
	return target
}

// Kind runs a scenario's units as a StatefulSet on a cluster.
type Kind struct {
	*realpod.Recorder
	// Controller plays Juju's controller for the units, from the deploy:
	// it serves substrate.CharmOperator.
	*realpod.Controller
	target  Target
	rest    *rest.Config
	cs      kubernetes.Interface
	imgs    images.Set
	profile spec.TimingProfile
	clock   *spec.WallClock
	runID   string
	ns      string
	token   string
	charm   *spec.CharmSpec
	units   []*unit
	workers []string // the workers units may run on; worker-<i+1> to the model
	stop    chan struct{}
	pods    cache.Indexer
	nodes   cache.Indexer

	mu       sync.Mutex
	closed   bool
	failed   map[string]bool // node containers this run killed
	notReady map[string]bool
	unlock   func() // releases spread; set once prepare has run

	podspecApp string // the charm DeployPodspec deployed
}

// spread lets scenarios share the cluster, except one spread over nodes,
// which runs alone (see Deploy).
var spread sync.RWMutex

var (
	_ substrate.Substrate       = (*Kind)(nil)
	_ substrate.ContainerPlacer = (*Kind)(nil)
	_ substrate.Stuck           = (*Kind)(nil)
	_ substrate.PodspecDeployer = (*Kind)(nil)
	_ substrate.EndpointReader  = (*Kind)(nil)
	_ substrate.PodDeleter      = (*Kind)(nil)
	_ substrate.NodeFailer      = (*Kind)(nil)
	_ substrate.CharmOperator   = (*Kind)(nil)
)

// New reaches the cluster and makes sure tandem's images are built.
func New(ctx context.Context, opts substrate.Options) (*Kind, error) {
	t := using()
	if t.Kubeconfig == "" {
		return nil, fmt.Errorf("cannot run the kind substrate: no cluster: tandem run --substrate kind brings one up, or name one with --kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", t.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("cannot read the kubeconfig %s: %w", t.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	imgs, err := images.Build(ctx, os.Stderr)
	if err != nil {
		return nil, err
	}
	profile := spec.Profiles["kind"]
	runID := opts.RunID + "-" + randomHex(3)
	return &Kind{Recorder: realpod.NewRecorder("kind", profile, opts.Seed, opts.Scenario), target: t, rest: cfg, cs: cs,
		imgs: imgs, profile: profile, clock: spec.NewWallClock(), runID: runID, ns: "tandem-" + runID, token: randomHex(16),
		stop: make(chan struct{}), failed: map[string]bool{}, notReady: map[string]bool{}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (k *Kind) Name() string                    { return "kind" }
func (k *Kind) Capabilities() []spec.Capability { return substrate.Has("kind") }
func (k *Kind) Clock() spec.Clock               { return k.clock }

// Deploy applies the StatefulSet and Service Juju would, in a namespace
// of the scenario's own, confined to the first `nodes` workers.
func (k *Kind) Deploy(ctx context.Context, cs *spec.CharmSpec, units, nodes int) error {
	if k.charm != nil {
		return fmt.Errorf("cannot deploy %q: this run already has %q", cs.App, k.charm.App)
	}
	charmImage := k.imgs.Charm
	if cs.Charm != nil {
		var err error
		if charmImage, err = realpod.CharmImage(ctx, os.Stderr, cs.Charm); err != nil {
			return err
		}
	}
	k.Act(spec.Record{Type: spec.RecDeploy, Spec: cs, Count: units, Nodes: nodes})
	if err := k.prepare(ctx, nodes); err != nil {
		return err
	}
	resolved := *cs
	resolved.Containers = append([]spec.Container(nil), cs.Containers...)
	load := []string{k.imgs.Init, charmImage, k.imgs.Workload}
	for i := range resolved.Containers {
		c := &resolved.Containers[i]
		base := k.imgs.Resolve(c.Image)
		if base == "" {
			base = k.imgs.Workload
		}
		image, err := withFiles(ctx, base, *c, binaries.CacheDir())
		if err != nil {
			return err
		}
		c.Image = image
		if strings.HasPrefix(image, "tandem/") {
			load = append(load, image)
			c.Image = k.target.Registry.Ref(image)
		}
	}
	k.charm = &resolved
	if err := k.publish(ctx, load); err != nil {
		return err
	}

	agentCfg, err := k.agentConfig()
	if err != nil {
		return err
	}
	ref := k.target.Registry.Ref
	ss := sidecar.StatefulSet(k.charm, units, sidecar.Images{Init: ref(k.imgs.Init), Charm: ref(charmImage), Workload: ref(k.imgs.Workload)},
		agentCfg, map[string]string{LabelRun: k.runID})
	k.place(&ss.Spec.Template.Spec, cs.App)
	k.pullPolicy(&ss.Spec.Template.Spec)
	if _, err := k.cs.CoreV1().Services(k.ns).Create(ctx, sidecar.Service(k.charm, map[string]string{LabelRun: k.runID}), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cannot make the %s-endpoints Service: %w", cs.App, err)
	}
	// A unit's address is the pod's loopback, as the model has it.
	k.Controller = realpod.NewController(k.Recorder, k, k.charm, "127.0.0.1")
	k.mu.Lock()
	for _, cu := range k.Controller.Deploy(units) {
		k.units = append(k.units, &unit{k: k, id: cu.ID, ctl: cu})
	}
	k.mu.Unlock()
	k.watch()
	if _, err := k.cs.AppsV1().StatefulSets(k.ns).Create(ctx, ss, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cannot make the %s StatefulSet: %w", cs.App, err)
	}
	return nil
}

// prepare, once per scenario, picks the first `nodes` workers, takes the
// cluster (alone when spread over nodes), and makes the namespace.
func (k *Kind) prepare(ctx context.Context, nodes int) error {
	if k.unlock != nil {
		return nil
	}
	if nodes == 0 {
		nodes = 1 // as the model
	}
	workers, err := k.listWorkers(ctx)
	if err != nil {
		return err
	}
	if nodes > len(workers) {
		return fmt.Errorf("cannot deploy on %d nodes: the cluster has %d workers (tandem cluster up --workers %d)", nodes, len(workers), nodes)
	}
	k.workers = workers[:nodes]
	// A scenario spread over nodes may fail one, which would hit every
	// other scenario's pods there: it runs alone.
	if nodes > 1 {
		spread.Lock()
		k.unlock = spread.Unlock
	} else {
		spread.RLock()
		k.unlock = spread.RUnlock
	}
	labels := map[string]string{LabelRun: k.runID, LabelOwner: strconv.Itoa(os.Getpid()), LabelHost: HostLabel()}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns, Labels: labels}}
	if _, err := k.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cannot make namespace %s: %w", k.ns, err)
	}
	return nil
}

// DeployPodspec deploys the charm the older podspec way, the contrast to a
// sidecar unit (R1.6): an operator pod, and the workload in a pod of its
// own with a required anti-affinity to the operator's node. Both run the
// workload tool: where they land is the point, not what they run.
func (k *Kind) DeployPodspec(ctx context.Context, cs *spec.CharmSpec, nodes int) error {
	k.Act(spec.Record{Type: spec.RecDeployPodspec, Spec: cs, Nodes: nodes})
	if err := k.prepare(ctx, nodes); err != nil {
		return err
	}
	if err := k.publish(ctx, []string{k.imgs.Workload}); err != nil {
		return err
	}
	operator := map[string]string{"app.kubernetes.io/name": cs.App + "-operator", LabelRun: k.runID}
	pod := func(name string, labels map[string]string, apart bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: k.target.Registry.Ref(k.imgs.Workload), ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{spec.WorkloadTool}}},
		}}
		k.place(&p.Spec, cs.App)
		k.pullPolicy(&p.Spec)
		p.Spec.TopologySpreadConstraints = nil
		if apart {
			p.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: operator}, TopologyKey: "kubernetes.io/hostname",
			}}}
		}
		return p
	}
	for _, p := range []*corev1.Pod{
		pod(cs.App+"-operator", operator, false),
		pod(cs.App+"-workload", map[string]string{"app.kubernetes.io/name": cs.App + "-workload", LabelRun: k.runID}, true),
	} {
		if _, err := k.cs.CoreV1().Pods(k.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("cannot make pod %s: %w", p.Name, err)
		}
	}
	// Until both are placed, or the scheduler says one cannot be.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		placed := 0
		for _, name := range []string{cs.App + "-operator", cs.App + "-workload"} {
			p, err := k.cs.CoreV1().Pods(k.ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Spec.NodeName != "" {
				placed++
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
					placed++
				}
			}
		}
		if placed == 2 {
			k.podspecApp = cs.App
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("cannot deploy %q the podspec way: its pods were not scheduled within 60s", cs.App)
}

// Endpoint reads the unit's address in the EndpointSlices of the charm's
// <app>-endpoints Service.
func (k *Kind) Endpoint(id spec.UnitID) (bool, bool, error) {
	slices, err := k.cs.DiscoveryV1().EndpointSlices(k.ns).List(context.Background(),
		metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + k.charm.App + "-endpoints"})
	if err != nil {
		return false, false, fmt.Errorf("cannot read the endpoints of %s: %w", id, err)
	}
	for _, sl := range slices.Items {
		for _, ep := range sl.Endpoints {
			if ep.TargetRef != nil && ep.TargetRef.Name == id.PodName() {
				return true, ep.Conditions.Serving != nil && *ep.Conditions.Serving, nil
			}
		}
	}
	return false, false, nil
}

// PodspecNodes reads where DeployPodspec's pods run, by the model's names.
func (k *Kind) PodspecNodes() (string, string, error) {
	if k.podspecApp == "" {
		return "", "", fmt.Errorf("cannot find podspec pods: none is deployed")
	}
	var nodes [2]string
	for i, name := range []string{k.podspecApp + "-operator", k.podspecApp + "-workload"} {
		p, err := k.cs.CoreV1().Pods(k.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return "", "", err
		}
		if p.Spec.NodeName != "" {
			nodes[i] = k.modelNode(p.Spec.NodeName)
		}
	}
	return nodes[0], nodes[1], nil
}

// agentConfig is the agent's configuration, the same for every pod: each
// agent takes its unit from its pod's name.
func (k *Kind) agentConfig() (string, error) {
	ports := map[string]int{}
	for i, name := range k.charm.ContainerNames() {
		ports[name] = sidecar.WorkloadProxyPort(i)
	}
	ports[spec.CharmContainer] = sidecar.CharmProxyPort
	cfg := charmagent.Config{Spec: *k.charm, PollInterval: k.profile.PollInterval, Epoch: k.Epoch,
		SocketDir: spec.CharmContainersDir, StateDir: sidecar.AgentStateDir, Token: k.token, ProxyPorts: ports}
	if k.charm.Charm != nil {
		// Each pod's agent places the charm for its own unit (Place).
		cfg.Charm = realpod.CharmAgent(k.charm, spec.NewUnitID(k.charm.App, 0), true)
		cfg.SocketDir, cfg.ProxyDir = sidecar.WorkloadSocketsDir, spec.CharmContainersDir
	}
	data, err := json.Marshal(cfg)
	return string(data), err
}

// listWorkers lists the nodes without the control-plane role, by name.
func (k *Kind) listWorkers(ctx context.Context) ([]string, error) {
	list, err := k.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("cannot list the cluster's nodes: %w", err)
	}
	var workers []string
	for _, n := range list.Items {
		if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; !cp {
			workers = append(workers, n.Name)
		}
	}
	sort.Strings(workers)
	return workers, nil
}

// place confines units to the chosen workers and spreads them, and gives
// them the profile's short not-ready and unreachable tolerations, so a
// failed node's pods are evicted in seconds, not Kubernetes' 5 minutes.
func (k *Kind) place(ps *corev1.PodSpec, app string) {
	ps.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: k.workers}},
		}}},
	}}
	ps.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": app}},
	}}
	secs := int64(k.profile.Toleration / time.Second)
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		ps.Tolerations = append(ps.Tolerations, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs})
	}
}

// modelNode is the name the model knows a worker by: worker-1 for the
// first of the workers units may run on.
func (k *Kind) modelNode(node string) string {
	for i, w := range k.workers {
		if w == node {
			return fmt.Sprintf("worker-%d", i+1)
		}
	}
	return node
}

func (k *Kind) realNode(model string) (string, error) {
	for i, w := range k.workers {
		if model == fmt.Sprintf("worker-%d", i+1) || model == w {
			return w, nil
		}
	}
	return "", fmt.Errorf("cannot find node %q: the scenario's nodes are worker-1 to worker-%d", model, len(k.workers))
}

func (k *Kind) unit(id spec.UnitID) (*unit, error) {
	for _, u := range k.allUnits() {
		if u.id == id {
			return u, nil
		}
	}
	return nil, fmt.Errorf("cannot find unit %q", id)
}

// running is the unit's pod incarnation if its containers run.
func (k *Kind) running(id spec.UnitID) (*incarnation, error) {
	u, err := k.unit(id)
	if err != nil {
		return nil, err
	}
	inc := u.current()
	if inc == nil || !inc.isStarted() {
		return nil, fmt.Errorf("the pod of %s is not running", id)
	}
	return inc, nil
}

func (k *Kind) Pebble(id spec.UnitID, container string) (spec.PebbleClient, error) {
	inc, err := k.running(id)
	if err != nil {
		return nil, err
	}
	return inc.client(container)
}

func (k *Kind) Do(id spec.UnitID, a spec.Action) error { return k.Recorder.Do(k.Pebble, id, a) }

func (k *Kind) Exec(id spec.UnitID, container string, command []string) (spec.ExecResult, error) {
	return k.Recorder.Exec(k.Pebble, id, container, command)
}

// pid is the host pid of a container's PID 1 (its Pebble); only where the
// nodes are containers on this machine.
func (k *Kind) pid(id spec.UnitID, container string) (int, error) {
	if k.target.Cluster == "" {
		return 0, fmt.Errorf("cannot reach the processes of %s: the cluster's nodes are not on this machine (process faults need tandem's kind cluster)", id)
	}
	if _, err := k.running(id); err != nil {
		return 0, err
	}
	// The pod's status names a restarted container a moment after the
	// kubelet starts it: ask the API server until it names one that runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		pod, err := k.cs.CoreV1().Pods(k.ns).Get(context.Background(), id.PodName(), metav1.GetOptions{})
		if err != nil {
			return 0, fmt.Errorf("cannot read the pod of %s: %w", id, err)
		}
		var lastErr error = fmt.Errorf("container %s of %s is not running", container, id)
		for _, st := range pod.Status.ContainerStatuses {
			if st.Name == container && st.State.Running != nil {
				pid, err := hostPID(st.ContainerID)
				if err == nil {
					return pid, nil
				}
				lastErr = err
			}
		}
		if time.Now().After(deadline) {
			return 0, lastErr
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (k *Kind) KillService(id spec.UnitID, container, service, signal string) error {
	k.Act(spec.Record{Type: spec.RecKillService, Unit: id, Container: container, Service: service, Message: signal})
	pc, err := k.Pebble(id, container)
	if err != nil {
		return err
	}
	if k.target.Cluster == "" {
		// The process is out of reach: the container's Pebble sends the
		// signal to the service's process group, as `pebble signal` does.
		if err := pc.SendSignal(&client.SendSignalOptions{Signal: signal, Services: []string{service}}); err != nil {
			return fmt.Errorf("cannot kill service %q: %w", service, err)
		}
		return nil
	}
	pid, err := k.pid(id, container)
	if err != nil {
		return err
	}
	return realpod.KillService(pc, pid, service, signal)
}

// KillContainer kills the container's PID 1 (its Pebble): the kubelet sees
// it die and restarts it under its back-off.
func (k *Kind) KillContainer(id spec.UnitID, container string) error {
	k.Act(spec.Record{Type: spec.RecKillContainer, Unit: id, Container: container})
	pid, err := k.pid(id, container)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("cannot kill container %s of %s: %w", container, id, err)
	}
	return nil
}

func (k *Kind) SetHealth(id spec.UnitID, container, path string, up bool) error {
	k.Act(spec.Record{Type: spec.RecHealth, Unit: id, Container: container, Path: path, State: map[bool]string{true: "up", false: "down"}[up]})
	pc, err := k.Pebble(id, container)
	if err != nil {
		return err
	}
	return realpod.SetHealth(pc, path, up)
}

// ReadFile reads a file of the container with nothing needed in the
// image (readFile) and records what it found.
func (k *Kind) ReadFile(id spec.UnitID, container, path string) (spec.FileState, error) {
	k.Act(spec.Record{Type: spec.RecReadFile, Unit: id, Container: container, Path: path})
	st, err := k.readFile(id, container, path)
	if err != nil {
		return st, err
	}
	k.Observe(spec.Record{Type: spec.RecFile, Unit: id, Container: container, Path: path, File: &st})
	return st, nil
}

// readFile reads a file of the container through /proc/<pid>/root of its
// PID 1 where the nodes are on this machine, else through its Pebble.
func (k *Kind) readFile(id spec.UnitID, container, path string) (spec.FileState, error) {
	if k.target.Cluster == "" {
		return k.readFileThroughPebble(id, container, path)
	}
	pid, err := k.pid(id, container)
	if err != nil {
		return spec.FileState{Path: path}, err
	}
	return readFileAt(pid, path)
}

func (k *Kind) StartCount(id spec.UnitID, container, name string) (int, error) {
	st, err := k.readFile(id, container, spec.StartRecordDir+"/"+name)
	if err != nil || st.Error != "" { // no record yet: no start
		return 0, err
	}
	return strings.Count(st.Content, "\n"), nil
}

// ContainerNodes finds, on this machine, the node container each of the
// unit's containers runs in: its PID 1's cgroup names it.
func (k *Kind) ContainerNodes(id spec.UnitID) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range append([]string{spec.CharmContainer}, k.charm.ContainerNames()...) {
		pid, err := k.pid(id, name)
		if err != nil {
			return nil, err
		}
		cid, err := dockerID(pid)
		if err != nil {
			return nil, err
		}
		node, err := exec.Command("docker", "inspect", "--format", "{{.Name}}", cid).Output()
		if err != nil {
			return nil, fmt.Errorf("cannot find the node container %s: %w", cid[:12], err)
		}
		out[name] = k.modelNode(strings.TrimPrefix(strings.TrimSpace(string(node)), "/"))
	}
	return out, nil
}

func (k *Kind) Events(id spec.UnitID) ([]spec.Event, error) {
	if _, err := k.unit(id); err != nil {
		return nil, err
	}
	return k.Recorder.Events(id), nil
}

// Pods is each unit's pod as the API server has it.
func (k *Kind) Pods() ([]substrate.Pod, error) {
	var out []substrate.Pod
	for _, u := range k.allUnits() {
		p := substrate.Pod{Unit: u.id, Name: u.id.PodName(), Phase: "Pending", Restarts: map[string]int{}}
		if k.pods == nil {
			out = append(out, p)
			continue
		}
		if obj, ok, _ := k.pods.GetByKey(k.ns + "/" + u.id.PodName()); ok {
			pod := obj.(*corev1.Pod)
			p.Node = k.modelNode(pod.Spec.NodeName)
			p.Phase = k.phase(pod)
			for _, c := range pod.Status.Conditions {
				if c.Type == corev1.PodReady {
					p.Ready = c.Status == corev1.ConditionTrue
				}
			}
			for _, c := range pod.Status.ContainerStatuses {
				p.Restarts[c.Name] = int(c.RestartCount)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// phase is the pod's phase as the model names it: Terminating once it is
// being deleted, Unknown while its node is NotReady.
func (k *Kind) phase(pod *corev1.Pod) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case pod.DeletionTimestamp != nil:
		return "Terminating"
	case pod.Spec.NodeName != "" && k.notReady[pod.Spec.NodeName]:
		return "Unknown"
	}
	return string(pod.Status.Phase)
}

// DeletePod deletes the unit's pod as `kubectl delete pod` does; the
// StatefulSet makes a new one with the same name (R3.6).
func (k *Kind) DeletePod(id spec.UnitID) error {
	k.Act(spec.Record{Type: spec.RecDeletePod, Unit: id})
	k.terminate(id)
	return k.deletePod(id, nil)
}

// ForceDelete removes the pod object at once, whatever its node says: what
// lets the StatefulSet replace a pod on a dead node (R3.7).
func (k *Kind) ForceDelete(id spec.UnitID) error {
	k.Act(spec.Record{Type: spec.RecForceDelete, Unit: id})
	zero := int64(0)
	return k.deletePod(id, &zero)
}

func (k *Kind) deletePod(id spec.UnitID, grace *int64) error {
	u, err := k.unit(id)
	if err != nil {
		return err
	}
	inc := u.current()
	if inc == nil {
		return fmt.Errorf("cannot delete the pod of %s: it has none", id)
	}
	err = k.cs.CoreV1().Pods(k.ns).Delete(context.Background(), id.PodName(), metav1.DeleteOptions{GracePeriodSeconds: grace})
	if err != nil {
		return fmt.Errorf("cannot delete the pod of %s: %w", id, err)
	}
	u.end(inc)
	k.Observe(spec.Record{Type: spec.RecPod, Unit: id, State: "Deleted"})
	return nil
}

// FailNode kills the node's container, as a machine that loses power;
// Close starts it again.
func (k *Kind) FailNode(node string) error {
	k.Act(spec.Record{Type: spec.RecFailNode, Node: node})
	if k.target.Cluster == "" {
		return fmt.Errorf("cannot fail node %s: the cluster's nodes are not on this machine (node faults need tandem's kind cluster)", node)
	}
	real, err := k.realNode(node)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.failed[real] = true
	k.mu.Unlock()
	if out, err := exec.Command("docker", "kill", real).CombinedOutput(); err != nil {
		return fmt.Errorf("cannot fail node %s: %v: %s", node, err, out)
	}
	for _, u := range k.allUnits() {
		if inc := u.current(); inc != nil && inc.node == real {
			inc.stopFollowing()
		}
	}
	return nil
}

// Close deletes the scenario's namespace and waits until it is gone, and
// brings back any node the scenario failed.
func (k *Kind) Close() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	failed := k.failed
	k.mu.Unlock()
	if k.Controller != nil {
		k.Controller.Close()
	}
	k.Act(spec.Record{Type: spec.RecEnd})
	k.Controller.EndQueues()
	close(k.stop)
	for _, u := range k.allUnits() {
		if inc := u.current(); inc != nil {
			u.end(inc)
			if !failed[inc.node] { // a dead node's kubelet serves no logs
				inc.catchUp()
			}
		}
	}
	err := deleteNamespace(k.cs, k.ns)
	for node := range failed {
		if e := restartNode(k.cs, node); e != nil && err == nil {
			err = e
		}
	}
	if k.unlock != nil {
		k.unlock()
	}
	if err != nil {
		return err
	}
	return k.Err()
}

// deleteNamespace removes a namespace and its pods at once (no grace:
// the scenario is over) and waits until it is gone.
func deleteNamespace(cs kubernetes.Interface, ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	zero := int64(0)
	cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot delete namespace %s: %w", ns, err)
	}
	for {
		if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot delete namespace %s: still there after 2 minutes", ns)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// restartNode starts a killed node container again and waits until its
// node is Ready, so the next scenario has the whole cluster.
func restartNode(cs kubernetes.Interface, node string) error {
	if out, err := exec.Command("docker", "start", node).CombinedOutput(); err != nil {
		return fmt.Errorf("cannot restart node %s: %v: %s", node, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue && time.Since(c.LastTransitionTime.Time) < 3*time.Minute && c.LastHeartbeatTime.After(time.Now().Add(-20*time.Second)) {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot restart node %s: not Ready within 3 minutes", node)
		case <-time.After(time.Second):
		}
	}
}

// watch follows the namespace's pods and the cluster's nodes.
func (k *Kind) watch() {
	pods := informers.NewSharedInformerFactoryWithOptions(k.cs, 0, informers.WithNamespace(k.ns)).Core().V1().Pods().Informer()
	nodes := informers.NewSharedInformerFactory(k.cs, 0).Core().V1().Nodes().Informer()
	k.pods, k.nodes = pods.GetIndexer(), nodes.GetIndexer()
	onPod := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			k.onPod(pod)
		}
	}
	pods.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: onPod, UpdateFunc: func(_, obj any) { onPod(obj) }})
	onNode := func(obj any) {
		if n, ok := obj.(*corev1.Node); ok {
			k.onNode(n)
		}
	}
	nodes.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: onNode, UpdateFunc: func(_, obj any) { onNode(obj) }})
	events := informers.NewSharedInformerFactoryWithOptions(k.cs, 0, informers.WithNamespace(k.ns)).Core().V1().Events().Informer()
	events.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { k.onEvent(nil, obj) },
		// An event that happens again is the same object, counted.
		UpdateFunc: k.onEvent,
	})
	go pods.Run(k.stop)
	go nodes.Run(k.stop)
	go events.Run(k.stop)
	cache.WaitForCacheSync(k.stop, pods.HasSynced, nodes.HasSynced, events.HasSynced)
}

// containerField finds the container a pod event is about.
var containerField = regexp.MustCompile(`^spec\.(?:initContainers|containers)\{([^}]+)\}$`)

// onEvent records a Kubernetes event about one of the units' pods: the
// kubelet's probe failures and kills, the scheduler's and the image's.
func (k *Kind) onEvent(old, obj any) {
	e, ok := obj.(*corev1.Event)
	if !ok || e.InvolvedObject.Kind != "Pod" {
		return
	}
	if prev, ok := old.(*corev1.Event); ok && prev.Count == e.Count {
		return
	}
	id, err := spec.UnitOfPod(k.charm.App, e.InvolvedObject.Name)
	if err != nil {
		return
	}
	rec := spec.Record{Type: spec.RecKubeEvent, Unit: id, State: e.Reason, Message: e.Message}
	if m := containerField.FindStringSubmatch(e.InvolvedObject.FieldPath); m != nil {
		rec.Container = m[1]
	}
	k.Observe(rec)
}

// onNode notes a node going NotReady: its units' pods are Unknown then.
func (k *Kind) onNode(n *corev1.Node) {
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	k.mu.Lock()
	was := k.notReady[n.Name]
	k.notReady[n.Name] = !ready
	k.mu.Unlock()
	if ready || was {
		return
	}
	for _, u := range k.allUnits() {
		if inc := u.current(); inc != nil && inc.node == n.Name {
			inc.state("Unknown")
		}
	}
}

func (k *Kind) onPod(pod *corev1.Pod) {
	id, err := spec.UnitOfPod(k.charm.App, pod.Name)
	if err != nil {
		return
	}
	u, err := k.unit(id)
	if err != nil {
		return
	}
	u.observe(pod)
}
