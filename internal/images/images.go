// Package images builds the images tandem's docker and kind substrates
// run, here, pulling nothing: static Go binaries in FROM-scratch images,
// and Redis from Debian's packages (debootstrap). Each is tagged
// tandem/<name>:<hash of its inputs>, never :latest, and built only when
// that tag is missing.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tandem-harness/tandem/internal/binaries"
	"github.com/tandem-harness/tandem/sidecar"
	"github.com/tandem-harness/tandem/spec"
)

// Set is the tags of tandem's images.
type Set struct {
	Init     string // Pebble, the charm agent, the hook tools and the copier, for charm-init
	Charm    string // the charm container: Pebble's layer running the agent
	Workload string // the workload tool
	Snappass string // the reference charm's web app
	Redis    string // Redis from Debian's packages
}

// Resolve maps one of tandem's images named without its tag
// ("tandem/redis") to its built tag; any other name is left as it is.
func (s Set) Resolve(image string) string {
	for _, tag := range s.All() {
		if name, _, _ := strings.Cut(tag, ":"); name == image {
			return tag
		}
	}
	return image
}

// All lists the set's tags.
func (s Set) All() []string { return []string{s.Init, s.Charm, s.Workload, s.Snappass, s.Redis} }

// DebianMirror and DebianSuite are where the Redis image's packages come
// from: the mirror this machine's apt uses.
var (
	DebianMirror = "http://deb.debian.org/debian"
	DebianSuite  = "bookworm"
)

// context is one image's build context: files by path, and a Dockerfile.
type buildContext struct {
	name       string
	dockerfile string
	files      map[string]string // path in context -> host file to copy
	inline     map[string]string // path in context -> content
}

// baseFiles is what every tandem image holds (spec.BaseImageFiles).
func baseFiles(c *buildContext) {
	for p, content := range spec.BaseImageFiles {
		c.inline["rootfs"+p] = content
	}
	for _, d := range spec.BaseImageDirs {
		c.inline["rootfs"+d+"/.keep"] = ""
	}
}

func contexts(bins binaries.Set) []*buildContext {
	mk := func(name string) *buildContext {
		return &buildContext{name: name, files: map[string]string{}, inline: map[string]string{}}
	}
	init := mk("pebble-init")
	init.files["pebble"] = bins.Pebble
	init.files["charm-agent"] = bins.CharmAgent
	init.files["charm-init"] = bins.CharmInit
	init.files["jujuc"] = bins.Jujuc
	init.dockerfile = "FROM scratch\nCOPY pebble charm-agent charm-init jujuc /\nCMD [\"/charm-init\", \"/pebble\", \"/charm-agent\", \"/jujuc\", \"/charm/bin\"]\n"

	charm := mk("charm")
	baseFiles(charm)
	charm.inline["rootfs"+spec.PebbleCopyOnceDir+"/layers/001-charm-agent.yaml"] = CharmAgentLayer
	charm.dockerfile = "FROM scratch\nCOPY rootfs/ /\n"

	workload := mk("workload")
	baseFiles(workload)
	workload.files["rootfs"+spec.WorkloadTool] = bins.Workload
	workload.dockerfile = "FROM scratch\nCOPY rootfs/ /\nCMD [\"" + spec.WorkloadTool + "\"]\n"

	snappass := mk("snappass")
	baseFiles(snappass)
	snappass.files["rootfs/usr/bin/snappass"] = bins.Snappass
	snappass.files["rootfs/usr/bin/snappass-check"] = bins.Snappass
	snappass.dockerfile = "FROM scratch\nCOPY rootfs/ /\nCMD [\"/usr/bin/snappass\"]\n"
	return []*buildContext{init, charm, workload, snappass}
}

// CharmAgentLayer is the charm container's layer: its Pebble runs the
// agent from /charm/bin, as Juju's charm container runs its agent.
var CharmAgentLayer = fmt.Sprintf(`services:
  charm-agent:
    override: replace
    startup: enabled
    command: /charm/bin/charm-agent --config-env TANDEM_AGENT_CONFIG --listen tcp::%d
`, sidecar.AgentPort)

// hash is the content hash of a context: Dockerfile, paths and bytes.
func (c *buildContext) hash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "Dockerfile\n%s\n", c.dockerfile)
	var paths []string
	for p := range c.files {
		paths = append(paths, p)
	}
	for p := range c.inline {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(h, "%s\n", p)
		if src, ok := c.files[p]; ok {
			f, err := os.Open(src)
			if err != nil {
				return "", err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return "", err
			}
		} else {
			h.Write([]byte(c.inline[p]))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// write lays the context out in dir.
func (c *buildContext) write(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	put := func(p string, data []byte, mode os.FileMode) error {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		return os.WriteFile(full, data, mode)
	}
	for p, src := range c.files {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := put(p, data, 0o755); err != nil {
			return err
		}
	}
	for p, content := range c.inline {
		if strings.HasSuffix(p, "/.keep") {
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
				return err
			}
			continue
		}
		if err := put(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return put("Dockerfile", []byte(c.dockerfile), 0o644)
}

// Exists reports whether the image is in Docker.
func Exists(ctx context.Context, tag string) bool {
	return exec.CommandContext(ctx, "docker", "image", "inspect", tag).Run() == nil
}

var (
	buildMu  sync.Mutex
	builtSet *Set
)

// Build builds what is missing and returns the set; a process checks once
// (every docker scenario asks, and hashing the binaries is not free).
// Progress goes to log.
func Build(ctx context.Context, log io.Writer) (Set, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtSet != nil {
		return *builtSet, nil
	}
	set, err := build(ctx, log)
	if err != nil {
		return Set{}, err
	}
	builtSet = &set
	return set, nil
}

func build(ctx context.Context, log io.Writer) (Set, error) {
	bins, err := binaries.Ensure(ctx, log)
	if err != nil {
		return Set{}, err
	}
	var set Set
	tags := map[string]*string{"pebble-init": &set.Init, "charm": &set.Charm, "workload": &set.Workload, "snappass": &set.Snappass}
	for _, c := range contexts(bins) {
		h, err := c.hash()
		if err != nil {
			return Set{}, fmt.Errorf("cannot hash image %s: %w", c.name, err)
		}
		tag := "tandem/" + c.name + ":" + h
		*tags[c.name] = tag
		if Exists(ctx, tag) {
			continue
		}
		fmt.Fprintf(log, "tandem: building image %s\n", tag)
		dir := filepath.Join(binaries.CacheDir(), "images", c.name)
		if err := c.write(dir); err != nil {
			return Set{}, fmt.Errorf("cannot lay out image %s: %w", c.name, err)
		}
		// --network none: a FROM-scratch build needs nothing, and can pull nothing.
		if err := run(ctx, "docker", "build", "--network", "none", "-t", tag, dir); err != nil {
			return Set{}, fmt.Errorf("cannot build image %s: %w", tag, err)
		}
	}
	if set.Redis, err = buildRedis(ctx, log); err != nil {
		return Set{}, err
	}
	return set, nil
}

// buildRedis makes the Redis image from Debian's redis-server package;
// tandem's charm pushes its own config.
func buildRedis(ctx context.Context, log io.Writer) (string, error) {
	return buildDebian(ctx, log, "redis", DebianSuite, "redis-server", "/usr/bin/redis-server")
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := out.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("%v\n%s", err, tail)
	}
	return nil
}
