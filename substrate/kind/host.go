package kind

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate/internal/realpod"
)

// hostPID finds, on this machine, the PID 1 of the container with this
// runtime id: the process in the container's cgroup whose pid in its own
// namespace is 1. This works where the nodes are containers here.
func hostPID(containerID string) (int, error) {
	_, id, _ := strings.Cut(containerID, "://")
	if id == "" {
		return 0, fmt.Errorf("cannot find the container: it has no id yet")
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil || !strings.Contains(string(cg), id) {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 && f[len(f)-1] == "1" {
					return pid, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("cannot find the PID 1 of container %s on this machine", id[:min(12, len(id))])
}

// dockerID is the id of the Docker container a host process runs in,
// read from its cgroup path (/docker/<id>/... or docker-<id>.scope).
func dockerID(pid int) (string, error) {
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	hex64 := func(s string) bool { return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == "" }
	for _, line := range strings.Split(string(cg), "\n") {
		parts := strings.Split(line, "/")
		for i, part := range parts {
			if part == "docker" && i+1 < len(parts) && hex64(parts[i+1]) {
				return parts[i+1], nil
			}
			if id, ok := strings.CutPrefix(strings.TrimSuffix(part, ".scope"), "docker-"); ok && hex64(id) {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("cannot find the Docker container of pid %d", pid)
}

// readFileAt reads path in the filesystem of the container whose PID 1 is
// pid, with its mode and owner as that container names them.
func readFileAt(pid int, path string) (spec.FileState, error) {
	root := fmt.Sprintf("/proc/%d/root", pid)
	st := spec.FileState{Path: path}
	fi, err := os.Lstat(root + path)
	switch {
	case os.IsNotExist(err):
		st.Error = client.ErrorKindNotFound
		return st, nil
	case err != nil:
		return st, err
	}
	sys := fi.Sys().(*syscall.Stat_t)
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	group, _ := os.ReadFile(filepath.Join(root, "etc/group"))
	st.Mode = fmt.Sprintf("%03o", fi.Mode().Perm())
	st.User = realpod.NameOf(string(passwd), int(sys.Uid))
	st.Group = realpod.NameOf(string(group), int(sys.Gid))
	if fi.Mode().IsRegular() {
		data, err := os.ReadFile(root + path)
		if err != nil {
			return st, err
		}
		st.Content = string(data)
	}
	return st, nil
}

// readFileThroughPebble reads a file of a container whose process is not
// on this machine through the container's own Pebble (its files API):
// still nothing is needed in the image. Pebble names the owner from the
// container's own passwd and group, as readFileAt does.
func (k *Kind) readFileThroughPebble(id spec.UnitID, container, path string) (spec.FileState, error) {
	st := spec.FileState{Path: path}
	pc, err := k.Pebble(id, container)
	if err != nil {
		return st, err
	}
	real, ok := pc.(*client.Client)
	if !ok {
		return st, fmt.Errorf("cannot read %s in %s of %s: its Pebble is not a real one", path, container, id)
	}
	infos, err := spec.RealFiles{Client: real}.ListFiles(&client.ListFilesOptions{Path: path, Itself: true})
	var perr *client.Error
	switch {
	case errors.As(err, &perr) && perr.Kind == client.ErrorKindNotFound:
		st.Error = client.ErrorKindNotFound
		return st, nil
	case err != nil:
		return st, fmt.Errorf("cannot read %s in %s of %s: %w", path, container, id, err)
	case len(infos) != 1:
		return st, fmt.Errorf("cannot read %s in %s of %s: Pebble listed %d entries for it", path, container, id, len(infos))
	}
	fi := infos[0]
	st.Mode = fmt.Sprintf("%03o", fi.Mode.Perm())
	st.User, st.Group = fi.User, fi.Group
	if fi.Mode.IsRegular() {
		var buf bytes.Buffer
		if err := pc.Pull(&client.PullOptions{Path: path, Target: &buf}); err != nil {
			return st, fmt.Errorf("cannot read %s in %s of %s: %w", path, container, id, err)
		}
		st.Content = buf.String()
	}
	return st, nil
}
