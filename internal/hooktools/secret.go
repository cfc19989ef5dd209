package hooktools

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Secrets, as Juju 3.6 gives them to the charm that owns them
// (JUJU-CONTRACT.md §2.2): an application's secret is the leader's to
// change, a unit's its own; what a hook adds or changes is kept only if
// the hook succeeds, and several secret-set calls in one hook make one
// new revision (Juju 3.6 coalesces them). Secrets other applications
// grant to the charm are not modelled: their ids are not found.

func init() {
	tools["secret-add"] = secretAdd
	tools["secret-get"] = secretGet
	tools["secret-info-get"] = secretInfoGet
	tools["secret-set"] = secretSet
	tools["secret-grant"] = secretGrant
	tools["secret-revoke"] = secretRevoke
	tools["secret-remove"] = secretRemove
	tools["secret-ids"] = secretIDs
}

// secretFlags are the valued flags secret-add and secret-set take.
var secretFlags = []string{"label", "description", "expire", "rotate", "owner"}

// secretKey is Juju's rule for a content key (coreSecrets.validateKey).
var secretKey = regexp.MustCompile(`^([a-z](?:-?[a-z0-9]){2,})$`)

func secretAdd(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv, secretFlags...)
	if err != nil {
		return "", usage("%v", err)
	}
	content, err := secretContent(a.pos)
	if err != nil {
		return "", err
	}
	if len(content) == 0 {
		return "", usage("missing secret value")
	}
	owner := a.get("owner")
	if owner == "" {
		owner = "application"
	}
	if owner != "application" && owner != "unit" {
		return "", usage("secret owner %q not valid", owner)
	}
	if owner == "application" && !h.u.Leader {
		return "", fmt.Errorf("cannot add a secret owned by the application: this unit is not the leader")
	}
	label := a.get("label")
	if label != "" && h.secretByLabel(label) != nil {
		return "", fmt.Errorf("secret with label %q already exists", label)
	}
	expire, err := expiry(a.get("expire"))
	if err != nil {
		return "", err
	}
	s := spec.Secret{ID: "secret:" + newXID(), Owner: owner, Label: label, Description: a.get("description"),
		Expire: expire, Rotate: a.get("rotate"),
		Revisions: []spec.SecretRevision{{Revision: 1, Content: content}}}
	h.u.Secrets = append(h.u.Secrets, s)
	h.revised(s.ID)
	return s.ID + "\n", nil
}

func secretGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv, "label")
	if err != nil {
		return "", err
	}
	s, err := h.findSecret(a)
	if err != nil {
		return "", err
	}
	if label := a.get("label"); len(a.pos) == 1 && label != "" && label != s.Label {
		if other := h.secretByLabel(label); other != nil {
			return "", fmt.Errorf("secret with label %q already exists", label)
		}
		s.Label = label
	}
	return format(a, s.Latest().Content)
}

func secretInfoGet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv, "label")
	if err != nil {
		return "", err
	}
	if len(a.pos) == 1 && a.has("label") {
		return "", usage("specify either a secret URI or label but not both")
	}
	s, err := h.findSecret(a)
	if err == nil {
		s, err = h.managed(s)
	}
	if err != nil {
		return "", err
	}
	info := map[string]any{"revision": s.Latest().Revision, "owner": s.Owner}
	for k, v := range map[string]string{"label": s.Label, "description": s.Description, "expiry": s.Expire, "rotation": s.Rotate} {
		if v != "" {
			info[k] = v
		}
	}
	return format(a, map[string]any{strings.TrimPrefix(s.ID, "secret:"): info})
}

func secretSet(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv, secretFlags...)
	if err != nil {
		return "", usage("%v", err)
	}
	if len(a.pos) == 0 {
		return "", usage("missing secret URI")
	}
	s, err := h.ownSecret(a.pos[0])
	if err != nil {
		return "", err
	}
	content, err := secretContent(a.pos[1:])
	if err != nil {
		return "", err
	}
	if label := a.get("label"); label != "" && label != s.Label {
		if h.secretByLabel(label) != nil {
			return "", fmt.Errorf("secret with label %q already exists", label)
		}
		s.Label = label
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{"description", &s.Description}, {"rotate", &s.Rotate}} {
		if a.has(f.name) {
			*f.to = a.get(f.name)
		}
	}
	if a.has("expire") {
		if s.Expire, err = expiry(a.get("expire")); err != nil {
			return "", err
		}
	}
	if len(content) == 0 {
		return "", nil
	}
	if h.revisedHere[s.ID] {
		s.Revisions[len(s.Revisions)-1].Content = content
	} else {
		s.Revisions = append(s.Revisions, spec.SecretRevision{Revision: s.Latest().Revision + 1, Content: content})
		h.revised(s.ID)
	}
	return "", nil
}

func secretGrant(h *Hook, argv []string, _ []byte) (string, error) {
	s, rel, unit, err := h.grantArgs(argv)
	if err != nil {
		return "", err
	}
	if rel == nil {
		return "", usage("missing relation")
	}
	g := spec.SecretGrant{Relation: rel.ID, Unit: unit}
	if !slices.Contains(s.Grants, g) {
		s.Grants = append(s.Grants, g)
	}
	return "", nil
}

func secretRevoke(h *Hook, argv []string, _ []byte) (string, error) {
	s, rel, unit, err := h.grantArgs(argv)
	if err != nil {
		return "", err
	}
	s.Grants = slices.DeleteFunc(s.Grants, func(g spec.SecretGrant) bool {
		return (rel == nil || g.Relation == rel.ID) && (unit == "" || g.Unit == unit)
	})
	return "", nil
}

func secretRemove(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := parseArgs(argv, "revision")
	if err != nil {
		return "", usage("%v", err)
	}
	if len(a.pos) != 1 {
		return "", usage("missing secret URI")
	}
	s, err := h.ownSecret(a.pos[0])
	if err != nil {
		return "", err
	}
	if !a.has("revision") {
		h.u.Secrets = slices.DeleteFunc(h.u.Secrets, func(x spec.Secret) bool { return x.ID == s.ID })
		return "", nil
	}
	rev, err := strconv.Atoi(a.get("revision"))
	if err != nil {
		return "", usage("invalid revision %q", a.get("revision"))
	}
	i := slices.IndexFunc(s.Revisions, func(r spec.SecretRevision) bool { return r.Revision == rev })
	if i < 0 {
		return "", fmt.Errorf("secret revision %d for %q not found", rev, s.ID)
	}
	s.Revisions = slices.Delete(s.Revisions, i, i+1)
	if len(s.Revisions) == 0 {
		// Its last revision gone, the secret is.
		id := s.ID
		h.u.Secrets = slices.DeleteFunc(h.u.Secrets, func(x spec.Secret) bool { return x.ID == id })
	}
	return "", nil
}

func secretIDs(h *Hook, argv []string, _ []byte) (string, error) {
	a, err := formatArgs(argv)
	if err != nil {
		return "", err
	}
	ids := []string{}
	for _, s := range h.u.Secrets {
		if h.canManage(s) {
			ids = append(ids, s.ID)
		}
	}
	if f := a.get("format"); f == "" || f == "smart" {
		return strings.Join(ids, "\n") + "\n", nil
	}
	return format(a, ids)
}

// expiry is --expire as Juju keeps it: a time (RFC 3339), or a duration
// from now.
func expiry(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(d).UTC().Format(time.RFC3339), nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return "", usage("invalid expiry %q: want a duration (1h) or an RFC 3339 time", v)
	}
	return v, nil
}

// secretContent reads content arguments: key=value, key#base64=VALUE (as
// the multi-call binary passes key#file=PATH).
func secretContent(pos []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pos {
		key, value, ok := strings.Cut(p, "=")
		if !ok {
			return nil, usage("invalid key value %q", p)
		}
		if k, enc, found := strings.Cut(key, "#"); found {
			if enc != "base64" {
				return nil, usage("invalid key %q", key)
			}
			data, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				return nil, usage("invalid base64 value for key %q", k)
			}
			key, value = k, string(data)
		}
		if !secretKey.MatchString(key) {
			return nil, usage("key %q not valid", key)
		}
		out[key] = value
	}
	return out, nil
}

// findSecret is the secret a call names, by URI or label.
func (h *Hook) findSecret(a args) (*spec.Secret, error) {
	var s *spec.Secret
	switch {
	case len(a.pos) == 1:
		s = h.secretByID(a.pos[0])
		if s == nil {
			return nil, fmt.Errorf("secret %q not found", a.pos[0])
		}
	case len(a.pos) > 1:
		return nil, usage("unrecognized args: %q", a.pos[1:])
	case a.get("label") != "":
		s = h.secretByLabel(a.get("label"))
		if s == nil {
			return nil, fmt.Errorf("secret with label %q not found", a.get("label"))
		}
	default:
		return nil, usage("require either a secret URI or label")
	}
	return s, nil
}

// ownSecret is a secret, by URI, that this unit may change.
func (h *Hook) ownSecret(ref string) (*spec.Secret, error) {
	s := h.secretByID(ref)
	if s == nil {
		return nil, fmt.Errorf("secret %q not found", ref)
	}
	return h.managed(s)
}

// managed is s if this unit manages it (changes it, reads its metadata):
// its own secrets, and as leader its application's.
func (h *Hook) managed(s *spec.Secret) (*spec.Secret, error) {
	if !h.canManage(*s) {
		return nil, fmt.Errorf("permission denied: %s is the application's, and this unit is not the leader", s.ID)
	}
	return s, nil
}

// grantArgs reads secret-grant's and secret-revoke's arguments.
func (h *Hook) grantArgs(argv []string) (*spec.Secret, *Relation, string, error) {
	a, err := parseArgs(argv, "relation", "r", "unit", "app")
	if err != nil {
		return nil, nil, "", usage("%v", err)
	}
	if len(a.pos) != 1 {
		return nil, nil, "", usage("missing secret URI")
	}
	s, err := h.ownSecret(a.pos[0])
	if err != nil {
		return nil, nil, "", err
	}
	var rel *Relation
	if ref := a.get("relation", "r"); ref != "" {
		if rel, err = h.relation(ref); err != nil {
			return nil, nil, "", err
		}
	}
	unit := a.get("unit")
	if unit != "" && (rel == nil || !slices.Contains(rel.Units, unit)) {
		return nil, nil, "", fmt.Errorf("unit %q is not in the relation", unit)
	}
	return s, rel, unit, nil
}

func (h *Hook) canManage(s spec.Secret) bool { return s.Owner == "unit" || h.u.Leader }

// secretByID takes any form ops passes: "secret:xid",
// "secret://model/xid", or the bare xid.
func (h *Hook) secretByID(ref string) *spec.Secret {
	xid := ref[strings.LastIndexAny(ref, ":/")+1:]
	for i := range h.u.Secrets {
		if strings.TrimPrefix(h.u.Secrets[i].ID, "secret:") == xid {
			return &h.u.Secrets[i]
		}
	}
	return nil
}

func (h *Hook) secretByLabel(label string) *spec.Secret {
	for i := range h.u.Secrets {
		if h.u.Secrets[i].Label == label {
			return &h.u.Secrets[i]
		}
	}
	return nil
}

// revised notes that this hook made the secret's newest revision, so a
// later secret-set in the hook changes it rather than adding another.
func (h *Hook) revised(id string) {
	if h.revisedHere == nil {
		h.revisedHere = map[string]bool{}
	}
	h.revisedHere[id] = true
}

// xidAlphabet is the one Juju's secret ids (rs/xid) are written in.
var xidAlphabet = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newXID is a secret id of Juju's shape: 12 bytes, 20 characters.
func newXID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return xidAlphabet.EncodeToString(b)
}

func cloneSecrets(in []spec.Secret) []spec.Secret {
	out := slices.Clone(in)
	for i := range out {
		out[i].Grants = slices.Clone(out[i].Grants)
		out[i].Revisions = slices.Clone(out[i].Revisions)
		for j := range out[i].Revisions {
			out[i].Revisions[j].Content = maps.Clone(out[i].Revisions[j].Content)
		}
	}
	return out
}
