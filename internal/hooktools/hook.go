package hooktools

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tandem-harness/tandem/internal/hooktools/wire"
)

// Hook is the context of one hook or action: the tools read and change a
// copy of the unit's state, which Commit applies (Juju flushes a hook's
// context only when it exits 0). juju-log lines are kept either way: Juju
// writes them to the unit's log at once.
type Hook struct {
	store *Store
	// mu: a charm may call tools from several threads at once.
	mu sync.Mutex
	u  Unit
	// orig is the unit's state as the hook began: what the hook changed
	// is the difference, and only that is committed and published (the
	// controller may change the rest meanwhile: another unit's write to
	// the application's data, say).
	orig Unit
	// Name is the hook's name, or the action's.
	Name string
	// Action is the action this context runs, nil for a hook.
	Action *Action
	// Relation is the relation of a relation hook (NoRelation: none),
	// RemoteUnit the unit it is about.
	Relation   int
	RemoteUnit string
	logs       []LogLine
	began      time.Time
	// revisedHere are the secrets whose newest revision this hook made.
	revisedHere map[string]bool
}

// NoRelation is the Relation of a hook that is not a relation's: Juju's
// relation ids start at 0.
const NoRelation = -1

// Begin opens a hook's context on the unit's state.
func (s *Store) Begin(name string, action *Action, relation int, remoteUnit string) *Hook {
	u := s.Snapshot()
	return &Hook{store: s, u: u, orig: clone(u), Name: name, Action: action, Relation: relation, RemoteUnit: remoteUnit, began: time.Now()}
}

// Commit applies what the hook changed, its logs included. Only what a
// hook owns is taken from it (statuses, version, ports, leader data,
// state, its secrets), and of its own side's relation data only the keys
// it set: what the controller changed meanwhile (config set during the
// hook, the application's data a new leader wrote) stays.
func (h *Hook) Commit() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	st, mine := &h.store.u, clone(h.u)
	st.UnitStatus, st.AppStatus, st.Version, st.Ports = mine.UnitStatus, mine.AppStatus, mine.Version, mine.Ports
	st.LeaderData, st.State, st.Secrets = mine.LeaderData, mine.State, mine.Secrets
	st.Logs = append(st.Logs, h.logs...)
	for i := range st.Relations {
		for _, r := range mine.Relations {
			if r.ID != st.Relations[i].ID {
				continue
			}
			for owner, changed := range h.changedData(r, st.Leader) {
				if st.Relations[i].Data == nil {
					st.Relations[i].Data = map[string]map[string]string{}
				}
				d := maps.Clone(st.Relations[i].Data[owner])
				if d == nil {
					d = map[string]string{}
				}
				for k, v := range changed {
					if v == "" {
						delete(d, k)
					} else {
						d[k] = v
					}
				}
				st.Relations[i].Data[owner] = d
			}
		}
	}
}

// changedData is, for a relation as the hook leaves it, the keys of the
// data the unit may write that the hook changed, by owner ("" for a key
// it deleted): its own, and the application's while it leads (leads:
// now, as the hook ends; Juju checks leadership when it commits a hook,
// and refuses a deposed leader's write, which tandem drops).
func (h *Hook) changedData(r Relation, leads bool) map[string]map[string]string {
	var before map[string]map[string]string
	for _, o := range h.orig.Relations {
		if o.ID == r.ID {
			before = o.Data
		}
	}
	out := map[string]map[string]string{}
	for _, owner := range []string{h.u.Name, h.app()} {
		if owner == h.app() && (!h.u.Leader || !leads) {
			continue
		}
		if changed := changedKeys(before[owner], r.Data[owner]); len(changed) > 0 {
			out[owner] = changed
		}
	}
	return out
}

// Logged is what the hook logged through juju-log.
func (h *Hook) Logged() []LogLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogLine(nil), h.logs...)
}

// Discard keeps only the hook's log lines: the rest dies with the hook.
func (h *Hook) Discard() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	h.store.u.Logs = append(h.store.u.Logs, h.logs...)
}

// Result is what a tool printed and its exit code.
type Result = wire.Result

// tool is one hook tool: it reads its arguments and standard input, and
// changes the hook's context.
type tool func(h *Hook, argv []string, stdin []byte) (string, error)

// tools is every tool tandem models, by name.
var tools = map[string]tool{}

// notModelled are the tools Juju 3.6 has that tandem does not model: each
// fails loudly rather than pretend.
var notModelled = []string{
	"juju-reboot", "storage-add", "unit-get", "k8s-spec-set", "k8s-spec-get", "k8s-raw-set",
	"k8s-raw-get", "pod-spec-set", "pod-spec-get", "payload-register", "payload-unregister",
	"payload-status-set",
}

// Names lists every tool name the multi-call binary answers to, modelled
// or not, as Juju links jujuc under each.
func Names() []string {
	var out []string
	for n := range tools {
		out = append(out, n)
	}
	out = append(out, notModelled...)
	sort.Strings(out)
	return out
}

// Call runs one tool in the hook's context. An error is Juju's: "ERROR
// <message>" on stderr and exit 1 (2 for bad usage).
func (h *Hook) Call(name string, argv []string, stdin []byte) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := tools[name]
	if !ok {
		return Result{Stderr: fmt.Sprintf("ERROR tandem does not model hook tool %s\n", name), Code: 1}
	}
	out, err := t(h, argv, stdin)
	if err != nil {
		code := 1
		if _, usage := err.(usageError); usage {
			code = 2
		}
		return Result{Stdout: out, Stderr: "ERROR " + err.Error() + "\n", Code: code}
	}
	return Result{Stdout: out}
}

// usageError is a tool called with arguments it does not take.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usage(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// relation finds a relation by a -r value: "3" or "db:3" (Juju uses the
// number after the last colon); "" is the hook's own relation.
func (h *Hook) relation(ref string) (*Relation, error) {
	id := h.Relation
	if ref != "" {
		num := ref[strings.LastIndex(ref, ":")+1:]
		if _, err := fmt.Sscanf(num, "%d", &id); err != nil {
			return nil, usage("invalid value %q for option -r: invalid relation id", ref)
		}
	}
	for i := range h.u.Relations {
		if h.u.Relations[i].ID == id {
			return &h.u.Relations[i], nil
		}
	}
	if ref == "" {
		return nil, usage("no relation id specified")
	}
	if id == NoRelation {
		return nil, usage("no relation id specified")
	}
	return nil, fmt.Errorf("invalid value %q for option -r: relation not found", ref)
}

func (h *Hook) app() string {
	app, _, _ := strings.Cut(h.u.Name, "/")
	return app
}
