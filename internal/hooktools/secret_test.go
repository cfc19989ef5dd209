package hooktools

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

func call(t *testing.T, h *Hook, tool string, args ...string) string {
	t.Helper()
	res := h.Call(tool, args, nil)
	require.Zero(t, res.Code, "%s %v: %s", tool, args, res.Stderr)
	return res.Stdout
}

// The life of an application's secret, as ops drives it: added with its
// content passed as files, read by id and by label, changed twice in one
// hook (one revision), granted and revoked, then removed.
func TestASecretsLifeAsOpsDrivesIt(t *testing.T) {
	s, h := newHook(true)
	b64 := base64.StdEncoding.EncodeToString([]byte("s3cr3t"))
	id := strings.TrimSpace(call(t, h, "secret-add", "--label", "db-pass", "--owner", "application", "password#base64="+b64))
	require.Regexp(t, `^secret:[0-9a-v]{20}$`, id)
	require.Equal(t, `{"password":"s3cr3t"}`+"\n", call(t, h, "secret-get", "--format=json", id))
	require.Equal(t, `{"password":"s3cr3t"}`+"\n", call(t, h, "secret-get", "--format=json", "--label", "db-pass"))
	h.Commit()

	h = s.Begin("config-changed", nil, NoRelation, "")
	call(t, h, "secret-set", "--owner", "application", id, "password=one")
	call(t, h, "secret-set", "--owner", "application", "--description", "the db's", id, "password=two")
	var info map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(call(t, h, "secret-info-get", "--format=json", "--label", "db-pass")), &info))
	xid := strings.TrimPrefix(id, "secret:")
	require.Equal(t, map[string]any{"revision": float64(2), "owner": "application", "label": "db-pass", "description": "the db's"}, info[xid])
	call(t, h, "secret-grant", "--relation", "3", "--unit", "pg/0", id)
	h.Commit()
	u := s.Snapshot()
	require.Len(t, u.Secrets, 1)
	require.Equal(t, []spec.SecretRevision{{Revision: 1, Content: map[string]string{"password": "s3cr3t"}},
		{Revision: 2, Content: map[string]string{"password": "two"}}}, u.Secrets[0].Revisions)
	require.Equal(t, []spec.SecretGrant{{Relation: 3, Unit: "pg/0"}}, u.Secrets[0].Grants)

	h = s.Begin("update-status", nil, NoRelation, "")
	require.Equal(t, `["`+id+`"]`+"\n", call(t, h, "secret-ids", "--format=json"))
	call(t, h, "secret-revoke", "--relation", "3", id)
	call(t, h, "secret-remove", id, "--revision", "1")
	h.Commit()
	require.Empty(t, s.Snapshot().Secrets[0].Grants)
	require.Len(t, s.Snapshot().Secrets[0].Revisions, 1)
	h = s.Begin("update-status", nil, NoRelation, "")
	call(t, h, "secret-remove", id)
	h.Commit()
	require.Empty(t, s.Snapshot().Secrets)
}

// What Juju refuses: a follower managing the application's secrets, a
// label used twice, a bad key, an unknown id. Refused calls exit 1 with
// the error ops turns into SecretNotFoundError or ModelError.
func TestSecretsRefuseAsJujuDoes(t *testing.T) {
	s, h := newHook(true)
	id := strings.TrimSpace(call(t, h, "secret-add", "--label", "l", "key-1=v"))
	h.Commit()

	follower := NewStore(s.Snapshot())
	follower.Update(func(u *spec.UnitState) { u.Leader = false })
	f := follower.Begin("update-status", nil, NoRelation, "")
	for _, c := range []struct {
		tool string
		args []string
		want string
	}{
		{"secret-add", []string{"key=v"}, "not the leader"},
		{"secret-set", []string{id, "key=w"}, "permission denied"},
		{"secret-info-get", []string{id}, "permission denied"},
		{"secret-get", []string{"secret:aaaaaaaaaaaaaaaaaaaa"}, "not found"},
	} {
		res := f.Call(c.tool, c.args, nil)
		require.Equal(t, 1, res.Code, "%s %v", c.tool, c.args)
		require.Contains(t, res.Stderr, c.want, "%s %v", c.tool, c.args)
	}
	// A follower reads its application's secret, and owns its unit's.
	require.Equal(t, `{"key-1":"v"}`+"\n", call(t, f, "secret-get", "--format=json", id))
	call(t, f, "secret-add", "--owner", "unit", "mine=x")

	h = s.Begin("update-status", nil, NoRelation, "")
	for _, args := range [][]string{{"--label", "l", "key=v"}, {"BadKey=v"}, {"ab=v"}, {}} {
		res := h.Call("secret-add", args, nil)
		require.NotZero(t, res.Code, "%v", args)
	}
	// A failed hook's secrets die with it.
	call(t, h, "secret-add", "gone=v")
	h.Discard()
	require.Len(t, s.Snapshot().Secrets, 1)
}

// An expiry given as a duration is kept as the time it ends, which ops
// parses as RFC 3339; a secret whose last revision is removed is gone.
func TestSecretExpiryAndLastRevision(t *testing.T) {
	s, h := newHook(true)
	id := strings.TrimSpace(call(t, h, "secret-add", "--expire", "1h", "key=v"))
	var info map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(call(t, h, "secret-info-get", "--format=json", id)), &info))
	_, err := time.Parse(time.RFC3339, info[strings.TrimPrefix(id, "secret:")]["expiry"].(string))
	require.NoError(t, err)
	require.Equal(t, 2, h.Call("secret-add", []string{"--expire", "soon", "key=v"}, nil).Code)
	call(t, h, "secret-remove", id, "--revision", "1")
	h.Commit()
	require.Empty(t, s.Snapshot().Secrets)
}
