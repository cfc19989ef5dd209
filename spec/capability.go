package spec

// Capability is something a substrate can do that not every substrate can.
// A scenario tags what it needs (@needs-nodes); a substrate without it
// reports the scenario skipped, naming the substrates that can run it.
type Capability string

const (
	// CapNodes: more than one node, node failure and scheduling.
	CapNodes Capability = "nodes"
	// CapProber: kubelet probes on Pebble's health endpoints.
	CapProber Capability = "prober"
	// CapContainerRestart: a dead workload container is restarted.
	CapContainerRestart Capability = "container-restart"
	// CapPodDelete: a deleted pod is recreated with the same name.
	CapPodDelete Capability = "pod-delete"
	// CapStorage: storage that outlives the pod.
	CapStorage Capability = "storage"
	// CapLongWaits: waits of minutes cost nothing (virtual time).
	CapLongWaits Capability = "long-waits"
	// CapRealPebble: the Pebble is the real binary.
	CapRealPebble Capability = "real-pebble"
	// CapImages: containers run the images a scenario names (tandem's own
	// by name, "tandem/redis", or any other); the model runs what the
	// scenario declares of their programs.
	CapImages Capability = "images"
	// CapFreshRestart: a restarted container starts from its image, its
	// own writes gone, as the kubelet restarts it (Docker's restart policy
	// keeps them).
	CapFreshRestart Capability = "fresh-restart"
	// CapRealCharm: the charm container runs a charm author's own charm
	// (its dispatch, with Juju's hook tools and hook order).
	CapRealCharm Capability = "real-charm"
)

// AllCapabilities lists every capability, for tag checking and help.
var AllCapabilities = []Capability{
	CapNodes, CapProber, CapContainerRestart, CapPodDelete, CapStorage, CapLongWaits, CapRealPebble, CapImages, CapFreshRestart,
	CapRealCharm,
}

// ParseCapability returns the capability named by s, if it is one.
func ParseCapability(s string) (Capability, bool) {
	for _, c := range AllCapabilities {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}
