package sidecar

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/tandem-harness/tandem/spec"
)

func snappass() *spec.CharmSpec {
	return &spec.CharmSpec{App: "snappass", Containers: []spec.Container{
		{Name: "snappass"}, {Name: "redis", Image: "tandem/redis:abc", Mounts: []spec.Mount{{Storage: "data", Location: "/var/lib/redis"}}},
	}, Storage: []spec.Storage{{Name: "data", Size: "2Gi"}}}
}

var images = Images{Init: "tandem/pebble-init:1", Charm: "tandem/charm-agent:1", Workload: "tandem/workload:1"}

func container(ps corev1.PodSpec, name string) corev1.Container {
	for _, c := range ps.Containers {
		if c.Name == name {
			return c
		}
	}
	panic(name)
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestWorkloadsSortedWithPebbleAsCommand(t *testing.T) {
	ps := PodSpec(snappass(), images, "")
	var names []string
	for _, c := range ps.Containers {
		names = append(names, c.Name)
	}
	require.Equal(t, []string{"charm", "redis", "snappass"}, names, "the charm, then workloads sorted by name")
	redis := container(ps, "redis")
	require.Equal(t, "tandem/redis:abc", redis.Image, "R1.1: the workload image is not changed")
	require.Equal(t, []string{"/charm/bin/pebble", "run", "--create-dirs", "--hold", "--http", ":38813", "--verbose"}, redis.Command)
	require.Equal(t, ":38814", container(ps, "snappass").Command[5])
	require.Equal(t, "tandem/workload:1", container(ps, "snappass").Image)
	require.Equal(t, "redis", env(redis, "JUJU_CONTAINER_NAME"))
	require.Equal(t, "/charm/container/pebble.socket", env(redis, "PEBBLE_SOCKET"))
	require.Equal(t, "/charm/container/pebble", env(redis, "PEBBLE"))
	require.Equal(t, "/var/lib/pebble/default", env(redis, "PEBBLE_COPY_ONCE"))
	require.Equal(t, "redis,snappass", env(container(ps, "charm"), "JUJU_CONTAINER_NAMES"))
	require.Equal(t, []string{"/charm/bin/pebble", "run", "--http", ":38812", "--verbose"}, container(ps, "charm").Command)
}

func TestCharmDataSubPaths(t *testing.T) {
	ps := PodSpec(snappass(), images, "")
	require.NotNil(t, ps.Volumes[0].EmptyDir)
	require.Equal(t, CharmDataVolume, ps.Volumes[0].Name)
	init := ps.InitContainers[0]
	require.Equal(t, InitContainer, init.Name)
	require.Equal(t, []corev1.VolumeMount{{Name: "charm-data", SubPath: "charm/bin", MountPath: "/charm/bin"}}, init.VolumeMounts)
	redis := container(ps, "redis")
	require.Contains(t, redis.VolumeMounts, corev1.VolumeMount{Name: "charm-data", SubPath: "charm/bin/pebble", MountPath: "/charm/bin/pebble", ReadOnly: true})
	require.Contains(t, redis.VolumeMounts, corev1.VolumeMount{Name: "charm-data", SubPath: "charm/containers/redis", MountPath: "/charm/container"})
	require.Contains(t, redis.VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/var/lib/redis"})
	require.Contains(t, container(ps, "charm").VolumeMounts, corev1.VolumeMount{Name: "charm-data", SubPath: "charm/containers", MountPath: "/charm/containers"}, "R1.2: the charm sees every socket")
}

func TestProbes(t *testing.T) {
	c := container(PodSpec(snappass(), images, ""), "snappass")
	require.Equal(t, "/v1/health?level=alive", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, int32(38814), c.LivenessProbe.HTTPGet.Port.IntVal, "each container probed on its own Pebble port")
	require.Equal(t, [3]int32{5, 1, 3}, [3]int32{c.LivenessProbe.PeriodSeconds, c.LivenessProbe.TimeoutSeconds, c.LivenessProbe.FailureThreshold})
	require.Equal(t, "/v1/health?level=ready", c.ReadinessProbe.HTTPGet.Path)
	require.Equal(t, [3]int32{5, 1, 1}, [3]int32{c.ReadinessProbe.PeriodSeconds, c.ReadinessProbe.TimeoutSeconds, c.ReadinessProbe.FailureThreshold})
	require.Equal(t, "/v1/health?level=alive", c.StartupProbe.HTTPGet.Path)
	require.Equal(t, [3]int32{1, 1, 30}, [3]int32{c.StartupProbe.PeriodSeconds, c.StartupProbe.TimeoutSeconds, c.StartupProbe.FailureThreshold})
}

func TestStatefulSet(t *testing.T) {
	ss := StatefulSet(snappass(), 3, images, "", map[string]string{"tandem": "run1"})
	require.Equal(t, int32(3), *ss.Spec.Replicas)
	require.Equal(t, appsv1.ParallelPodManagement, ss.Spec.PodManagementPolicy)
	require.Equal(t, "snappass-endpoints", ss.Spec.ServiceName)
	require.Equal(t, int64(30), *ss.Spec.Template.Spec.TerminationGracePeriodSeconds)
	require.Equal(t, "juju", ss.Spec.Template.Labels["app.kubernetes.io/managed-by"])
	require.Equal(t, "run1", ss.Labels["tandem"], "tandem's label beside Juju's")
	require.Len(t, ss.Spec.VolumeClaimTemplates, 1)
	require.Equal(t, "2Gi", ss.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String())
	svc := Service(snappass(), nil)
	require.Equal(t, corev1.ClusterIPNone, svc.Spec.ClusterIP)
	for _, c := range ss.Spec.Template.Spec.Containers {
		require.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy)
	}
}

// TestTheAgentsPortsLieBelowTheEphemeralRange: kind's port-forward dials
// the agent's ports from inside the pod, and a dial to a port in Linux's
// ephemeral range that nothing listens on yet can take that port as its
// own source and hold it (AgentPort says how).
func TestTheAgentsPortsLieBelowTheEphemeralRange(t *testing.T) {
	low := 32768 // Linux's default, each network namespace's own
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var here int
		if _, err := fmt.Sscan(string(data), &here); err == nil && here < low {
			low = here
		}
	}
	ports := []int{AgentPort, CharmProxyPort}
	for i := 0; i < 32; i++ {
		ports = append(ports, WorkloadProxyPort(i))
	}
	for _, p := range ports {
		require.Less(t, p, low, "port %d", p)
	}
}
