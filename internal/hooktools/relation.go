package hooktools

import (
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

func init() {
	tools["relation-ids"] = relationIDs
	tools["relation-list"] = relationList
	tools["relation-get"] = relationGet
	tools["relation-set"] = relationSet
	tools["relation-model-get"] = relationModelGet
}

// yamlOrJSON reads settings as ops sends them: JSON (ops 3.x) or YAML
// (older ops); JSON is YAML.
func yamlOrJSON(data []byte, into any) error {
	return yaml.Unmarshal(data, into)
}

func relationIDs(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	if len(a.pos) != 1 {
		return "", usage("relation-ids takes one endpoint name")
	}
	ids := []string{}
	for _, r := range h.u.Relations {
		if r.Endpoint == a.pos[0] {
			ids = append(ids, r.Ref())
		}
	}
	return format(a, ids)
}

// relationArgs parses a relation tool's arguments and finds the relation
// its -r names (the hook's own without one).
func (h *Hook) relationArgs(argv []string) (args, *Relation, error) {
	a, err := formatArgs(argv, "r", "relation")
	if err != nil {
		return args{}, nil, err
	}
	r, err := h.relation(a.get("r", "relation"))
	return a, r, err
}

func relationList(h *Hook, argv []string, _ []byte) (string, error) {
	a, r, err := h.relationArgs(argv)
	if err != nil {
		return "", err
	}
	if a.has("app") {
		return format(a, r.RemoteApp)
	}
	units := append([]string{}, r.Units...)
	sort.Strings(units)
	return format(a, units)
}

// relationGet reads a unit's or an application's data: "relation-get
// [-r ref] [--app] [key|-] [member]"; the member defaults to the hook's
// remote unit.
func relationGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, r, err := h.relationArgs(argv)
	if err != nil {
		return "", err
	}
	key, member := "-", h.RemoteUnit
	if len(a.pos) > 0 {
		key = a.pos[0]
	}
	if len(a.pos) > 1 {
		member = a.pos[1]
	}
	if a.has("app") && len(a.pos) < 2 {
		member = r.RemoteApp
	}
	if member == "" {
		return "", usage("no unit id specified")
	}
	if !h.canRead(r, member) {
		return "", fmt.Errorf("permission denied")
	}
	data := r.Data[member]
	if key != "-" {
		return format(a, data[key])
	}
	out := map[string]string{}
	for k, v := range data {
		out[k] = v
	}
	return format(a, out)
}

// canRead: a unit reads its own data and the remote side's; its own
// application's only as leader, except on a peer relation, where every
// unit reads it (ops' _validate_read).
func (h *Hook) canRead(r *Relation, member string) bool {
	if member == h.app() && r.RemoteApp != h.app() {
		return h.u.Leader
	}
	return true
}

func relationSet(h *Hook, argv []string, stdin []byte) (string, error) {
	a, err := parseArgs(argv, "r", "relation", "file", "format")
	if err != nil {
		return "", usage("%v", err)
	}
	r, err := h.relation(a.get("r", "relation"))
	if err != nil {
		return "", err
	}
	owner := h.u.Name
	if a.has("app") {
		if !h.u.Leader {
			return "", fmt.Errorf("cannot write relation settings")
		}
		owner = h.app()
	}
	if r.Data == nil {
		r.Data = map[string]map[string]string{}
	}
	data := r.Data[owner]
	if data == nil {
		data = map[string]string{}
		r.Data[owner] = data
	}
	if a.get("file") == "-" {
		var kv map[string]string
		if err := yamlOrJSON(stdin, &kv); err != nil {
			return "", fmt.Errorf("cannot read the settings on stdin: %v", err)
		}
		for k, v := range kv {
			if v == "" {
				delete(data, k)
			} else {
				data[k] = v
			}
		}
	}
	return "", setPairs(a.pos, data)
}

func relationModelGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv, "r", "relation")
	if err != nil {
		return "", err
	}
	if _, err := h.relation(a.get("r", "relation")); err != nil {
		return "", err
	}
	return format(a, map[string]string{"uuid": ModelUUID})
}

// ModelUUID is the model tandem's units live in (JUJU_MODEL_UUID).
const ModelUUID = "7a1d0e5c-7a4d-4e4d-8a9a-7a4d3e0e0001"

// Published is what the hook's commit tells the charm's peers: for each
// peer relation (its remote application is the unit's own), the keys of
// the unit's own data it changed (an empty value for one it deleted),
// and, from the leader, of the application's.
func (h *Hook) Published() []spec.RelationOp {
	leads := h.store.Snapshot().Leader
	h.mu.Lock()
	defer h.mu.Unlock()
	app := h.app()
	var out []spec.RelationOp
	for _, r := range h.u.Relations {
		if r.RemoteApp != app {
			continue
		}
		changedBy := h.changedData(r, leads)
		for _, owner := range []string{h.u.Name, app} {
			changed := changedBy[owner]
			if len(changed) == 0 {
				continue
			}
			op := spec.RelationOp{Op: spec.ChangeOp, ID: r.ID, Endpoint: r.Endpoint, RemoteApp: app,
				Data: changed, From: spec.UnitID(h.u.Name)}
			if owner == h.u.Name {
				op.Unit = owner
			}
			out = append(out, op)
		}
	}
	return out
}

// changedKeys are the keys whose value differs, "" for one gone.
func changedKeys(before, after map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			out[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out[k] = ""
		}
	}
	return out
}
