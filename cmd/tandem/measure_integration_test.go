//go:build integration

package main

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/kind/cluster"
	"github.com/tandem-harness/tandem/substrate/kind/nodeimage"
)

// TestMeasureKubeletBackoff measures, on tandem's kind cluster, the
// kubelet's restart back-off for a container that exits at once: the wait
// from each exit to the next start, for its first five restarts. The
// kubelet (v1.37.2, pkg/kubelet/kuberuntime doBackOff) restarts the first
// exit at once and sets a 10 s back-off that doubles to 5 minutes; a sync
// that finds the container backing off requeues the pod for what is left
// of it, through wait.Jitter with factor 0.5 (pod_workers completeWork),
// so restart n>1 starts between B and 1.5 B after the exit before it, B
// being 10, 20, 40, 80 s: the profile's figures are the earliest. It takes
// about three minutes, so it runs only when asked (TANDEM_MEASURE=1 go
// test -run TestMeasureKubeletBackoff -v ./cmd/tandem, with `tandem
// cluster up` first); docs/model.md carries its figures.
func TestMeasureKubeletBackoff(t *testing.T) {
	if os.Getenv("TANDEM_MEASURE") == "" {
		t.Skip("a three-minute measurement: set TANDEM_MEASURE=1 to run it")
	}
	c, ok := cluster.Get(clustersDir(), cluster.DefaultName)
	require.True(t, ok, "tandem cluster up first")
	cs, err := c.Client()
	require.NoError(t, err)
	ctx := context.Background()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tandem-measure-"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	defer cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "crash"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "crash", Image: "tandem.local/busybox:" + nodeimage.Default.DebianSuite, ImagePullPolicy: corev1.PullNever,
		Command: []string{"/bin/sh", "-c", "exit 1"},
	}}}}
	_, err = cs.CoreV1().Pods(ns.Name).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	// Every run of the container seen, by its start: its exit.
	runs := map[time.Time]time.Time{}
	deadline := time.Now().Add(5 * time.Minute)
	var restarts int32
	for time.Now().Before(deadline) && len(runs) < 6 {
		p, err := cs.CoreV1().Pods(ns.Name).Get(ctx, "crash", metav1.GetOptions{})
		require.NoError(t, err)
		for _, st := range p.Status.ContainerStatuses {
			restarts = st.RestartCount
			for _, term := range []*corev1.ContainerStateTerminated{st.State.Terminated, st.LastTerminationState.Terminated} {
				if term != nil {
					runs[term.StartedAt.Time] = term.FinishedAt.Time
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	var starts []time.Time
	for s := range runs {
		starts = append(starts, s)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	require.GreaterOrEqual(t, len(starts), 6, "the container crash-looped six times")
	// Each restart follows an exit this loop saw: no run was missed
	// between two polls, which would merge two waits into one.
	require.GreaterOrEqual(t, len(starts), int(restarts), "every run of the container was seen")
	profile := spec.Profiles["kind"]
	for i := 1; i < len(starts); i++ {
		wait := starts[i].Sub(runs[starts[i-1]])
		t.Logf("restart %d: started %.0fs after the exit before it", i, wait.Seconds())
		// The API's times are whole seconds: a second either way.
		least := profile.NextRestartDelay(i)
		most := least + least/2
		require.True(t, wait >= least-time.Second && wait <= most+time.Second,
			"restart %d came %s after the exit before it; the kubelet's back-off puts it in [%s, %s]", i, wait, least, most)
	}
}
