package images

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// CharmStage is where a charm's image holds the charm and its venv. The
// agent copies it into the charm dir on the pod's charm-data volume when
// that has none, as Juju's unit agent downloads the charm into a new pod.
const CharmStage = "/opt/tandem/charm"

// ResourceStage is where a charm's image holds its attached file
// resources, each at <name>/<file>: the agent copies them onto a new
// pod's charm-data, as Juju's unit agent downloads them.
const ResourceStage = "/opt/tandem/resources"

// PythonSuites are the Debian suites whose python3 is each minor version.
// A venv is for one minor version, and Juju runs the charm on its base's
// python3: the charm container gets Debian's at the venv's version.
var PythonSuites = map[string]string{"python3.9": "bullseye", "python3.11": "bookworm", "python3.13": "trixie"}

// PythonSuite is the Debian suite whose python3 a venv is for.
func PythonSuite(venv string) (string, error) {
	libs, _ := filepath.Glob(filepath.Join(venv, "lib", "python3*"))
	if len(libs) != 1 {
		return "", fmt.Errorf("cannot tell which Python the venv %s is for: it has %d lib/python3.* directories, not 1", venv, len(libs))
	}
	version := filepath.Base(libs[0])
	suite, ok := PythonSuites[version]
	if !ok {
		var have []string
		for v, s := range PythonSuites {
			have = append(have, v+" ("+s+")")
		}
		sort.Strings(have)
		return "", fmt.Errorf("cannot build a charm container for a venv of %s: Debian has python3 only at %s; build the charm's venv with one of them", version, strings.Join(have, ", "))
	}
	return suite, nil
}

// CharmRepository is the repository of charm name's charm container
// images (CharmImage tags them by their content's hash).
func CharmRepository(name string) string { return "tandem/charm-" + imageName(strings.ToLower(name)) }

// CharmImage is the charm container's image for the charm of your own
// named name: Debian's python3 at the venv's version, the charm dir with
// venv as its venv/ at CharmStage, its attached file resources (name ->
// file) under ResourceStage, and the layer that runs the agent. It is
// built once per content (tagged by its hash). log gets a line when it
// builds.
func CharmImage(ctx context.Context, log io.Writer, name, charmDir, venv string, resources map[string]string) (string, error) {
	suite, err := PythonSuite(venv)
	if err != nil {
		return "", err
	}
	base, err := buildDebian(ctx, log, "python3-"+suite, suite, "python3", "/usr/bin/python3")
	if err != nil {
		return "", err
	}
	c := charmContext{base: base, charm: charmDir, venv: venv, resources: resources}
	h := sha256.New()
	if err := c.write(h, true); err != nil {
		return "", fmt.Errorf("cannot read charm %s: %w", charmDir, err)
	}
	tag := CharmRepository(name) + ":" + hex.EncodeToString(h.Sum(nil))[:12]
	if Exists(ctx, tag) {
		return tag, nil
	}
	fmt.Fprintf(log, "tandem: building image %s (the charm container for %s)\n", tag, charmDir)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(c.write(pw, false)) }()
	build := exec.CommandContext(ctx, "docker", "build", "--network", "none", "-t", tag, "-")
	build.Stdin = pr
	out, err := build.CombinedOutput()
	pr.Close()
	if err != nil {
		return "", fmt.Errorf("cannot build image %s: %v: %s", tag, err, lastLines(out, 2000))
	}
	return tag, nil
}

// imageName keeps what Docker allows in a repository name.
func imageName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '-'
	}, s)
	return strings.Trim(s, "-._")
}

func lastLines(out []byte, n int) string {
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return string(out)
}

// charmContext is a charm image's build context, written as a tar stream.
type charmContext struct {
	base, charm, venv string
	resources         map[string]string // name -> file
}

// write writes the context as tar to w; hashOnly writes, for the tag,
// what the tar would hold without its framing.
func (c charmContext) write(w io.Writer, hashOnly bool) error {
	var tw *tar.Writer
	if !hashOnly {
		tw = tar.NewWriter(w)
	}
	put := func(name string, mode int64, data []byte) error {
		if hashOnly {
			fmt.Fprintf(w, "%s %o %d\n", name, mode, len(data))
			_, err := w.Write(data)
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	dockerfile := "FROM " + c.base + "\nCOPY rootfs/ /\nCOPY charm/ " + CharmStage + "/\n"
	if len(c.resources) > 0 {
		dockerfile += "COPY resources/ " + ResourceStage + "/\n"
	}
	if err := put("Dockerfile", 0o644, []byte(dockerfile)); err != nil {
		return err
	}
	if err := put("rootfs"+spec.PebbleCopyOnceDir+"/layers/001-charm-agent.yaml", 0o644, []byte(CharmAgentLayer)); err != nil {
		return err
	}
	ownVenv := filepath.Join(c.charm, "venv")
	if err := addTree(w, tw, c.charm, "charm", func(rel string) bool { return rel == "venv" && c.venv != ownVenv }); err != nil {
		return err
	}
	if c.venv != ownVenv {
		if err := addTree(w, tw, c.venv, "charm/venv", func(string) bool { return false }); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.resources)) {
		src := c.resources[name]
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("cannot read resource %q: %w", name, err)
		}
		if err := put(path.Join("resources", name, filepath.Base(src)), 0o644, data); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Close()
	}
	return nil
}

// skipped are what a charm's image never needs: Python's caches (written
// as it runs, so they would change the tag) and version control.
var skipped = []string{"__pycache__", ".git", ".tox", ".pytest_cache"}

// addTree adds root's files under prefix, in a fixed order, symlinks as
// links (a venv's bin/python points at the image's python3); tw nil
// writes them for the hash to h.
func addTree(h io.Writer, tw *tar.Writer, root, prefix string, skip func(rel string) bool) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel != "." && (slices.Contains(skipped, d.Name()) || skip(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // sockets, fifos: nothing a charm ships
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(filepath.Join(prefix, rel))
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
		if tw == nil {
			fmt.Fprintf(h, "%s %o %s %d\n", hdr.Name, hdr.Mode, link, hdr.Size)
		} else if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if tw == nil {
			_, err = io.Copy(h, f)
		} else {
			_, err = io.Copy(tw, f)
		}
		return err
	})
}
