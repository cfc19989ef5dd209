package spec

import (
	"fmt"
	"path"
)

// Where Juju puts a charm of your own in the charm container
// (../shared/JUJU-CONTRACT.md §1.1), on the pod's charm-data volume: a
// new pod has none of it.

// JujuDir is the charm-data volume's var/lib/juju, in the charm
// container: the unit's agent dir, its charm dir, its tools.
const JujuDir = "/var/lib/juju"

// UnitDir is the unit's agent dir under JujuDir: agents/unit-<app>-<n>.
func UnitDir(app string, id UnitID) string {
	return fmt.Sprintf("agents/unit-%s-%d", app, id.Index())
}

// CharmDir is the unit's charm dir ($JUJU_CHARM_DIR).
func CharmDir(app string, id UnitID) string {
	return path.Join(JujuDir, UnitDir(app, id), "charm")
}

// ToolsDir is where the unit's hook tools are linked to the jujuc binary.
func ToolsDir(app string, id UnitID) string {
	return path.Join(JujuDir, "tools", path.Base(UnitDir(app, id)))
}

// ResourcesDir is where the unit's attached file resources lie, each at
// <name>/<file>, where Juju's unit agent downloads them.
func ResourcesDir(app string, id UnitID) string {
	return path.Join(JujuDir, UnitDir(app, id), "resources")
}
