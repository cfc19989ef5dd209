package realpod

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// UsrLinks are the merged-/usr links a Debian root has: a charm
// container whose Python is this machine's, under /usr, has them (local's
// and sim's).
var UsrLinks = map[string]string{"/bin": "usr/bin", "/sbin": "usr/sbin", "/lib": "usr/lib", "/lib64": "usr/lib64"}

// LayCharm copies a charm of your own into a new pod's charm-data, as
// Juju downloads it there, for a substrate without a charm image (local,
// sim): jujuRoot is the host directory mounted at /var/lib/juju. The
// charm's venv/ is left an empty mount point: the venv built here is
// bound over it read-only. Attached file resources go beside the charm.
func LayCharm(cs *spec.CharmSpec, id spec.UnitID, jujuRoot string) error {
	dir := filepath.Join(jujuRoot, spec.UnitDir(cs.App, id), "charm")
	if err := os.CopyFS(dir, withoutVenv{os.DirFS(cs.Charm.Dir)}); err != nil {
		return fmt.Errorf("cannot copy the charm into %s's pod: %w", id, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "venv"), 0o755); err != nil {
		return err
	}
	for name, src := range cs.Charm.Resources {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
		dst := filepath.Join(jujuRoot, strings.TrimPrefix(ResourcePath(cs.App, id, name, src), spec.JujuDir))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("cannot attach resource %q: %w", name, err)
		}
	}
	return nil
}

// withoutVenv is a charm's files but its venv/, which is bound, not
// copied: a packed charm's is most of it.
type withoutVenv struct{ fs.FS }

func (f withoutVenv) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(f.FS, name)
	if name == "." {
		entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == "venv" })
	}
	return entries, err
}
