//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	kindfixtures "github.com/tandem-harness/tandem/fixtures/kind"
	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/substrate/kind"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// foreignCluster is a cluster tandem did not make, set up as a charm
// author's MicroK8s with its registry add-on is: nothing of tandem's on
// its nodes, which pull localhost:<port>/... from a registry beside them.
// It is made with kind's own library (as `kind create cluster --config`
// would), on a Docker network of its own, next to a container running
// Distribution's registry; the nodes' containerd maps localhost:<port> to
// that container, as kind's local-registry recipe does, and this machine
// reaches it on 127.0.0.1:<port>, so `docker push` needs no settings.
type foreignCluster struct {
	kubeconfig string
	registry   string // localhost:<port>
	nodes      []string
}

func newForeignCluster(t *testing.T) *foreignCluster {
	t.Helper()
	ctx := context.Background()
	registryImage, err := nodeimage.BuildRegistry(ctx, nodeimage.Options{Cache: binaries.CacheDir(), Progress: io.Discard})
	require.NoError(t, err)

	suffix := fmt.Sprint(os.Getpid())
	name, network, registryName := "foreign-"+suffix, "tandem-test-foreign-"+suffix, "tandem-test-registry-"+suffix
	docker := func(args ...string) {
		out, err := exec.Command("docker", args...).CombinedOutput()
		require.NoError(t, err, "docker %s: %s", strings.Join(args, " "), out)
	}
	docker("network", "create", network)
	t.Cleanup(func() { exec.Command("docker", "network", "rm", network).Run() })

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	docker("run", "-d", "--name", registryName, "--network", network,
		"-p", fmt.Sprintf("127.0.0.1:%d:%d", port, nodeimage.RegistryPort), registryImage)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", "-v", registryName).Run() })
	f := &foreignCluster{registry: fmt.Sprintf("localhost:%d", port), kubeconfig: filepath.Join(t.TempDir(), "kubeconfig")}

	cfg, err := cluster.Config(kindfixtures.ClusterConfig, 1)
	require.NoError(t, err)
	cfg.ContainerdConfigPatches = append(cfg.ContainerdConfigPatches, fmt.Sprintf(
		"[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.%q]\n  endpoint = [\"http://%s:%d\"]\n",
		f.registry, registryName, nodeimage.RegistryPort))
	t.Setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", network)
	p := kindcluster.NewProvider(kindcluster.ProviderWithDocker())
	t.Cleanup(func() { p.Delete(name, f.kubeconfig) })
	require.NoError(t, p.Create(name, kindcluster.CreateWithV1Alpha4Config(cfg), kindcluster.CreateWithNodeImage(nodeimage.Default.Tag()),
		kindcluster.CreateWithKubeconfigPath(f.kubeconfig), kindcluster.CreateWithDisplayUsage(false), kindcluster.CreateWithDisplaySalutation(false)))
	os.Unsetenv("KIND_EXPERIMENTAL_DOCKER_NETWORK")
	require.NoError(t, (&cluster.Cluster{Name: name, Kubeconfig: f.kubeconfig}).WaitReady(ctx, 3*time.Minute))
	// Named as MicroK8s names its cluster, the kubeconfig no longer says
	// which kind cluster it is: to tandem the nodes are elsewhere.
	kc, err := clientcmd.LoadFromFile(f.kubeconfig)
	require.NoError(t, err)
	kc.Clusters["microk8s-cluster"] = kc.Clusters["kind-"+name]
	kc.AuthInfos["admin"] = kc.AuthInfos["kind-"+name]
	kc.Contexts = map[string]*clientcmdapi.Context{"microk8s": {Cluster: "microk8s-cluster", AuthInfo: "admin"}}
	kc.CurrentContext = "microk8s"
	delete(kc.Clusters, "kind-"+name)
	delete(kc.AuthInfos, "kind-"+name)
	require.NoError(t, clientcmd.WriteToFile(*kc, f.kubeconfig))

	nodes, err := p.ListInternalNodes(name)
	require.NoError(t, err)
	for _, n := range nodes {
		f.nodes = append(f.nodes, n.String())
	}
	return f
}

// images lists what a node's containerd holds.
func (f *foreignCluster) images(t *testing.T) string {
	t.Helper()
	var all []string
	for _, n := range f.nodes {
		out, err := exec.Command("docker", "exec", n, "crictl", "images", "-o", "json").Output()
		require.NoError(t, err)
		all = append(all, string(out))
	}
	return strings.Join(all, "\n")
}

// TestKubeconfigCluster runs tandem on a cluster it did not make (see
// foreignCluster): `tandem images push --registry` puts tandem's images in
// the cluster's registry; a run by --kubeconfig and --registry pushes
// what its scenarios build, its pods pull them, its scenarios pass diffed
// against the model, and those needing the nodes' processes are skipped
// with the reason; and a passing run, a failing run, a SIGINT and a
// SIGKILL followed by `tandem clean --kubeconfig` leave Docker's lists
// and the cluster's namespaces as they were.
func TestKubeconfigCluster(t *testing.T) {
	needKind(t)
	bin := buildTandem(t)
	f := newForeignCluster(t)
	require.NotContains(t, f.images(t), "tandem/", "nothing of tandem's is on the nodes before the push")

	// Without a registry the images are not there: the run says so at
	// once, rather than when its waits time out, and never pulls.
	out, err := exec.Command(bin, "run", "--substrate", "kind", "--kubeconfig", f.kubeconfig, "--format", "progress",
		"--artifacts", t.TempDir(), "testdata/local-pass.feature").CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "ErrImageNeverPull", "%s", out)
	require.Contains(t, string(out), "tandem images push --registry R) and run with --registry R")
	require.Contains(t, string(out), "the units cannot settle:", "the wait stopped at the problem, not at its timeout")

	out, err = exec.Command(bin, "images", "push", "--registry", f.registry).Output()
	require.NoError(t, err)
	refs := strings.Fields(string(out))
	require.Len(t, refs, 5, "%s", out)
	for _, ref := range refs {
		require.True(t, strings.HasPrefix(ref, f.registry+"/tandem/"), ref)
		name, tag, _ := strings.Cut(strings.TrimPrefix(ref, f.registry+"/"), ":")
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1%s/v2/%s/manifests/%s", strings.TrimPrefix(f.registry, "localhost"), name, tag))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "the registry has %s", ref)
	}
	tags, err := exec.Command("docker", "images", "--format", "{{.Repository}}", "--filter", "reference="+f.registry+"/*/*").Output()
	require.NoError(t, err)
	require.Empty(t, strings.TrimSpace(string(tags)), "the push leaves no registry tags in Docker")

	// A run: scenarios of every kind the cluster can run, and some it
	// cannot (container kills, node failures, the nodes' processes).
	// files.feature's containers hold files of the scenario's (an image
	// of their own), which the run pushes; yourcharm_tools.feature's charm
	// of your own runs in its charm container's image, pushed too, with a
	// file resource in it.
	out, err = exec.Command(bin, "run", "--substrate", "kind", "--kubeconfig", f.kubeconfig, "--registry", f.registry,
		"--format", "progress", "--concurrency", "3", "--artifacts", t.TempDir(),
		"../../features/colocation.feature", "../../features/failover.feature", "../../features/files.feature",
		"../../features/services.feature", "../../features/layers.feature", "../../features/yourcharm_tools.feature").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "lacks here: "+kind.ForeignReason)
	require.NotContains(t, string(out), "bringing up kind cluster")
	held := f.images(t)
	require.Contains(t, held, f.registry+"/tandem/pebble-init:", "the nodes pulled tandem's images from the registry")
	require.Contains(t, held, f.registry+"/tandem/custom:", "a scenario's own image was pushed and pulled")
	require.Contains(t, held, f.registry+"/tandem/charm-toolcheck:", "a charm of your own's image was pushed and pulled")

	leakTest(t, "kind", kindRunFootprintOn(f.kubeconfig), waitForNamespaceOn(f.kubeconfig),
		"--kubeconfig", f.kubeconfig, "--registry", f.registry)
}
