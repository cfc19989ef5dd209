package hooktools

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	tools["juju-log"] = jujuLog
	tools["is-leader"] = isLeader
	tools["config-get"] = configGet
	tools["status-set"] = statusSet
	tools["status-get"] = statusGet
	tools["application-version-set"] = versionSet
	tools["open-port"] = func(h *Hook, argv []string, _ []byte) (string, error) { return "", h.port(argv, true) }
	tools["close-port"] = func(h *Hook, argv []string, _ []byte) (string, error) { return "", h.port(argv, false) }
	tools["opened-ports"] = openedPorts
	tools["goal-state"] = goalState
	tools["network-get"] = networkGet
	tools["leader-get"] = leaderGet
	tools["leader-set"] = leaderSet
	tools["state-get"] = stateGet
	tools["state-set"] = stateSet
	tools["state-delete"] = stateDelete
	tools["storage-list"] = storageList
	tools["storage-get"] = storageGet
	tools["resource-get"] = resourceGet
	tools["credential-get"] = credentialGet
}

// format prints v as the tool's --format asks: JSON, or Juju's "smart"
// default (a string as is, a bool as True/False, anything else as YAML
// would; JSON here, which ops never asks for otherwise).
func format(a args, v any) (string, error) {
	if f := a.get("format"); f == "" || f == "smart" {
		switch x := v.(type) {
		case string:
			return x + "\n", nil
		case bool:
			if x {
				return "True\n", nil
			}
			return "False\n", nil
		case nil:
			return "", nil
		}
	} else if f != "json" && f != "yaml" {
		return "", usage("invalid value %q for option --format: unknown format", f)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(data) + "\n", nil
}

func jujuLog(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv, "log-level", "l", "format")
	if err != nil {
		return "", usage("%v", err)
	}
	if len(a.pos) == 0 {
		return "", usage("no message specified")
	}
	level := strings.ToUpper(a.get("log-level", "l"))
	if level == "" {
		level = "INFO"
	}
	if a.has("debug") {
		level = "DEBUG"
	}
	h.logs = append(h.logs, LogLine{Level: level, Message: strings.Join(a.pos, " "), Hook: h.Name})
	return "", nil
}

func isLeader(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	return format(a, h.u.Leader)
}

// configGet prints every option that has a value (set, or a default
// that is not null), as jujuc's config-get does, or one option's.
func configGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	if len(a.pos) > 1 {
		return "", usage("unrecognized args: %q", a.pos[1:])
	}
	if len(a.pos) == 1 && !a.has("all", "a") {
		return format(a, h.u.Config[a.pos[0]])
	}
	out := map[string]any{}
	for k, v := range h.u.Config {
		if v != nil || a.has("all", "a") {
			out[k] = v
		}
	}
	return format(a, out)
}

var settable = []string{"maintenance", "blocked", "waiting", "active"}

func statusSet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv)
	if err != nil {
		return "", usage("%v", err)
	}
	app, err := a.boolFlag("application")
	if err != nil {
		return "", usage("%v", err)
	}
	if len(a.pos) == 0 {
		return "", usage("invalid args, require <status> [message] [data]")
	}
	if !slices.Contains(settable, a.pos[0]) {
		return "", usage("invalid status %q, expected one of %v", a.pos[0], settable)
	}
	st := Status{Status: a.pos[0], Message: strings.Join(a.pos[1:], " ")}
	if !app {
		h.u.UnitStatus = st
		return "", nil
	}
	if !h.u.Leader {
		return "", fmt.Errorf("setting application status: this unit is not the leader")
	}
	h.u.AppStatus = st
	return "", nil
}

func statusGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	app, err := a.boolFlag("application")
	if err != nil {
		return "", usage("%v", err)
	}
	data := a.has("include-data")
	unit := func(s Status) any {
		if !data {
			return s.Status
		}
		return map[string]any{"status": s.Status, "message": s.Message, "status-data": map[string]any{}}
	}
	if !app {
		return format(a, unit(h.u.UnitStatus))
	}
	if !h.u.Leader {
		return "", fmt.Errorf("finding application status: this unit is not the leader")
	}
	return format(a, map[string]any{"application-status": map[string]any{
		"status": h.u.AppStatus.Status, "message": h.u.AppStatus.Message, "status-data": map[string]any{},
		"units": map[string]any{h.u.Name: unit(h.u.UnitStatus)},
	}})
}

func versionSet(h *Hook, argv []string, _ []byte) (string, error) {
	version, err := oneArg(argv, "application-version-set takes one version")
	if err == nil {
		h.u.Version = version
	}
	return "", err
}

// port opens or closes a port, a range or icmp: "80", "80/tcp",
// "8000-8999/udp", "icmp".
func (h *Hook) port(argv []string, open bool) error {
	a, err := parseArgs(argv, "endpoints", "format")
	if err != nil {
		return usage("%v", err)
	}
	if len(a.pos) != 1 {
		return usage("want one port, range or icmp")
	}
	p, err := parsePort(a.pos[0])
	if err != nil {
		return usage("%v", err)
	}
	i := slices.Index(h.u.Ports, p)
	switch {
	case open && i < 0:
		h.u.Ports = append(h.u.Ports, p)
		sort.Strings(h.u.Ports)
	case !open && i >= 0:
		h.u.Ports = slices.Delete(h.u.Ports, i, i+1)
	}
	return nil
}

func parsePort(s string) (string, error) {
	if s == "icmp" {
		return s, nil
	}
	rng, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return "", fmt.Errorf("invalid protocol %q, expected \"tcp\", \"udp\", or \"icmp\"", proto)
	}
	fromText, toText, isRange := strings.Cut(rng, "-")
	if !isRange {
		toText = fromText
	}
	from, err1 := strconv.Atoi(fromText)
	to, err2 := strconv.Atoi(toText)
	if err1 != nil || err2 != nil || from < 1 || to > 65535 || from > to {
		return "", fmt.Errorf("invalid port range %q", s)
	}
	return rng + "/" + proto, nil
}

func openedPorts(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	ports := append([]string{}, h.u.Ports...)
	if a.get("format") == "json" {
		return format(a, ports)
	}
	var b strings.Builder
	for _, p := range ports {
		b.WriteString(p + "\n")
	}
	return b.String(), nil
}

// goalState lists the application's units and what its relations will
// hold, each with a status and since, as jujuc's goal-state prints them.
// The application's other units are its peers.
func goalState(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	since := h.began.UTC().Format(time.RFC3339)
	goal := func(status string) map[string]any { return map[string]any{"status": status, "since": since} }
	units := map[string]any{h.u.Name: goal("active")}
	relations := map[string]any{}
	for _, r := range h.u.Relations {
		members := map[string]any{r.RemoteApp: goal("joined")}
		for _, u := range r.Units {
			members[u] = goal("active")
			if r.RemoteApp == h.app() {
				units[u] = goal("active")
			}
		}
		relations[r.Endpoint] = members
	}
	return format(a, map[string]any{"units": units, "relations": relations})
}

// networkGet answers with the pod's address, as Juju does for a sidecar
// unit: every binding is the pod's one interface.
func networkGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv, "r", "relation")
	if err != nil {
		return "", err
	}
	if len(a.pos) != 1 {
		return "", usage("no endpoint name specified")
	}
	addr := h.u.Address
	if addr == "" {
		addr = "127.0.0.1"
	}
	switch {
	case a.has("ingress-address"):
		return format(a, addr)
	case a.has("bind-address"), a.has("primary-address"):
		return format(a, addr)
	}
	return format(a, map[string]any{
		"bind-addresses": []any{map[string]any{"mac-address": "", "interface-name": "eth0",
			"addresses": []any{map[string]any{"hostname": "", "value": addr, "cidr": addr + "/32"}}}},
		"ingress-addresses": []string{addr},
		"egress-subnets":    []string{addr + "/32"},
	})
}

func leaderGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	if len(a.pos) == 1 && a.pos[0] != "-" {
		return format(a, h.u.LeaderData[a.pos[0]])
	}
	out := map[string]string{}
	for k, v := range h.u.LeaderData {
		out[k] = v
	}
	return format(a, out)
}

func leaderSet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv)
	if err != nil {
		return "", usage("%v", err)
	}
	if !h.u.Leader {
		return "", fmt.Errorf("cannot write leadership settings: cannot write settings: not the leader")
	}
	if h.u.LeaderData == nil {
		h.u.LeaderData = map[string]string{}
	}
	return "", setPairs(a.pos, h.u.LeaderData)
}

// setPairs applies key=value arguments; an empty value deletes the key.
func setPairs(pairs []string, into map[string]string) error {
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usage("expected \"key=value\", got %q", kv)
		}
		if v == "" {
			delete(into, k)
		} else {
			into[k] = v
		}
	}
	return nil
}

func stateGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	if len(a.pos) == 1 {
		v, ok := h.u.State[a.pos[0]]
		if !ok && a.has("strict") {
			return "", fmt.Errorf("%q not found", a.pos[0])
		}
		return format(a, v)
	}
	out := map[string]string{}
	for k, v := range h.u.State {
		out[k] = v
	}
	return format(a, out)
}

func stateSet(h *Hook, argv []string, stdin []byte) (string, error) {
	a, err := parseArgs(argv, "file")
	if err != nil {
		return "", usage("%v", err)
	}
	if h.u.State == nil {
		h.u.State = map[string]string{}
	}
	if a.get("file") == "-" {
		var kv map[string]string
		if err := yamlOrJSON(stdin, &kv); err != nil {
			return "", fmt.Errorf("cannot read the settings on stdin: %v", err)
		}
		for k, v := range kv {
			h.u.State[k] = v
		}
	}
	return "", setPairs(a.pos, h.u.State)
}

func stateDelete(h *Hook, argv []string, _ []byte) (string, error) {
	key, err := oneArg(argv, "state-delete takes one key")
	if err == nil {
		delete(h.u.State, key)
	}
	return "", err
}

func storageList(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	var out []string
	for id := range h.u.Storage {
		name, _, _ := strings.Cut(id, "/")
		if len(a.pos) == 0 || a.pos[0] == name {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return format(a, out)
}

func storageGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv, "s")
	if err != nil {
		return "", err
	}
	id := a.get("s")
	loc, ok := h.u.Storage[id]
	if !ok {
		return "", fmt.Errorf("storage %q not found", id)
	}
	info := map[string]any{"kind": "filesystem", "location": loc}
	if len(a.pos) == 1 {
		return format(a, info[a.pos[0]])
	}
	return format(a, info)
}

// resourceGet prints where the unit finds a file resource. One nobody
// attached fails as Juju's download of it does; ops raises ModelError,
// which a charm catches to say it is blocked.
func resourceGet(h *Hook, argv []string, _ []byte) (string, error) {
	name, err := oneArg(argv, "resource-get expects exactly one argument, the resource name")
	if err != nil {
		return "", err
	}
	path, declared := h.u.Resources[name]
	if !declared {
		return "", fmt.Errorf("could not download resource: resource %q not found", name)
	}
	if path == "" {
		return "", fmt.Errorf("could not download resource: no file was attached to resource %q (juju attach-resource)", name)
	}
	return path + "\n", nil
}

// credentialGet is Juju's answer to an application that was not granted
// trust: tandem deploys every application without `juju trust`, and runs
// no cloud whose credentials it could give.
func credentialGet(*Hook, []string, []byte) (string, error) {
	return "", fmt.Errorf("permission denied")
}
