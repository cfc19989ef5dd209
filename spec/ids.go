package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// UnitID names a unit as Juju does: "<app>/<n>".
type UnitID string

// appNameRE follows Juju's application name rule: lowercase letters, digits
// and single hyphens, starting with a letter and not ending with a hyphen.
var appNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// containerNameRE is the Kubernetes container name rule (an RFC 1123 label),
// which Juju's metadata.yaml container names must also follow.
var containerNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// NewUnitID builds the id of unit n of app.
func NewUnitID(app string, n int) UnitID {
	return UnitID(fmt.Sprintf("%s/%d", app, n))
}

// ParseUnitID checks s is "<app>/<n>" and returns it as a UnitID.
func ParseUnitID(s string) (UnitID, error) {
	app, num, ok := strings.Cut(s, "/")
	if !ok || !appNameRE.MatchString(app) {
		return "", fmt.Errorf("cannot parse unit id %q: want <app>/<n>, like snappass/0", s)
	}
	if n, err := strconv.Atoi(num); err != nil || n < 0 || strconv.Itoa(n) != num {
		return "", fmt.Errorf("cannot parse unit id %q: unit number must be a non-negative integer", s)
	}
	return UnitID(s), nil
}

// App is the application part of the unit id.
func (u UnitID) App() string {
	app, _, _ := strings.Cut(string(u), "/")
	return app
}

// Index is the unit number.
func (u UnitID) Index() int {
	_, num, _ := strings.Cut(string(u), "/")
	n, _ := strconv.Atoi(num)
	return n
}

// PodName is the name Kubernetes gives the unit's pod in its StatefulSet.
func (u UnitID) PodName() string {
	return fmt.Sprintf("%s-%d", u.App(), u.Index())
}

// ValidAppName reports whether name is a valid Juju application name.
func ValidAppName(name string) bool { return appNameRE.MatchString(name) }

// ValidContainerName reports whether name is a valid container name.
func ValidContainerName(name string) bool {
	return len(name) <= 63 && containerNameRE.MatchString(name)
}

// CharmContainer is the name of the container that runs the charm itself.
const CharmContainer = "charm"

// Paths Juju uses inside the sidecar pod (REFERENCE R1).
const (
	// CharmContainersDir holds, in the charm container, one directory per
	// workload container with that container's Pebble socket.
	CharmContainersDir = "/charm/containers"
	// WorkloadSharedDir is where a workload container sees its own
	// directory of charm-data; $PEBBLE lives there.
	WorkloadSharedDir = "/charm/container"
	// PebbleCopyOnceDir is what PEBBLE_COPY_ONCE names: layers the image
	// ships are copied from there into $PEBBLE once.
	PebbleCopyOnceDir = "/var/lib/pebble/default"
	// StartRecordDir is where the workload tool records its starts, under
	// the shared directory so counts span container restarts.
	StartRecordDir = WorkloadSharedDir + "/tandem-starts"
)

// SocketPath is where the charm reaches workload container name's Pebble (R1.2).
func SocketPath(container string) string {
	return CharmContainersDir + "/" + container + "/pebble.socket"
}

// UnitOfPod is the unit whose pod is named podName ("<app>-<n>", as a
// StatefulSet names its pods): the inverse of PodName.
func UnitOfPod(app, podName string) (UnitID, error) {
	num, ok := strings.CutPrefix(podName, app+"-")
	if !ok {
		return "", fmt.Errorf("cannot find the unit of pod %q: it is not a pod of %q", podName, app)
	}
	return ParseUnitID(app + "/" + num)
}
