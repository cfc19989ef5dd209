package images

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
)

// Registry is where a cluster whose nodes are not on this machine pulls
// tandem's images from: "host[:port][/path]", as `docker push` names it
// (MicroK8s' registry add-on is localhost:32000).
type Registry string

// registryName is a registry host, an optional port and optional path
// components, with no scheme and no tag.
var registryName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)

// ParseRegistry checks a --registry value.
func ParseRegistry(s string) (Registry, error) {
	s = strings.TrimSuffix(s, "/")
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("cannot use registry %q: name it as docker push does, without a scheme (localhost:32000)", s)
	}
	if !registryName.MatchString(s) {
		return "", fmt.Errorf("cannot use registry %q: want host[:port][/path], as docker push names it (localhost:32000)", s)
	}
	return Registry(s), nil
}

// Ref is the name tag has in the registry: tandem/workload:abc becomes
// localhost:32000/tandem/workload:abc.
func (r Registry) Ref(tag string) string {
	if r == "" {
		return tag
	}
	return string(r) + "/" + tag
}

// pushed remembers what this process pushed, so each scenario does not
// push again: tags are content hashes, so a pushed tag never changes.
var (
	pushedMu sync.Mutex
	pushed   = map[string]bool{}
)

// Push pushes each of tags to the registry with Docker's own push, so
// Docker's logins and its registry settings apply, and returns the names
// they have there. The registry's name is only a tag Docker keeps while
// it pushes: it is removed after, leaving Docker's images as they were.
func (r Registry) Push(ctx context.Context, tags []string) ([]string, error) {
	pushedMu.Lock()
	defer pushedMu.Unlock()
	var refs []string
	for _, tag := range tags {
		ref := r.Ref(tag)
		refs = append(refs, ref)
		if pushed[ref] {
			continue
		}
		if out, err := exec.CommandContext(ctx, "docker", "tag", tag, ref).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("cannot push %s: docker tag: %v: %s", tag, err, strings.TrimSpace(string(out)))
		}
		out, err := exec.CommandContext(ctx, "docker", "push", "-q", ref).CombinedOutput()
		exec.Command("docker", "image", "rm", ref).Run() // the tag only; the image stays under its own
		if err != nil {
			return nil, fmt.Errorf("cannot push %s to %s: %v: %s (is the registry up, and is Docker logged in to it or allowed to reach it over HTTP?)",
				tag, r, err, lastLine(string(out)))
		}
		pushed[ref] = true
	}
	return refs, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
