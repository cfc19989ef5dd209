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

	"github.com/tandem-harness/tandem/internal/binaries"
)

// buildDebian makes tandem/<name>:<hash> from a minbase Debian root with
// pkg, imported into Docker with cmd as its command: Debian's packages
// stand in for images no registry can give here. It is built once per
// suite, mirror and package.
func buildDebian(ctx context.Context, log io.Writer, name, suite, pkg, cmd string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "debootstrap minbase %s %s %s\ncmd %s\n", suite, DebianMirror, pkg, cmd)
	tag := "tandem/" + name + ":" + hex.EncodeToString(h.Sum(nil))[:12]
	if Exists(ctx, tag) {
		return tag, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("cannot build %s: debootstrap is missing: apt-get install -y debootstrap", tag)
	}
	locks := filepath.Join(binaries.CacheDir(), "images")
	if err := os.MkdirAll(locks, 0o755); err != nil {
		return "", err
	}
	unlock, err := binaries.Lock(filepath.Join(locks, name+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if Exists(ctx, tag) { // another tandem built it while this one waited
		return tag, nil
	}
	root, err := os.MkdirTemp(binaries.CacheDir(), name+"-rootfs-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(root)
	fmt.Fprintf(log, "tandem: building image %s from Debian %s's %s (debootstrap, about a minute)\n", tag, suite, pkg)
	if err := run(ctx, "debootstrap", "--variant=minbase", "--include="+pkg, suite, root, DebianMirror); err != nil {
		return "", fmt.Errorf("cannot build %s: debootstrap failed (retry: the mirror %s must be reachable): %w", tag, DebianMirror, err)
	}
	return tag, importRoot(ctx, root, tag, cmd)
}

// importRoot imports a root filesystem into Docker as tag.
func importRoot(ctx context.Context, root, tag, cmd string) error {
	tarCmd := exec.CommandContext(ctx, "tar", "-C", root, "-c", ".")
	imp := exec.CommandContext(ctx, "docker", "import", "--change", fmt.Sprintf("CMD [%q]", cmd), "-", tag)
	pipe, err := tarCmd.StdoutPipe()
	if err != nil {
		return err
	}
	imp.Stdin = pipe
	var impErr bytes.Buffer
	imp.Stderr = &impErr
	if err := imp.Start(); err != nil {
		return err
	}
	if err := tarCmd.Run(); err != nil {
		imp.Wait()
		return fmt.Errorf("cannot build %s: tar: %w", tag, err)
	}
	if err := imp.Wait(); err != nil {
		return fmt.Errorf("cannot build %s: docker import: %v: %s", tag, err, impErr.String())
	}
	return nil
}
