package images

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonSuiteIsTheVenvsVersion(t *testing.T) {
	venv := t.TempDir()
	os.MkdirAll(filepath.Join(venv, "lib", "python3.11", "site-packages"), 0o755)
	if s, err := PythonSuite(venv); err != nil || s != "bookworm" {
		t.Fatalf("PythonSuite = %q, %v; want bookworm", s, err)
	}
	other := t.TempDir()
	os.MkdirAll(filepath.Join(other, "lib", "python3.12"), 0o755)
	_, err := PythonSuite(other)
	if err == nil || !strings.Contains(err.Error(), "python3.12") || !strings.Contains(err.Error(), "python3.11 (bookworm)") {
		t.Fatalf("a venv for python3.12: err = %v; want one naming it and what Debian has", err)
	}
}

// The tag follows the charm's content, and not what Python writes as it
// runs.
func TestTheCharmImagesHashFollowsItsContent(t *testing.T) {
	charm, venv := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(charm, "src"), 0o755)
	os.WriteFile(filepath.Join(charm, "src", "charm.py"), []byte("print(1)\n"), 0o755)
	os.MkdirAll(filepath.Join(venv, "bin"), 0o755)
	os.Symlink("/usr/bin/python3", filepath.Join(venv, "bin", "python"))
	hash := func() [32]byte {
		h := sha256.New()
		if err := (charmContext{base: "b", charm: charm, venv: venv}).write(h, true); err != nil {
			t.Fatal(err)
		}
		var out [32]byte
		copy(out[:], h.Sum(nil))
		return out
	}
	first := hash()
	os.MkdirAll(filepath.Join(charm, "src", "__pycache__"), 0o755)
	os.WriteFile(filepath.Join(charm, "src", "__pycache__", "charm.pyc"), []byte("x"), 0o644)
	if hash() != first {
		t.Fatal("a __pycache__ changed the hash")
	}
	os.WriteFile(filepath.Join(charm, "src", "charm.py"), []byte("print(2)\n"), 0o755)
	if hash() == first {
		t.Fatal("a changed charm.py left the hash as it was")
	}
	var tarball bytes.Buffer
	if err := (charmContext{base: "b", charm: charm, venv: venv}).write(&tarball, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"charm/src/charm.py", "charm/venv/bin/python", "/usr/bin/python3", "Dockerfile"} {
		if !bytes.Contains(tarball.Bytes(), []byte(want)) {
			t.Errorf("the build context lacks %q", want)
		}
	}
}
