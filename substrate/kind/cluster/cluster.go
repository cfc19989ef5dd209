package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindlog "sigs.k8s.io/kind/pkg/log"
	"sigs.k8s.io/yaml"
)

// Labels on each cluster's Docker network.
const (
	LabelCluster = "tandem.kind-cluster" // the cluster's name
	LabelOwner   = "tandem.kind-owner"   // the pid of the tandem that made it (not tandem.owner: the docker substrate's clean would take the network)
)

// DefaultName is the cluster tandem brings up when none is named.
const DefaultName = "tandem"

// Options describe a cluster to bring up.
type Options struct {
	Name    string        // DefaultName when empty
	Workers int           // worker nodes beside the one control plane
	Image   string        // the node image (nodeimage.Build)
	Config  []byte        // kind's v1alpha4 Cluster, without nodes (fixtures/kind/cluster.yaml)
	Dir     string        // where clusters' kubeconfigs are kept: Dir/<name>/kubeconfig
	Wait    time.Duration // for every node and CoreDNS to be Ready
	Keep    bool          // leave it for later runs; else it is its tandem's
	Retain  bool          // on a failed up, leave the nodes to look into
	Log     io.Writer
}

// Cluster is a kind cluster tandem brought up or found.
type Cluster struct {
	Name       string
	Kubeconfig string
	Kept       bool
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Wait == 0 {
		o.Wait = 3 * time.Minute
	}
}

func kubeconfigPath(dir, name string) string { return filepath.Join(dir, name, "kubeconfig") }
func keptPath(dir, name string) string       { return filepath.Join(dir, name, "kept") }

// Get returns the cluster of that name if its nodes are there.
func Get(dir, name string) (*Cluster, bool) {
	if name == "" {
		name = DefaultName
	}
	nodes, err := provider(io.Discard).ListNodes(name)
	if err != nil || len(nodes) == 0 {
		return nil, false
	}
	_, kept := os.Stat(keptPath(dir, name))
	return &Cluster{Name: name, Kubeconfig: kubeconfigPath(dir, name), Kept: kept == nil}, true
}

func provider(log io.Writer) *kindcluster.Provider {
	return kindcluster.NewProvider(kindcluster.ProviderWithDocker(), kindcluster.ProviderWithLogger(logger{w: log}))
}

// Config renders kind's config: the base with 1 control plane and
// `workers` workers, and kubelet allowed to run on cgroup v1 where the
// host is cgroup v1 (kubelet 1.37 refuses it otherwise).
func Config(base []byte, workers int) (*v1alpha4.Cluster, error) {
	var cfg v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(base, &cfg); err != nil {
		return nil, fmt.Errorf("cannot read the cluster config: %w", err)
	}
	cfg.Nodes = []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}}
	for i := 0; i < workers; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole})
	}
	if CgroupV1() {
		cfg.KubeadmConfigPatches = append(cfg.KubeadmConfigPatches, "kind: KubeletConfiguration\nfailCgroupV1: false\n")
	}
	return &cfg, nil
}

// CgroupV1 reports whether this host runs cgroup v1 (no unified hierarchy).
func CgroupV1() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err != nil
}

// envMu guards KIND_EXPERIMENTAL_DOCKER_NETWORK, which kind reads from the
// process environment when it provisions nodes.
var envMu sync.Mutex

// Up brings a cluster up and waits until every node and CoreDNS are
// Ready. A failed or interrupted Up takes down what it made, unless
// Retain.
func Up(ctx context.Context, opts Options) (c *Cluster, err error) {
	opts.defaults()
	if _, ok := Get(opts.Dir, opts.Name); ok {
		return nil, fmt.Errorf("cannot bring up cluster %q: it is up already (tandem cluster down --name %s)", opts.Name, opts.Name)
	}
	cfg, err := Config(opts.Config, opts.Workers)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, opts.Name), 0o755); err != nil {
		return nil, err
	}
	os.Remove(keptPath(opts.Dir, opts.Name))
	network := NetworkName(opts.Name)
	if err := docker(ctx, "network", "create", "--driver", "bridge",
		"--label", LabelCluster+"="+opts.Name, "--label", LabelOwner+"="+strconv.Itoa(os.Getpid()), network); err != nil {
		return nil, fmt.Errorf("cannot make the cluster's Docker network: %w", err)
	}
	defer func() {
		if err != nil && !opts.Retain {
			Down(opts.Dir, opts.Name)
		}
	}()
	kubeconfig := kubeconfigPath(opts.Dir, opts.Name)
	p := provider(opts.Log)
	created := make(chan error, 1)
	go func() {
		envMu.Lock()
		defer envMu.Unlock()
		os.Setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", network)
		defer os.Unsetenv("KIND_EXPERIMENTAL_DOCKER_NETWORK")
		created <- p.Create(opts.Name,
			kindcluster.CreateWithV1Alpha4Config(cfg),
			kindcluster.CreateWithNodeImage(opts.Image),
			kindcluster.CreateWithKubeconfigPath(kubeconfig),
			kindcluster.CreateWithRetain(opts.Retain),
			kindcluster.CreateWithDisplayUsage(false),
			kindcluster.CreateWithDisplaySalutation(false),
		)
	}()
	select {
	case err = <-created:
	case <-ctx.Done():
		// kind's Create takes no context: deleting the nodes under it
		// makes it fail, and the deferred Down takes the rest.
		p.Delete(opts.Name, kubeconfig)
		<-created
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("cannot bring up cluster %q: %w", opts.Name, err)
	}
	c = &Cluster{Name: opts.Name, Kubeconfig: kubeconfig}
	if err = c.WaitReady(ctx, opts.Wait); err != nil {
		return nil, err
	}
	if opts.Keep {
		if err = c.Keep(opts.Dir); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Keep marks the cluster as kept: `tandem clean` leaves it, and a run
// that finds it uses it and leaves it up.
func (c *Cluster) Keep(dir string) error {
	c.Kept = true
	return os.WriteFile(keptPath(dir, c.Name), nil, 0o644)
}

// NetworkName is the Docker network of a cluster.
func NetworkName(cluster string) string { return "tandem-kind-" + cluster }

// Down deletes the cluster's nodes, its network and its kubeconfig. It
// is not an error if they are gone.
func Down(dir, name string) error {
	if name == "" {
		name = DefaultName
	}
	if err := provider(io.Discard).Delete(name, kubeconfigPath(dir, name)); err != nil {
		return fmt.Errorf("cannot delete cluster %q: %w", name, err)
	}
	if out, err := exec.Command("docker", "network", "rm", NetworkName(name)).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "not found") && !strings.Contains(string(out), "No such network") {
		return fmt.Errorf("cannot remove the network of cluster %q: %s", name, strings.TrimSpace(string(out)))
	}
	return os.RemoveAll(filepath.Join(dir, name))
}

// Client is a client-go clientset for the cluster.
func (c *Cluster) Client() (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("cannot read the kubeconfig %s: %w", c.Kubeconfig, err)
	}
	return kubernetes.NewForConfig(cfg)
}

// WaitReady waits until every node is Ready and CoreDNS has every replica
// ready: then Services and DNS work.
func (c *Cluster) WaitReady(ctx context.Context, timeout time.Duration) error {
	cs, err := c.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		st, err := status(ctx, cs)
		if err == nil && st.Ready() {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = st.String()
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("cannot bring up cluster %q: not Ready within %s: %s", c.Name, timeout, last)
			}
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Status is what `tandem cluster status` shows.
type Status struct {
	Nodes        []NodeStatus
	CoreDNSReady int32
	CoreDNSWant  int32
}

// NodeStatus is one node's role and readiness.
type NodeStatus struct {
	Name, Role string
	Ready      bool
}

// Ready says whether every node and CoreDNS are Ready.
func (s Status) Ready() bool {
	if len(s.Nodes) == 0 || s.CoreDNSWant == 0 || s.CoreDNSReady < s.CoreDNSWant {
		return false
	}
	for _, n := range s.Nodes {
		if !n.Ready {
			return false
		}
	}
	return true
}

func (s Status) String() string {
	var b bytes.Buffer
	for _, n := range s.Nodes {
		state := "NotReady"
		if n.Ready {
			state = "Ready"
		}
		fmt.Fprintf(&b, "%s (%s) %s; ", n.Name, n.Role, state)
	}
	fmt.Fprintf(&b, "CoreDNS %d/%d ready", s.CoreDNSReady, s.CoreDNSWant)
	return b.String()
}

// Status reads the cluster's nodes and CoreDNS.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	cs, err := c.Client()
	if err != nil {
		return Status{}, err
	}
	return status(ctx, cs)
}

func status(ctx context.Context, cs kubernetes.Interface) (Status, error) {
	var st Status
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, n := range nodes.Items {
		ns := NodeStatus{Name: n.Name, Role: "worker"}
		if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; ok {
			ns.Role = "control-plane"
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				ns.Ready = cond.Status == corev1.ConditionTrue
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	var dep *appsv1.Deployment
	if dep, err = cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{}); err == nil {
		st.CoreDNSReady = dep.Status.ReadyReplicas
		if dep.Spec.Replicas != nil {
			st.CoreDNSWant = *dep.Spec.Replicas
		}
	}
	return st, nil
}

// Found is a cluster of tandem's seen in Docker.
type Found struct {
	Name  string
	Owner int
	Kept  bool
}

// List finds tandem's clusters by their networks' labels.
func List(dir string) ([]Found, error) {
	out, err := exec.Command("docker", "network", "ls", "--filter", "label="+LabelCluster,
		"--format", `{{.Label "`+LabelCluster+`"}} {{.Label "`+LabelOwner+`"}}`).Output()
	if err != nil {
		return nil, fmt.Errorf("cannot list Docker networks: %w", err)
	}
	var found []Found
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		owner, _ := strconv.Atoi(f[1])
		_, kept := os.Stat(keptPath(dir, f[0]))
		found = append(found, Found{Name: f[0], Owner: owner, Kept: kept == nil})
	}
	return found, nil
}

// Clean takes down the clusters whose tandem is gone and that were not
// kept, and returns their names.
func Clean(dir string) ([]string, error) {
	if exec.Command("docker", "info").Run() != nil {
		return nil, nil
	}
	found, err := List(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, f := range found {
		if f.Kept || (f.Owner != os.Getpid() && f.Owner > 0 && syscall.Kill(f.Owner, 0) == nil) {
			continue
		}
		if err := Down(dir, f.Name); err != nil {
			return removed, err
		}
		removed = append(removed, f.Name)
	}
	return removed, nil
}

func docker(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// logger passes kind's progress lines on; its debug levels are dropped.
type logger struct{ w io.Writer }

func (l logger) Warn(message string)                      { fmt.Fprintln(l.w, message) }
func (l logger) Warnf(format string, args ...any)         { fmt.Fprintf(l.w, format+"\n", args...) }
func (l logger) Error(message string)                     { fmt.Fprintln(l.w, message) }
func (l logger) Errorf(format string, args ...any)        { fmt.Fprintf(l.w, format+"\n", args...) }
func (l logger) V(level kindlog.Level) kindlog.InfoLogger { return infoLogger{w: l.w, on: level == 0} }

type infoLogger struct {
	w  io.Writer
	on bool
}

func (l infoLogger) Info(message string) {
	if l.on {
		fmt.Fprintln(l.w, message)
	}
}
func (l infoLogger) Infof(format string, args ...any) {
	if l.on {
		fmt.Fprintf(l.w, format+"\n", args...)
	}
}
func (l infoLogger) Enabled() bool { return l.on }
