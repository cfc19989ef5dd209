package simulator

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func userSpec() *spec.CharmSpec {
	cs := oneContainer()
	cs.Containers[0].Files = map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
		"/etc/group":  "root:x:0:\nalice:x:1000:\nstaff:x:50:\n",
	}
	return cs
}

func TestWriteSingle(t *testing.T) {
	rules(t, "R7.1", "R7.4")
	h := newHarness(t, testProfile(), userSpec())
	require.NoError(t, h.c.Push(&client.PushOptions{Path: "/etc/app.conf", Source: stringsReader("port: 1\n")}))
	st, err := h.m.ReadFile(h.u.id, "app", "/etc/app.conf")
	require.NoError(t, err)
	require.Equal(t, spec.FileState{Path: "/etc/app.conf", Content: "port: 1\n", Mode: "644", User: "root", Group: "root"}, st)
	require.NoError(t, h.c.Push(&client.PushOptions{Path: "/etc/secret", Source: stringsReader("s"), Permissions: 0o600, User: "alice"}))
	st, _ = h.m.ReadFile(h.u.id, "app", "/etc/secret")
	require.Equal(t, "600", st.Mode)
	require.Equal(t, "alice", st.User)
	require.Equal(t, "alice", st.Group, "a user alone takes its primary group")
}

func TestMakeDirs(t *testing.T) {
	rules(t, "R7.1", "R7.2")
	h := newHarness(t, testProfile(), userSpec())
	require.NoError(t, h.c.Push(&client.PushOptions{Path: "/srv/a/b/f", Source: stringsReader("x"), MakeDirs: true, User: "alice", Group: "staff"}))
	for _, dir := range []string{"/srv/a", "/srv/a/b"} {
		st, _ := h.m.ReadFile(h.u.id, "app", dir)
		require.Equal(t, "755", st.Mode, dir)
		require.Equal(t, "alice", st.User, dir)
		require.Equal(t, "staff", st.Group, dir)
	}
	require.NoError(t, h.c.MakeDir(&client.MakeDirOptions{Path: "/data/x/y", MakeParents: true, Permissions: 0o700}))
	st, _ := h.m.ReadFile(h.u.id, "app", "/data/x/y")
	require.Equal(t, "700", st.Mode)
}

func TestWriteErrors(t *testing.T) {
	rules(t, "R7.1", "R7.3")
	h := newHarness(t, testProfile(), userSpec())
	kind := func(err error) string {
		var ce *client.Error
		require.True(t, errors.As(err, &ce), "%v", err)
		return ce.Kind
	}
	err := h.c.Push(&client.PushOptions{Path: "/no/such/dir/f", Source: stringsReader("x")})
	require.Equal(t, client.ErrorKindNotFound, kind(err))
	err = h.c.Push(&client.PushOptions{Path: "relative", Source: stringsReader("x")})
	require.Equal(t, client.ErrorKindGenericFileError, kind(err))
	require.Contains(t, err.Error(), `paths must be absolute, got "relative"`)
	err = h.c.Push(&client.PushOptions{Path: "/f", Source: stringsReader("x"), User: "mallory"})
	require.Contains(t, err.Error(), "unknown user mallory")
	_, err = h.m.Unit(h.u.id)
	require.NoError(t, err)
	err = h.c.Pull(&client.PullOptions{Path: "/nope", Target: &bytes.Buffer{}})
	require.Equal(t, client.ErrorKindNotFound, kind(err))
	err = h.c.RemovePath(&client.RemovePathOptions{Path: "/nope"})
	require.Equal(t, client.ErrorKindNotFound, kind(err))
	require.NoError(t, h.c.MakeDir(&client.MakeDirOptions{Path: "/full"}))
	require.NoError(t, h.c.Push(&client.PushOptions{Path: "/full/f", Source: stringsReader("x")}))
	err = h.c.RemovePath(&client.RemovePathOptions{Path: "/full"})
	require.Equal(t, client.ErrorKindGenericFileError, kind(err), "not empty and not recursive")
	_, err = parsePerm("7777", 0)
	require.Error(t, err, "permissions are 3 octal digits")
}

func TestListPullRemove(t *testing.T) {
	rules(t, "R7.2")
	h := newHarness(t, testProfile(), userSpec())
	for _, p := range []string{"/d/a.txt", "/d/b.txt", "/d/c.log"} {
		require.NoError(t, h.c.Push(&client.PushOptions{Path: p, Source: stringsReader(p), MakeDirs: true}))
	}
	all, err := h.c.ListFiles(&client.ListFilesOptions{Path: "/d"})
	require.NoError(t, err)
	require.Len(t, all, 3)
	txt, err := h.c.ListFiles(&client.ListFilesOptions{Path: "/d", Pattern: "*.txt"})
	require.NoError(t, err)
	require.Equal(t, "/d/a.txt", txt[0].Path)
	require.Len(t, txt, 2)
	self, err := h.c.ListFiles(&client.ListFilesOptions{Path: "/d", Itself: true})
	require.NoError(t, err)
	require.Len(t, self, 1)
	require.True(t, self[0].Mode&os.ModeDir != 0)
	got, err := spec.ReadAll(h.c, "/d/c.log")
	require.NoError(t, err)
	require.Equal(t, "/d/c.log", got)
	require.NoError(t, h.c.RemovePath(&client.RemovePathOptions{Path: "/d", Recursive: true}))
	_, err = h.c.ListFiles(&client.ListFilesOptions{Path: "/d"})
	require.Error(t, err)
}

func TestFilesLandInTheirOwnContainer(t *testing.T) {
	rules(t, "R7.4", "R3.2")
	cs := &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "a"}, {Name: "b"}}}
	h := newHarness(t, testProfile(), cs)
	a, b := h.u.Client("a"), h.u.Client("b")
	require.NoError(t, a.Push(&client.PushOptions{Path: "/etc/only-a", Source: stringsReader("a")}))
	require.NoError(t, a.Push(&client.PushOptions{Path: spec.WorkloadSharedDir + "/kept", Source: stringsReader("k")}))
	_, err := spec.ReadAll(b, "/etc/only-a")
	require.Error(t, err, "b has its own filesystem")
	require.NoError(t, h.m.KillContainer(h.u.id, "a"))
	h.sleep(100 * 1e6)
	_, err = spec.ReadAll(a, "/etc/only-a")
	require.Error(t, err, "the container's own writes are lost with it")
	got, err := spec.ReadAll(a, spec.WorkloadSharedDir+"/kept")
	require.NoError(t, err, "the shared volume outlives the container")
	require.Equal(t, "k", got)
}

func TestExecArgvIsNotResplit(t *testing.T) {
	h := newHarness(t, testProfile(), oneContainer())
	res, err := h.c.Run([]string{tool, "--exit-after=0s", "--print=it's here"}, 0)
	require.NoError(t, err, "an argument holding a quote is one word, as Pebble's exec takes it")
	require.Equal(t, "it's here", res.Stdout)
}
