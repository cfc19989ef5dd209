//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	kindfixtures "github.com/tandem-harness/tandem/fixtures/kind"
	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
	"github.com/tandem-harness/tandem/substrate/kind"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// needKind skips where the kind substrate cannot run, except in CI,
// whose test command builds the node image first: there it fails.
func needKind(t testing.TB) {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		needDocker(tt)
	}
	if !nodeimage.Exists(context.Background(), nodeimage.Default.Tag()) {
		if os.Getenv("CI") != "" {
			t.Fatalf("the node image %s is not built: scripts/setup-kind builds it", nodeimage.Default.Tag())
		}
		t.Skipf("the node image %s is not built here: run tandem node-image build", nodeimage.Default.Tag())
	}
}

// injectedObjectsAreAccepted: what tandem inject prints for the
// reference charm is what the cluster's API server accepts, by kubectl
// apply --dry-run=server (the control plane's own kubectl).
func injectedObjectsAreAccepted(t *testing.T, bin, cluster string) {
	t.Helper()
	objects, err := exec.Command(bin, "inject", "--charm", "../../fixtures/charms/snappass", "--units", "3").Output()
	require.NoError(t, err)
	apply := exec.Command("docker", "exec", "-i", cluster+"-control-plane",
		"kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "apply", "--dry-run=server", "-f", "-")
	apply.Stdin = strings.NewReader(string(objects))
	out, err := apply.CombinedOutput()
	require.NoError(t, err, "kubectl apply --dry-run=server refused tandem inject's objects:\n%s", out)
	for _, want := range []string{"service/snappass-endpoints created (server dry run)", "statefulset.apps/snappass created (server dry run)", "pod/snappass-0 created (server dry run)"} {
		require.Contains(t, string(out), want)
	}
}

// kindFootprint is Docker's lists and the host's iptables filter and nat
// rules (counters left out): what a cluster adds and must take away.
func kindFootprint(t *testing.T) []string {
	t.Helper()
	out := dockerLists(t)
	counters := regexp.MustCompile(`\[\d+:\d+\]`)
	for _, table := range []string{"filter", "nat"} {
		b, err := exec.Command("iptables-save", "-t", table).Output()
		require.NoError(t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			out = append(out, table+" "+counters.ReplaceAllString(line, ""))
		}
	}
	sort.Strings(out)
	return out
}

// waitForNodes waits until the cluster has n node containers running.
func waitForNodes(t *testing.T, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		b, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name).Output()
		if len(strings.Fields(string(b))) >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("cluster %s never had %d node containers", name, n)
}

// TestClusterLifeCycle brings a cluster up (1 control plane + 2 workers),
// checks what the sidecar scenarios rely on (every node and CoreDNS
// Ready, a Service reached by DNS name from the other worker, a PVC
// bound), takes it down, and checks that nothing of it is left after
// down, a failed up, a SIGINT, and a SIGKILL followed by tandem clean.
func TestClusterLifeCycle(t *testing.T) {
	needKind(t)
	bin := buildTandem(t)
	const name = "tandem-lifecycle"
	tandem := func(args ...string) *exec.Cmd {
		return exec.Command(bin, append(append([]string{"cluster"}, args...), "--name", name)...)
	}
	exec.Command(bin, "cluster", "down", "--name", name).Run()
	before := kindFootprint(t)

	out, err := tandem("up").CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Cleanup(func() { exec.Command(bin, "cluster", "down", "--name", name).Run() })

	out, err = tandem("status").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, 3, strings.Count(string(out), " Ready\n"), "%s", out)
	require.Contains(t, string(out), "CoreDNS 2/2 ready")

	c, ok := cluster.Get(clustersDir(), name)
	require.True(t, ok)
	cs, err := c.Client()
	require.NoError(t, err)
	serviceAcrossWorkersAndPVC(t, cs)
	injectedObjectsAreAccepted(t, bin, name)

	out, err = tandem("down").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, before, kindFootprint(t), "after down")

	out, err = tandem("up", "--wait", "1ms").CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "not Ready within 1ms")
	require.Equal(t, before, kindFootprint(t), "after a failed up")

	cmd := tandem("up")
	require.NoError(t, cmd.Start())
	waitForNodes(t, name, 3)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	cmd.Wait()
	require.Equal(t, 130, cmd.ProcessState.ExitCode())
	require.Equal(t, before, kindFootprint(t), "after a SIGINT")

	cmd = tandem("up")
	require.NoError(t, cmd.Start())
	waitForNodes(t, name, 3)
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	out, err = exec.Command(bin, "clean").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), fmt.Sprintf("removed kind cluster %q", name))
	require.Equal(t, before, kindFootprint(t), "after a SIGKILL and tandem clean")
}

// onNode pins a pod to a node through the scheduler (not nodeName, which
// skips it: a WaitForFirstConsumer PVC would then never bind).
func onNode(name string) map[string]string { return map[string]string{"kubernetes.io/hostname": name} }

// serviceAcrossWorkersAndPVC runs an HTTP server on one worker behind a
// Service, and on the other worker a client that fetches it by its DNS
// name and writes to a PVC (local-path), which must bind. Both run the
// node image's own busybox, so nothing is loaded or pulled.
func serviceAcrossWorkersAndPVC(t *testing.T, cs kubernetes.Interface) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var workers []string
	for _, n := range nodes.Items {
		if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; !cp {
			workers = append(workers, n.Name)
		}
	}
	require.Len(t, workers, 2)
	busybox := "tandem.local/busybox:" + nodeimage.Default.DebianSuite
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tandem-lifecycle-"}}
	ns, err = cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	require.NoError(t, err)

	server := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeSelector: onNode(workers[0]), Containers: []corev1.Container{{
			Name: "web", Image: busybox, ImagePullPolicy: corev1.PullNever,
			Command: []string{"/bin/sh", "-c", "mkdir -p /www && echo served-by-$(cat /etc/hostname) > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"},
		}}},
	}
	_, err = cs.CoreV1().Pods(ns.Name).Create(ctx, server, metav1.CreateOptions{})
	require.NoError(t, err)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	_, err = cs.CoreV1().Services(ns.Name).Create(ctx, svc, metav1.CreateOptions{})
	require.NoError(t, err)
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("16Mi")}}},
	}
	_, err = cs.CoreV1().PersistentVolumeClaims(ns.Name).Create(ctx, pvc, metav1.CreateOptions{})
	require.NoError(t, err)
	// The client retries, quietly: the Service's endpoints follow the
	// server's readiness, and the log must hold only what it fetched.
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{NodeSelector: onNode(workers[1]), RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "client", Image: busybox, ImagePullPolicy: corev1.PullNever,
				Command: []string{"/bin/sh", "-c", fmt.Sprintf(
					"for i in $(seq 1 60); do /bin/busybox wget -q -O /data/got http://web.%s.svc.cluster.local/ 2>/dev/null && break; /bin/busybox sleep 1; done; cat /data/got", ns.Name)},
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
			}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}},
		},
	}
	_, err = cs.CoreV1().Pods(ns.Name).Create(ctx, client, metav1.CreateOptions{})
	require.NoError(t, err)
	var phase corev1.PodPhase
	var last *corev1.Pod
	for ctx.Err() == nil {
		p, err := cs.CoreV1().Pods(ns.Name).Get(ctx, "client", metav1.GetOptions{})
		require.NoError(t, err)
		last = p
		if phase = p.Status.Phase; phase == corev1.PodSucceeded || phase == corev1.PodFailed {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, ctx.Err(), "the client pod never finished: %+v", last.Status)
	logs, err := cs.CoreV1().Pods(ns.Name).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	require.NoError(t, err)
	require.Equal(t, corev1.PodSucceeded, phase, "the client: %s", logs)
	require.Equal(t, "served-by-web\n", string(logs), "fetched from the other worker by the Service's DNS name")
	got, err := cs.CoreV1().PersistentVolumeClaims(ns.Name).Get(ctx, "data", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, corev1.ClaimBound, got.Status.Phase, "the PVC binds (local-path)")
}

// BenchmarkClusterUp times, in one run on the same node image and config,
// `tandem cluster up` and a plain `kind create cluster` (kind's own
// library, as its CLI calls it), each until every node and CoreDNS are
// Ready (kind's --wait covers the control plane only, so both are timed
// by the same wait). The README reports both and their ratio.
func BenchmarkClusterUp(b *testing.B) {
	needKind(b)
	ctx := context.Background()
	image := nodeimage.Default.Tag()
	dir := b.TempDir()
	cfg, err := cluster.Config(kindfixtures.ClusterConfig, 2)
	require.NoError(b, err)
	hadKindNetwork := exec.Command("docker", "network", "inspect", "kind").Run() == nil
	var tandemTime, kindTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		c, err := cluster.Up(ctx, cluster.Options{Name: "tandem-bench", Workers: 2, Image: image,
			Config: kindfixtures.ClusterConfig, Dir: dir})
		require.NoError(b, err)
		tandemTime += time.Since(t0)
		require.NoError(b, cluster.Down(dir, c.Name))

		t0 = time.Now()
		p := kindcluster.NewProvider(kindcluster.ProviderWithDocker())
		kubeconfig := dir + "/plain-kubeconfig"
		require.NoError(b, p.Create("plain-bench", kindcluster.CreateWithV1Alpha4Config(cfg),
			kindcluster.CreateWithNodeImage(image), kindcluster.CreateWithKubeconfigPath(kubeconfig)))
		plain := &cluster.Cluster{Name: "plain-bench", Kubeconfig: kubeconfig}
		err = plain.WaitReady(ctx, 3*time.Minute)
		kindTime += time.Since(t0)
		p.Delete("plain-bench", kubeconfig)
		require.NoError(b, err)
	}
	b.StopTimer()
	if !hadKindNetwork {
		exec.Command("docker", "network", "rm", "kind").Run()
	}
	b.ReportMetric(tandemTime.Seconds()/float64(b.N), "tandem-up-s")
	b.ReportMetric(kindTime.Seconds()/float64(b.N), "kind-create-s")
	b.ReportMetric(tandemTime.Seconds()/kindTime.Seconds(), "ratio")
}

// kindRunFootprint is Docker's lists and the namespaces of tandem's
// default cluster.
func kindRunFootprint(t *testing.T) []string {
	c, ok := cluster.Get(clustersDir(), cluster.DefaultName)
	if !ok {
		return dockerLists(t)
	}
	return kindRunFootprintOn(c.Kubeconfig)(t)
}

// kindRunFootprintOn is Docker's lists and the namespaces of the cluster
// a kubeconfig names.
func kindRunFootprintOn(kubeconfig string) func(*testing.T) []string {
	return func(t *testing.T) []string {
		t.Helper()
		out := dockerLists(t)
		cs := clientOf(t, kubeconfig)
		list, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
		require.NoError(t, err)
		for _, ns := range list.Items {
			out = append(out, "namespace "+ns.Name)
		}
		sort.Strings(out)
		return out
	}
}

func clientOf(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	require.NoError(t, err)
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return cs
}

// waitForNamespace waits until a run on tandem's cluster has made its
// namespace and its pod runs.
func waitForNamespace(t *testing.T, before []string) {
	c, ok := cluster.Get(clustersDir(), cluster.DefaultName)
	require.True(t, ok)
	waitForNamespaceOn(c.Kubeconfig)(t, before)
}

func waitForNamespaceOn(kubeconfig string) func(*testing.T, []string) {
	return func(t *testing.T, before []string) {
		t.Helper()
		cs := clientOf(t, kubeconfig)
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			pods, err := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{LabelSelector: kind.LabelRun})
			if err == nil {
				for _, p := range pods.Items {
					if p.Status.Phase == corev1.PodRunning {
						return
					}
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatal("the run never had a running pod")
	}
}

// TestNothingLeaksOnKind: a run that brings tandem's cluster up takes it
// down again; and on a kept cluster, named by tandem or by --kubeconfig,
// a passing run, a failing run, a SIGINT and a SIGKILL followed by
// tandem clean leave Docker's lists and the cluster's namespaces as they
// were.
func TestNothingLeaksOnKind(t *testing.T) {
	needKind(t)
	bin := buildTandem(t)
	if _, up := cluster.Get(clustersDir(), cluster.DefaultName); !up {
		before := dockerLists(t)
		out, err := exec.Command(bin, "run", "--substrate", "kind", "--format", "progress", "--artifacts", t.TempDir(), "testdata/local-pass.feature").CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "bringing up kind cluster")
		require.Equal(t, before, dockerLists(t), "a run that brought the cluster up takes it down")
		out, err = exec.Command(bin, "cluster", "up").CombinedOutput()
		require.NoError(t, err, "%s", out)
		t.Cleanup(func() { exec.Command(bin, "cluster", "down").Run() })
	} else {
		t.Log("tandem's cluster is up already: the run that brings one up is not checked")
	}
	leakTest(t, "kind", kindRunFootprint, waitForNamespace)
	// The reference charm: its charm container's image is loaded into the
	// nodes (a cache, not in the footprint), its pods rebuilt and removed.
	leakTestOf(t, yourCharmRuns, "kind", kindRunFootprint, waitForNamespace)
	c, _ := cluster.Get(clustersDir(), cluster.DefaultName)
	leakTest(t, "kind", kindRunFootprint, waitForNamespace, "--kubeconfig", c.Kubeconfig)
}

// onTandemsCluster has a benchmark's kind substrate run on tandem's
// cluster, which must be up: a benchmark times units, not a cluster.
func onTandemsCluster(b *testing.B) {
	needKind(b)
	c, ok := cluster.Get(clustersDir(), cluster.DefaultName)
	if !ok {
		b.Skip("tandem cluster up first: the benchmark times a unit, not a cluster")
	}
	kind.Use(kind.Target{Kubeconfig: c.Kubeconfig, Cluster: c.Name})
}

// BenchmarkUnitReady times a sidecar unit (init + charm + 2 workloads)
// from the StatefulSet applied to every container Ready (each one's
// readiness probe on its own Pebble), on tandem's cluster, images loaded.
// The README reports it.
func BenchmarkUnitReady(b *testing.B) {
	onTandemsCluster(b)
	cs := &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "a"}, {Name: "b"}}}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := substrate.New(context.Background(), "kind", substrate.Options{RunID: "bench"})
		require.NoError(b, err)
		b.StartTimer()
		t0 := time.Now()
		require.NoError(b, s.Deploy(context.Background(), cs, 1, 1))
		ready := spec.WaitFor(s.Clock(), 60*time.Second, 10*time.Millisecond, func() bool {
			pods, err := s.Pods()
			return err == nil && len(pods) == 1 && pods[0].Ready
		})
		total += time.Since(t0)
		b.StopTimer()
		s.Close()
		substrate.Forget(s)
		require.True(b, ready, "the unit was not Ready within 60s")
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-ready")
}

// BenchmarkReferenceCharmToActiveOnKind times a unit of the reference ops
// charm from its deploy (namespace, Service and StatefulSet applied) to
// its unit active, on tandem's cluster: the pod scheduled, its images on
// the node, the init container, the charm laid by the agent, and 7 hooks
// (install to the second pebble-ready), Python and ops in each. A first
// deploy, untimed, builds and loads the charm's image. The README reports
// it (issue 15's bar: under 15 s).
func BenchmarkReferenceCharmToActiveOnKind(b *testing.B) {
	onTandemsCluster(b)
	rc, err := charms.Open(filepath.Join("..", "..", "fixtures", "charms", "snappass"))
	require.NoError(b, err)
	cs := spec.CharmSpecOf(rc)
	toActive := func() time.Duration {
		s, err := substrate.New(context.Background(), "kind", substrate.Options{RunID: "bench"})
		require.NoError(b, err)
		defer substrate.Forget(s)
		defer s.Close()
		t0 := time.Now()
		require.NoError(b, s.Deploy(context.Background(), &cs, 1, 1))
		op := s.(substrate.CharmOperator)
		active := spec.WaitFor(s.Clock(), 90*time.Second, 10*time.Millisecond, func() bool {
			v, err := op.UnitView("snappass/0")
			return err == nil && v.UnitStatus.Status == "active"
		})
		took := time.Since(t0)
		require.True(b, active, "the unit was not active within 90s")
		return took
	}
	toActive()
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += toActive()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-active")
}
