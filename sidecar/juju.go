package sidecar

// What the charm container of a charm of your own has beside Juju's
// layout on charm-data (spec.JujuDir and the unit's dirs under it).
const (
	// Jujuc is the hook tools' binary, which charm-init copies.
	Jujuc = charmBin + "/jujuc"
	// WorkloadSocketsDir is where the agent of a charm of your own
	// reaches each workload's own Pebble socket (<name>/pebble.socket):
	// it serves the charm /charm/containers/<name>/pebble.socket itself,
	// forwarding there, so the trace holds the charm's own calls.
	WorkloadSocketsDir = "/charm/workloads"
	// HookPath is the hooks' PATH after the tools' dir: the charm
	// container's own, with /charm/bin (containeragent's --append-env).
	HookPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:" + charmBin
)
