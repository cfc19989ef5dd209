// Package charms prepares a charm author's own charm for a run: it reads
// a charm directory or unpacks a packed .charm, and gives it the Python
// environment charmcraft would (a packed charm's own venv, or for a charm
// directory its requirements installed with pip into a venv cached by
// their hash).
package charms

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/spec"
)

// Python is the interpreter charms run with: the system's, which the
// charm container sees at the same path (a venv points at it).
const Python = "/usr/bin/python3"

// Open reads the charm at path: a charm directory, or a packed .charm,
// unpacked into tandem's cache by its content's hash.
func Open(path string) (*spec.RealCharm, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot open charm %s: %w", path, err)
	}
	dir := abs
	if !st.IsDir() {
		if dir, err = unpack(abs); err != nil {
			return nil, err
		}
	}
	meta, err := spec.ReadCharmMeta(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "dispatch")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "hooks")); err != nil {
			return nil, fmt.Errorf("cannot use charm %s: it has neither dispatch nor hooks/ (pack it with charmcraft, or add charmcraft's dispatch script)", path)
		}
	}
	return &spec.RealCharm{Dir: dir, Meta: meta}, nil
}

// unpack extracts a .charm (a zip) once, into the cache.
func unpack(file string) (string, error) {
	sum, err := hashFile(file)
	if err != nil {
		return "", fmt.Errorf("cannot read charm %s: %w", file, err)
	}
	dir := filepath.Join(binaries.CacheDir(), "charms", sum[:16])
	if _, err := os.Stat(filepath.Join(dir, ".unpacked")); err == nil {
		return dir, nil
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		return "", fmt.Errorf("cannot unpack charm %s: it is not a zip file as charmcraft packs (%v)", file, err)
	}
	defer zr.Close()
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	for _, f := range zr.File {
		if err := extract(f, tmp); err != nil {
			os.RemoveAll(tmp)
			return "", fmt.Errorf("cannot unpack charm %s: %w", file, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".unpacked"), nil, 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}

func extract(f *zip.File, root string) error {
	target := filepath.Join(root, f.Name)
	if !strings.HasPrefix(target, filepath.Clean(root)+string(os.PathSeparator)) {
		return fmt.Errorf("%s leaves the charm", f.Name)
	}
	mode := f.Mode()
	if f.FileInfo().IsDir() {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if mode&os.ModeSymlink != 0 {
		dest, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		return os.Symlink(string(dest), target)
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm()|0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, rc)
	return err
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Venv returns the venv the charm runs with: its own venv/ (a packed
// charm), or one built from its requirements.txt with pip, cached by the
// requirements' hash and the Python's version. log gets one line when
// pip runs.
func Venv(ctx context.Context, c *spec.RealCharm, log io.Writer) (string, error) {
	own := filepath.Join(c.Dir, "venv")
	if st, err := os.Stat(own); err == nil && st.IsDir() {
		return own, packedVenv(ctx, c, own)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "requirements.txt")); err != nil {
		return "", fmt.Errorf("cannot build charm %s's Python environment: it has no venv/ and no requirements.txt (list its dependencies, ops among them, in requirements.txt)", c.Meta.Name)
	}
	return requirementsVenv(ctx, c, "requirements.txt", log)
}

// TestingVenv returns a venv with the charm's unit tests' requirements
// (its requirements-test.txt: ops[testing], pinned), built with pip and
// cached as Venv's.
func TestingVenv(ctx context.Context, c *spec.RealCharm, log io.Writer) (string, error) {
	if _, err := os.Stat(filepath.Join(c.Dir, "requirements-test.txt")); err != nil {
		return "", fmt.Errorf("cannot build charm %s's test environment: it has no requirements-test.txt (list ops[testing] there, pinned)", c.Meta.Name)
	}
	return requirementsVenv(ctx, c, "requirements-test.txt", log)
}

// requirementsVenv builds, once, a venv of the charm's requirements file
// name, cached by its hash and the Python's version.
func requirementsVenv(ctx context.Context, c *spec.RealCharm, name string, log io.Writer) (string, error) {
	reqs, err := os.ReadFile(filepath.Join(c.Dir, name))
	if err != nil {
		return "", fmt.Errorf("cannot read charm %s's %s: %w", c.Meta.Name, name, err)
	}
	python, err := pythonVersion(ctx, c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(reqs, python...))
	dir := filepath.Join(binaries.CacheDir(), "venvs", hex.EncodeToString(sum[:])[:16])
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	unlock, err := binaries.Lock(dir + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	fmt.Fprintf(log, "tandem: installing charm %s's %s into %s (once)\n", c.Meta.Name, name, dir)
	os.RemoveAll(dir)
	if out, err := exec.CommandContext(ctx, Python, "-m", "venv", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot make a venv for charm %s: %v: %s (install python3-venv: ./scripts/setup-local)", c.Meta.Name, err, lastLine(out))
	}
	pip := exec.CommandContext(ctx, filepath.Join(dir, "bin", "pip"), "install", "--disable-pip-version-check", "-q", "-r", filepath.Join(c.Dir, name))
	if out, err := pip.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cannot install charm %s's %s with pip: %s (pip must reach an index: set PIP_INDEX_URL, or pack the charm with its venv)", c.Meta.Name, name, lastLine(out))
	}
	return dir, os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
}

// packedVenv readies a charm's own venv as charmcraft's dispatch expects
// it: site-packages for this machine's Python, and venv/bin/python, which
// charmcraft leaves out (python-keep-bins: false) and dispatch links on
// first use. The link is made here, in tandem's unpacked copy, because
// the charm container sees the venv read-only.
func packedVenv(ctx context.Context, c *spec.RealCharm, venv string) error {
	want, err := pythonVersion(ctx, c)
	if err != nil {
		return err
	}
	libs, _ := filepath.Glob(filepath.Join(venv, "lib", "python3*"))
	found := len(libs) == 0 // a venv of no Python version is the charm's business
	var have []string
	for _, l := range libs {
		have = append(have, filepath.Base(l))
		found = found || filepath.Base(l) == want
	}
	if !found {
		return fmt.Errorf("cannot run charm %s: its venv is for %s and this machine's python3 is %s: pack it on a base with %s, or give tandem its charm directory", c.Meta.Name, strings.Join(have, ", "), want, want)
	}
	python := filepath.Join(venv, "bin", "python")
	if _, err := os.Lstat(python); err == nil {
		return nil
	}
	if !strings.HasPrefix(venv, binaries.CacheDir()+string(os.PathSeparator)) {
		return fmt.Errorf("cannot run charm %s: its venv has no bin/python, and tandem does not write into your charm directory (link it: ln -s %s %s)", c.Meta.Name, Python, python)
	}
	if err := os.MkdirAll(filepath.Dir(python), 0o755); err != nil {
		return err
	}
	// Checks run at once may each get here for the same charm: a link
	// another has just made is the same link.
	if err := os.Symlink(Python, python); err != nil && !os.IsExist(err) {
		return err
	}
	return nil
}

// pythonVersion is this machine's Python as a venv names its
// site-packages' directory ("python3.11"): a venv is for one version.
func pythonVersion(ctx context.Context, c *spec.RealCharm) (string, error) {
	out, err := exec.CommandContext(ctx, Python, "-c", "import sys; print('python%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return "", fmt.Errorf("cannot run %s for charm %s: %v (install python3: ./scripts/setup-local)", Python, c.Meta.Name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Variant lays out, in dst, the charm at reference with override (a
// Python module that subclasses its charm) beside its src/charm.py, and
// its dispatch running override instead: a charm made wrong in one way,
// for the tests of `tandem check` (fixtures/charms/broken).
func Variant(reference, override, dst string) error {
	if err := os.CopyFS(dst, os.DirFS(reference)); err != nil {
		return fmt.Errorf("cannot copy charm %s: %w", reference, err)
	}
	module := filepath.Base(override)
	data, err := os.ReadFile(override)
	if err != nil {
		return fmt.Errorf("cannot make a variant of %s: %w", reference, err)
	}
	if err := os.WriteFile(filepath.Join(dst, "src", module), data, 0o755); err != nil {
		return fmt.Errorf("cannot make a variant of %s: %w", reference, err)
	}
	dispatch := filepath.Join(dst, "dispatch")
	script, err := os.ReadFile(dispatch)
	if err != nil {
		return fmt.Errorf("cannot make a variant of %s: %w", reference, err)
	}
	if !strings.Contains(string(script), "src/charm.py") {
		return fmt.Errorf("cannot make a variant of %s: its dispatch does not run src/charm.py", reference)
	}
	return os.WriteFile(dispatch, []byte(strings.ReplaceAll(string(script), "src/charm.py", "src/"+module)), 0o755)
}
