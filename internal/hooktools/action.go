package hooktools

import (
	"fmt"
	"regexp"
	"strings"
)

func init() {
	tools["action-get"] = actionGet
	tools["action-set"] = actionSet
	tools["action-log"] = actionLog
	tools["action-fail"] = actionFail
}

// inAction is the error of an action tool run in a hook: Juju has the
// action tools only in an action's context.
func (h *Hook) inAction(tool string) error {
	if h.Action == nil {
		return fmt.Errorf("%s is only available in an action", tool)
	}
	return nil
}

func actionGet(h *Hook, argv []string, _ []byte) (string, error) {
	if err := h.inAction("action-get"); err != nil {
		return "", err
	}
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	if len(a.pos) == 0 {
		return format(a, h.Action.Params)
	}
	var v any = h.Action.Params
	for _, k := range strings.Split(a.pos[0], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			v = nil
			break
		}
		v = m[k]
	}
	return format(a, v)
}

// resultKey is what Juju accepts as an action-set key: lower-case
// letters, digits and dashes, dotted for nesting.
var resultKey = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$`)

func actionSet(h *Hook, argv []string, _ []byte) (string, error) {
	if err := h.inAction("action-set"); err != nil {
		return "", err
	}
	if len(argv) == 0 {
		return "", usage("no key=value pairs specified")
	}
	if h.Action.Results == nil {
		h.Action.Results = map[string]any{}
	}
	for _, kv := range argv {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !resultKey.MatchString(k) {
			return "", usage("key %q must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods", k)
		}
		into := h.Action.Results
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := into[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				into[p] = next
			}
			into = next
		}
		into[parts[len(parts)-1]] = v
	}
	return "", nil
}

func actionLog(h *Hook, argv []string, _ []byte) (string, error) {
	if err := h.inAction("action-log"); err != nil {
		return "", err
	}
	a, err := parseArgs(argv)
	if err != nil {
		return "", usage("%v", err)
	}
	h.Action.Logs = append(h.Action.Logs, strings.Join(a.pos, " "))
	return "", nil
}

func actionFail(h *Hook, argv []string, _ []byte) (string, error) {
	if err := h.inAction("action-fail"); err != nil {
		return "", err
	}
	a, err := parseArgs(argv)
	if err != nil {
		return "", usage("%v", err)
	}
	h.Action.Failed = true
	h.Action.Message = strings.Join(a.pos, " ")
	if h.Action.Message == "" {
		h.Action.Message = "action failed without reason given, check action for errors"
	}
	return "", nil
}
