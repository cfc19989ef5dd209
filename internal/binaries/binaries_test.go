package binaries

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPebbleVersionIsGoModsPin(t *testing.T) {
	src, err := SourceDir()
	require.NoError(t, err)
	v, err := PebbleVersion(src)
	require.NoError(t, err)
	require.Equal(t, "v1.26.0", v)
}

func TestSourceHashFollowsTheSources(t *testing.T) {
	src := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module x\n", "go.sum": "", "spec/a.go": "package spec\n", "spec/a_test.go": "package spec\n"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, name), []byte(content), 0o644))
	}
	h1, err := sourceHash(src, "spec")
	require.NoError(t, err)
	h2, _ := sourceHash(src, "spec")
	require.Equal(t, h1, h2)
	require.NoError(t, os.WriteFile(filepath.Join(src, "spec/a_test.go"), []byte("package spec // changed\n"), 0o644))
	h3, _ := sourceHash(src, "spec")
	require.Equal(t, h1, h3, "tests are not part of a binary")
	require.NoError(t, os.WriteFile(filepath.Join(src, "spec/a.go"), []byte("package spec // changed\n"), 0o644))
	h4, _ := sourceHash(src, "spec")
	require.NotEqual(t, h1, h4)
}

// TestFixtureSourcesCoverWhatTheFixturesImport: a package of ours that a
// fixture imports, left out of the hash, would leave a stale binary.
func TestFixtureSourcesCoverWhatTheFixturesImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../fixtures/...").Output()
	require.NoError(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		rel, ours := strings.CutPrefix(pkg, "github.com/tandem-harness/tandem/")
		if !ours {
			continue
		}
		covered := false
		for _, dir := range fixtureSources {
			covered = covered || rel == dir || strings.HasPrefix(rel, dir+"/")
		}
		require.True(t, covered, "the fixtures import %s, which fixtureSources does not hash", rel)
	}
}
