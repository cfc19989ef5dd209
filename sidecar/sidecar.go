package sidecar

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tandem-harness/tandem/spec"
)

// Juju's fixed names and numbers (REFERENCE R1).
const (
	InitContainer   = "charm-init"
	CharmDataVolume = "charm-data"
	CharmPort       = 38812
	// FirstWorkloadPort is the Pebble HTTP port of the first workload
	// container, in name order; the next gets the next port.
	FirstWorkloadPort = 38813
	// AgentPort is where tandem's charm agent listens in the pod;
	// CharmProxyPort and WorkloadProxyPort where it serves each Pebble to
	// the harness. All lie below Linux's ephemeral ports (32768-60999):
	// kind's port-forward dials them from inside the pod, and a dial to a
	// port in that range that nothing listens on yet (an agent starting,
	// laying its charm) can pick that very port as its source and connect
	// to itself, which then holds the port (seen: "bind: address already
	// in use" for a minute and more).
	AgentPort      = 28800
	CharmProxyPort = 28899
	// AgentConfigEnv carries the charm agent's configuration (JSON).
	AgentConfigEnv = "TANDEM_AGENT_CONFIG"
	// AgentStateDir is the agent's state on charm-data, in the charm container.
	AgentStateDir = "/charm/agent-state"
	// InitCopies is what the init container copies into /charm/bin.
	charmBin = "/charm/bin"
)

// WorkloadProxyPort is where the agent serves workload container i's
// Pebble (in name order) to the harness (see AgentPort).
func WorkloadProxyPort(i int) int { return 28900 + i }

// Images are the images tandem's own containers run; a workload
// container with no image of its own runs Workload.
type Images struct {
	Init     string
	Charm    string
	Workload string
}

// Labels every object tandem creates carries, beside Juju's own.
func Labels(app string, extra map[string]string) map[string]string {
	l := map[string]string{
		"app.kubernetes.io/name":       app,
		"app.kubernetes.io/managed-by": "juju",
	}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// WorkloadPort is container name's Pebble HTTP port.
func WorkloadPort(cs *spec.CharmSpec, name string) int {
	for i, n := range cs.ContainerNames() {
		if n == name {
			return FirstWorkloadPort + i
		}
	}
	return 0
}

// PebbleCommand is a workload container's command (R1).
func PebbleCommand(port int) []string {
	return []string{charmBin + "/pebble", "run", "--create-dirs", "--hold", "--http", fmt.Sprintf(":%d", port), "--verbose"}
}

// CharmCommand is the charm container's command: Pebble without --hold,
// which starts the charm agent from the image's layer.
func CharmCommand() []string {
	return []string{charmBin + "/pebble", "run", "--http", fmt.Sprintf(":%d", CharmPort), "--verbose"}
}

// InitCommand copies Pebble, the charm agent and the hook tools into
// /charm/bin (Juju's copies pebble, containeragent and jujuc).
func InitCommand() []string {
	return []string{"/charm-init", "/pebble", "/charm-agent", "/jujuc", charmBin}
}

func probe(port int, level string, period, threshold int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: "/v1/health?level=" + level, Port: intstr.FromInt32(int32(port)),
		}},
		PeriodSeconds: period, TimeoutSeconds: 1, FailureThreshold: threshold, SuccessThreshold: 1,
	}
}

func subPath(path, mountPath string, readOnly bool) corev1.VolumeMount {
	return corev1.VolumeMount{Name: CharmDataVolume, SubPath: path, MountPath: mountPath, ReadOnly: readOnly}
}

// PodSpec is the pod Juju builds for one unit of cs. agentConfig, when
// set, is the charm agent's configuration.
func PodSpec(cs *spec.CharmSpec, images Images, agentConfig string) corev1.PodSpec {
	names := cs.ContainerNames()
	namesEnv := corev1.EnvVar{Name: "JUJU_CONTAINER_NAMES", Value: strings.Join(names, ",")}
	grace := int64(30)
	ps := corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: &grace,
		Volumes:                       []corev1.Volume{{Name: CharmDataVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		InitContainers: []corev1.Container{{
			Name: InitContainer, Image: images.Init, ImagePullPolicy: corev1.PullIfNotPresent,
			Command:      InitCommand(),
			Env:          []corev1.EnvVar{namesEnv},
			VolumeMounts: []corev1.VolumeMount{subPath("charm/bin", charmBin, false)},
		}},
	}
	charmEnv := []corev1.EnvVar{namesEnv}
	if agentConfig != "" {
		charmEnv = append(charmEnv, corev1.EnvVar{Name: AgentConfigEnv, Value: agentConfig})
	}
	charmMounts := []corev1.VolumeMount{
		subPath("charm/bin", charmBin, true),
		subPath("charm/containers", spec.CharmContainersDir, false),
		subPath("charm/agent-state", AgentStateDir, false),
	}
	if cs.Charm != nil {
		// A charm of your own: its dir and tools on charm-data, as Juju
		// lays them, and the workloads' sockets behind the agent's.
		charmMounts[1] = subPath("charm/containers", WorkloadSocketsDir, false)
		charmMounts = append(charmMounts, subPath("var/lib/juju", spec.JujuDir, false))
	}
	ps.Containers = append(ps.Containers, corev1.Container{
		Name: spec.CharmContainer, Image: images.Charm, ImagePullPolicy: corev1.PullIfNotPresent,
		Command:        CharmCommand(),
		Env:            charmEnv,
		VolumeMounts:   charmMounts,
		LivenessProbe:  probe(CharmPort, "alive", 5, 3),
		ReadinessProbe: probe(CharmPort, "ready", 5, 1),
		StartupProbe:   probe(CharmPort, "alive", 1, 30),
	})
	for i, name := range names {
		c, _ := cs.Container(name)
		image := c.Image
		if image == "" {
			image = images.Workload
		}
		port := FirstWorkloadPort + i
		mounts := []corev1.VolumeMount{
			subPath("charm/bin/pebble", charmBin+"/pebble", true),
			subPath("charm/containers/"+name, spec.WorkloadSharedDir, false),
		}
		for _, m := range c.Mounts {
			mounts = append(mounts, corev1.VolumeMount{Name: m.Storage, MountPath: m.Location})
		}
		ps.Containers = append(ps.Containers, corev1.Container{
			Name: name, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
			// Only the command is replaced: the image stays as it is (R1.1).
			Command: PebbleCommand(port),
			Env: []corev1.EnvVar{
				{Name: "JUJU_CONTAINER_NAME", Value: name},
				{Name: "PEBBLE_SOCKET", Value: spec.WorkloadSharedDir + "/pebble.socket"},
				{Name: "PEBBLE", Value: spec.WorkloadSharedDir + "/pebble"},
				{Name: "PEBBLE_COPY_ONCE", Value: spec.PebbleCopyOnceDir},
			},
			VolumeMounts:   mounts,
			LivenessProbe:  probe(port, "alive", 5, 3),
			ReadinessProbe: probe(port, "ready", 5, 1),
			StartupProbe:   probe(port, "alive", 1, 30),
		})
	}
	return ps
}

// StatefulSet is the application's StatefulSet (R1): Parallel, its
// headless Service, one volume claim template per storage.
func StatefulSet(cs *spec.CharmSpec, units int, images Images, agentConfig string, labels map[string]string) *appsv1.StatefulSet {
	replicas := int32(units)
	sel := map[string]string{"app.kubernetes.io/name": cs.App}
	ss := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: cs.App, Labels: Labels(cs.App, labels)},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            &replicas,
			ServiceName:         cs.App + "-endpoints",
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: Labels(cs.App, labels)},
				Spec:       PodSpec(cs, images, agentConfig),
			},
		},
	}
	for _, st := range cs.Storage {
		size := st.Size
		if size == "" {
			size = "1Gi"
		}
		ss.Spec.VolumeClaimTemplates = append(ss.Spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: st.Name, Labels: Labels(cs.App, labels)},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			},
		})
	}
	return ss
}

// Service is the headless <app>-endpoints Service the StatefulSet names.
func Service(cs *spec.CharmSpec, labels map[string]string) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: cs.App + "-endpoints", Labels: Labels(cs.App, labels)},
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 map[string]string{"app.kubernetes.io/name": cs.App},
			PublishNotReadyAddresses: true,
		},
	}
}
