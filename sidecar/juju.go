package sidecar

import (
	"fmt"
	"path"

	"github.com/tandem-harness/tandem/spec"
)

// Where Juju puts a charm of your own in the charm container
// (../shared/JUJU-CONTRACT.md §1.1).
const (
	// JujuDir is the charm-data volume's var/lib/juju, in the charm
	// container: the unit's agent dir, its charm dir, its tools.
	JujuDir = "/var/lib/juju"
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

// UnitDir is the unit's agent dir under JujuDir: agents/unit-<app>-<n>.
func UnitDir(app string, id spec.UnitID) string {
	return fmt.Sprintf("agents/unit-%s-%d", app, id.Index())
}

// CharmDir is the unit's charm dir ($JUJU_CHARM_DIR).
func CharmDir(app string, id spec.UnitID) string {
	return path.Join(JujuDir, UnitDir(app, id), "charm")
}

// ToolsDir is where the unit's hook tools are linked to Jujuc.
func ToolsDir(app string, id spec.UnitID) string {
	return path.Join(JujuDir, "tools", path.Base(UnitDir(app, id)))
}
