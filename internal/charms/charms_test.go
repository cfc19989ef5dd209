package charms

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// packCharm writes a .charm as charmcraft packs one: metadata, dispatch,
// src and a venv without bin/.
func packCharm(t *testing.T, pyLib string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo_amd64.charm")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	files := [][2]string{
		{"metadata.yaml", "name: demo\ncontainers:\n  app:\n    resource: app-image\n"},
		{"dispatch", "#!/bin/sh\nexit 0\n"},
		{"src/charm.py", "print('hi')\n"},
		{"venv/lib/" + pyLib + "/site-packages/ops/__init__.py", ""},
	}
	for _, file := range files {
		name, content := file[0], file[1]
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = io.WriteString(w, content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path
}

func hostPython(t *testing.T) string {
	out, err := exec.Command(Python, "-c", "import sys; print('python%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Skipf("no %s here", Python)
	}
	return strings.TrimSpace(string(out))
}

func TestAPackedCharmIsUnpackedOnceAndItsVenvLinked(t *testing.T) {
	t.Setenv("TANDEM_CACHE", t.TempDir())
	py := hostPython(t)
	c, err := Open(packCharm(t, py))
	require.NoError(t, err)
	require.Equal(t, "demo", c.Meta.Name)
	require.Contains(t, c.Meta.Containers, "app")
	venv, err := Venv(context.Background(), c, io.Discard)
	require.NoError(t, err)
	target, err := os.Readlink(filepath.Join(venv, "bin", "python"))
	require.NoError(t, err)
	require.Equal(t, Python, target)
	again, err := Open(packCharm(t, py))
	require.NoError(t, err)
	require.Equal(t, c.Dir, again.Dir, "the same content unpacks to the same place")
}

func TestAPackedVenvForAnotherPythonIsRefused(t *testing.T) {
	t.Setenv("TANDEM_CACHE", t.TempDir())
	hostPython(t)
	c, err := Open(packCharm(t, "python3.2"))
	require.NoError(t, err)
	_, err = Venv(context.Background(), c, io.Discard)
	require.ErrorContains(t, err, "its venv is for python3.2")
}

func TestADirectoryThatIsNoCharmSaysSo(t *testing.T) {
	_, err := Open(t.TempDir())
	require.ErrorContains(t, err, "neither metadata.yaml nor charmcraft.yaml")
}
