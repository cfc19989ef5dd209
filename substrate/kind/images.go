package kind

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/spec"
)

// loaded remembers, per cluster, the images this process has seen on
// every node, so each scenario does not ask again.
var (
	loadedMu sync.Mutex
	loaded   = map[string]bool{}
)

// loadImages puts images into every node of tandem's kind cluster that
// lacks them, as `kind load docker-image` does: pods never pull.
func loadImages(ctx context.Context, clusterName string, tags []string) error {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	var want []string
	for _, t := range tags {
		if !loaded[clusterName+" "+t] {
			want = append(want, t)
		}
	}
	if len(want) == 0 {
		return nil
	}
	ns, err := kindcluster.NewProvider(kindcluster.ProviderWithDocker()).ListNodes(clusterName)
	if err != nil {
		return fmt.Errorf("cannot list the nodes of cluster %q: %w", clusterName, err)
	}
	for _, n := range ns {
		var missing []string
		for _, t := range want {
			if n.Command("crictl", "inspecti", "-q", t).Run() != nil {
				missing = append(missing, t)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if err := loadInto(ctx, n, missing); err != nil {
			return err
		}
	}
	for _, t := range want {
		loaded[clusterName+" "+t] = true
	}
	return nil
}

func loadInto(ctx context.Context, n nodes.Node, tags []string) error {
	save := exec.CommandContext(ctx, "docker", append([]string{"save"}, tags...)...)
	out, err := save.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	save.Stderr = &stderr
	if err := save.Start(); err != nil {
		return err
	}
	loadErr := nodeutils.LoadImageArchive(n, out)
	if err := save.Wait(); err != nil {
		return fmt.Errorf("cannot save %s: %v: %s", strings.Join(tags, " "), err, stderr.String())
	}
	if loadErr != nil {
		return fmt.Errorf("cannot load %s into node %s: %w", strings.Join(tags, " "), n.String(), loadErr)
	}
	return nil
}

// withFiles is image base with the files and Pebble layers a scenario
// says a container's image holds: an image of its own, built once,
// tagged by its content (Kubernetes cannot add files to a container
// before it starts, as Docker can).
func withFiles(ctx context.Context, base string, ct spec.Container, cacheDir string) (string, error) {
	files := map[string]string{}
	for p, content := range ct.Files {
		files[p] = content
	}
	for f, content := range ct.Layers {
		files[spec.PebbleCopyOnceDir+"/layers/"+f] = content
	}
	if len(files) == 0 {
		return base, nil
	}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", base)
	for _, p := range paths {
		fmt.Fprintf(h, "%s %d\n%s", p, len(files[p]), files[p])
	}
	tag := "tandem/custom:" + hex.EncodeToString(h.Sum(nil))[:12]
	if exec.CommandContext(ctx, "docker", "image", "inspect", tag).Run() == nil {
		return tag, nil
	}
	dir, err := os.MkdirTemp(cacheDir, "custom-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	for _, p := range paths {
		full := filepath.Join(dir, "root", p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+base+"\nCOPY root/ /\n"), 0o644); err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "--network", "none", "-t", tag, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build %s with the scenario's files: %v: %s", tag, err, out)
	}
	return tag, nil
}

// publish makes tandem's images tags reachable from the cluster's nodes:
// pushed to the registry the run names, whose names the pods then use,
// or else loaded into the nodes of a kind cluster on this machine. On any
// other cluster they must be on the nodes already; a pod that cannot
// pull one fails the scenario with how to fix it (imagePullProblem).
func (k *Kind) publish(ctx context.Context, tags []string) error {
	switch {
	case k.target.Registry != "":
		_, err := k.target.Registry.Push(ctx, tags)
		return err
	case k.target.Cluster != "":
		return loadImages(ctx, k.target.Cluster, tags)
	}
	return nil
}

// imagePullProblem is what a container waiting on its image says, if it
// is waiting on one; with the fix where the image is tandem's.
func imagePullProblem(st corev1.ContainerStatus, registry images.Registry) string {
	w := st.State.Waiting
	if w == nil {
		return ""
	}
	switch w.Reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
	default:
		return ""
	}
	fix := "push tandem's images to a registry the nodes pull from (tandem images push --registry R) and run with --registry R"
	if registry != "" {
		fix = fmt.Sprintf("make sure the nodes can pull from %s (an HTTP registry must be allowed in the nodes' container runtime)", registry)
	}
	return fmt.Sprintf("cannot start container %s: its node cannot pull %s (%s: %s): %s", st.Name, st.Image, w.Reason, w.Message, fix)
}

// pullPolicy has the nodes never pull tandem's images when no registry
// is named: they are loaded, or must be there already, and a pull would
// only ask Docker Hub for images that are not there. The pod then fails
// at once with ErrImageNeverPull, which imagePullProblem explains.
func (k *Kind) pullPolicy(ps *corev1.PodSpec) {
	if k.target.Registry != "" {
		return
	}
	for _, cs := range [][]corev1.Container{ps.InitContainers, ps.Containers} {
		for i := range cs {
			if strings.HasPrefix(cs[i].Image, "tandem/") {
				cs[i].ImagePullPolicy = corev1.PullNever
			}
		}
	}
}
