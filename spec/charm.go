package spec

import (
	"fmt"
	"sort"
	"time"
)

// CharmSpec is what a scenario says about the charm under test: its
// application name, its workload containers, its storage, and what the
// charm does when each event fires.
type CharmSpec struct {
	App        string      `json:"app"`
	Containers []Container `json:"containers"`
	Storage    []Storage   `json:"storage,omitempty"`
	Handlers   []Handler   `json:"handlers,omitempty"`
	// Charm, when set, is a charm author's own charm: it acts instead of
	// Handlers, and its metadata gave App, Containers and Storage.
	Charm *RealCharm `json:"charm,omitempty"`
}

// Container is one workload container of the charm.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	// Layers are the layer files the image ships in PebbleCopyOnceDir/layers,
	// keyed by file name ("001-base.yaml"); PEBBLE_COPY_ONCE copies them
	// into $PEBBLE on the container's first start (R4.7).
	Layers map[string]string `json:"layers,omitempty"`
	// Programs declares, for the model, what a program other than the
	// workload tool does, keyed by its path (a Redis server, say). The
	// real substrates ignore it: there the program runs.
	Programs map[string]Behaviour `json:"programs,omitempty"`
	// Mounts names storage mounted in this container.
	Mounts []Mount `json:"mounts,omitempty"`
	// Files are the image's own files (path -> content), visible before
	// anything is pushed.
	Files map[string]string `json:"files,omitempty"`
}

// Storage is a filesystem storage definition, realised as a volume claim
// template of the StatefulSet.
type Storage struct {
	Name string `json:"name"`
	// Size is a Kubernetes quantity ("1Gi").
	Size string `json:"size,omitempty"`
}

// Mount places storage in a container.
type Mount struct {
	Storage  string `json:"storage"`
	Location string `json:"location"`
}

// Handler is the charm's reaction to one event: when Event fires, the
// charm runs Actions in order, inside the charm container.
type Handler struct {
	Event   string   `json:"event"`
	Actions []Action `json:"actions"`
}

// ActionKind names what an Action does through Pebble.
type ActionKind string

const (
	ActAddLayer ActionKind = "add-layer"
	ActReplan   ActionKind = "replan"
	ActStart    ActionKind = "start"
	ActStop     ActionKind = "stop"
	ActRestart  ActionKind = "restart"
	ActPush     ActionKind = "push"
	ActMakeDir  ActionKind = "make-dir"
	ActRemove   ActionKind = "remove"
	ActExec     ActionKind = "exec"
	ActNotify   ActionKind = "notify"
	ActSignal   ActionKind = "signal"
	// ActConnect is not a Pebble call: the charm opens a TCP connection to
	// a workload's port on localhost, which it reaches because the pod's
	// containers share one network namespace (R1.6).
	ActConnect ActionKind = "connect"
)

// Action is one Pebble call the charm (or a scenario acting as the charm)
// makes on a container. Only the fields its Kind needs are set.
type Action struct {
	Kind      ActionKind `json:"kind"`
	Container string     `json:"container"`
	// add-layer
	Label   string `json:"label,omitempty"`
	Layer   string `json:"layer,omitempty"`
	Combine bool   `json:"combine,omitempty"`
	// start, stop, restart, signal
	Services []string `json:"services,omitempty"`
	Signal   string   `json:"signal,omitempty"`
	// push, make-dir, remove
	Path        string `json:"path,omitempty"`
	Content     string `json:"content,omitempty"`
	Permissions string `json:"permissions,omitempty"`
	User        string `json:"user,omitempty"`
	Group       string `json:"group,omitempty"`
	MakeDirs    bool   `json:"make-dirs,omitempty"`
	Recursive   bool   `json:"recursive,omitempty"`
	// exec
	Command []string `json:"command,omitempty"`
	// notify: a custom notice key
	Key string `json:"key,omitempty"`
	// connect: the port on localhost
	Port int `json:"port,omitempty"`
}

func (a Action) String() string {
	switch a.Kind {
	case ActAddLayer:
		return fmt.Sprintf("add layer %q to %s", a.Label, a.Container)
	case ActPush, ActMakeDir, ActRemove:
		return fmt.Sprintf("%s %s in %s", a.Kind, a.Path, a.Container)
	case ActExec:
		return fmt.Sprintf("exec %q in %s", a.Command, a.Container)
	case ActNotify:
		return fmt.Sprintf("notify %q in %s", a.Key, a.Container)
	case ActSignal:
		return fmt.Sprintf("send %s to %v in %s", a.Signal, a.Services, a.Container)
	case ActConnect:
		return fmt.Sprintf("connect to localhost:%d (%s)", a.Port, a.Container)
	}
	if len(a.Services) > 0 {
		return fmt.Sprintf("%s %v in %s", a.Kind, a.Services, a.Container)
	}
	return fmt.Sprintf("%s in %s", a.Kind, a.Container)
}

// ContainerNames returns the workload container names sorted, as Juju
// orders them (JUJU_CONTAINER_NAMES, the Pebble ports).
func (c *CharmSpec) ContainerNames() []string {
	names := make([]string, 0, len(c.Containers))
	for _, ct := range c.Containers {
		names = append(names, ct.Name)
	}
	sort.Strings(names)
	return names
}

// Container returns the named workload container.
func (c *CharmSpec) Container(name string) (*Container, bool) {
	for i := range c.Containers {
		if c.Containers[i].Name == name {
			return &c.Containers[i], true
		}
	}
	return nil, false
}

// HandlersFor returns the handlers for event, in the order declared.
func (c *CharmSpec) HandlersFor(event string) []Handler {
	var hs []Handler
	for _, h := range c.Handlers {
		if h.Event == event {
			hs = append(hs, h)
		}
	}
	return hs
}

// Events a charm can receive (REFERENCE R2).
const (
	EventInstall       = "install"
	EventLeaderElected = "leader-elected"
	EventConfigChanged = "config-changed"
	EventStart         = "start"
	EventUpgradeCharm  = "upgrade-charm"
	EventUpdateStatus  = "update-status"
	EventStop          = "stop"
	EventRemove        = "remove"
)

// PebbleReady is the event fired when container's Pebble is (re)started (R2.1).
func PebbleReady(container string) string { return container + "-pebble-ready" }

// CustomNotice is the event fired for a custom Pebble notice (R2.2).
func CustomNotice(container string) string { return container + "-pebble-custom-notice" }

// CheckFailed and CheckRecovered are fired for check changes (R2.3).
func CheckFailed(container string) string    { return container + "-pebble-check-failed" }
func CheckRecovered(container string) string { return container + "-pebble-check-recovered" }

// Event is one event the charm received, with what its handlers did.
type Event struct {
	At   time.Duration `json:"at"`
	Unit UnitID        `json:"unit"`
	Name string        `json:"name"`
	// Key is the notice key or check name, where the event has one.
	Key string `json:"key,omitempty"`
	// Errors holds, for each handler action that failed, its message.
	Errors []string `json:"errors,omitempty"`
	// Running marks the event whose hook runs now: the agent lists it
	// before it ends, without its outcome.
	Running bool `json:"running,omitempty"`
	// Interrupted marks a hook its agent died in (its charm container was
	// killed): the charm got the event, and the hook never ended.
	Interrupted bool `json:"interrupted,omitempty"`
	// Exit is a charm of your own's hook's exit code: not 0, the hook
	// failed, and Juju retries it.
	Exit int `json:"exit,omitempty"`
	// Published is what the hook changed in its peer relations' data,
	// which the controller passes on to the application's other units.
	Published []RelationOp `json:"published,omitempty"`
	// Dropped marks a queued relation hook the agent never ran: the
	// remote unit it was about departed first.
	Dropped bool `json:"dropped,omitempty"`
	// Took is how long a charm of your own's hook ran, from its start to
	// its exit.
	Took time.Duration `json:"took,omitempty"`
}

// States of an event record: a hook (of a charm of your own) that exited
// non-zero; an event the agent had queued, not yet run, when the scenario
// ended, or dropped when its turn came (the platform decided it: it
// counts in the event sequence, as the model, whose hooks take no time,
// ran it).
const (
	HookFailed   = "failed"
	EventQueued  = "queued"
	EventDropped = "dropped"
)

// ActionEvent is the event of an action, as ops names it (<name>_action
// in Python; <name>-action here, as Juju's hook names are).
func ActionEvent(name string) string { return name + "-action" }

// BaseImageFiles is what every workload image tandem builds holds besides
// the workload tool: the user and group databases Pebble looks names up
// in. A container's Files are laid over it. Directories listed in
// BaseImageDirs exist too.
var BaseImageFiles = map[string]string{
	"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
	"/etc/group":  "root:x:0:\n",
}

// BaseImageDirs are the directories every tandem workload image has.
// /root is root's home: Pebble's exec refuses to run without the user's
// home directory.
var BaseImageDirs = []string{"/etc", "/root", "/tmp", "/usr/bin", "/var/lib"}

// PodHosts is the /etc/hosts every container of a pod gets from the
// kubelet (Docker gives one too): without it, "localhost" does not resolve
// and a check on http://localhost fails.
const PodHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// PebbleRefuses is a consistency error that real Pebble would also give
// the action (an invalid layer, a service in no layer). In a handler it is
// a charm bug; as a scenario's own action it may be the point of the
// scenario, which then checks Pebble's answer.
type PebbleRefuses struct{ Err error }

func (e *PebbleRefuses) Error() string { return e.Err.Error() }
func (e *PebbleRefuses) Unwrap() error { return e.Err }
