package simulator

import (
	"fmt"
	"os"
	pathpkg "path"
	"sort"
	"strconv"
	"strings"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
)

// fsNode is one file or directory in a container's filesystem.
type fsNode struct {
	dir     bool
	content string
	mode    os.FileMode
	uid     int
	gid     int
}

// filesystem is a container's root as the model knows it: the image's
// files, what was pushed, and the mounts that outlive the container
// (the charm-data subPath at /charm/container, storage) as separate trees
// the container sees through their mount points.
type filesystem struct {
	nodes  map[string]*fsNode
	mounts map[string]*filesystem // mount point -> tree that outlives the container
}

func newFilesystem() *filesystem {
	fs := &filesystem{nodes: map[string]*fsNode{}, mounts: map[string]*filesystem{}}
	fs.nodes["/"] = &fsNode{dir: true, mode: 0o755}
	return fs
}

// resolve finds the tree and path within it that p lives in.
func (fs *filesystem) resolve(p string) (*filesystem, string) {
	best := ""
	for mp := range fs.mounts {
		if (p == mp || strings.HasPrefix(p, mp+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	if best == "" {
		return fs, p
	}
	rel := strings.TrimPrefix(p, best)
	if rel == "" {
		rel = "/"
	}
	return fs.mounts[best], rel
}

func (fs *filesystem) get(p string) *fsNode {
	t, rel := fs.resolve(pathpkg.Clean(p))
	return t.nodes[rel]
}

func (fs *filesystem) put(p string, n *fsNode) {
	t, rel := fs.resolve(pathpkg.Clean(p))
	t.nodes[rel] = n
}

// mount places tree at mountPoint (creating the mount point directory).
func (fs *filesystem) mount(mountPoint string, tree *filesystem) {
	fs.mkdirAll(pathpkg.Dir(mountPoint), 0o755, 0, 0)
	fs.nodes[mountPoint] = &fsNode{dir: true, mode: 0o755}
	fs.mounts[mountPoint] = tree
}

func (fs *filesystem) mkdirAll(p string, mode os.FileMode, uid, gid int) {
	p = pathpkg.Clean(p)
	if p == "/" {
		return
	}
	fs.mkdirAll(pathpkg.Dir(p), mode, uid, gid)
	if n := fs.get(p); n == nil {
		fs.put(p, &fsNode{dir: true, mode: mode, uid: uid, gid: gid})
	}
}

// children lists the direct entries of dir, sorted.
func (fs *filesystem) children(dir string) []string {
	dir = pathpkg.Clean(dir)
	t, rel := fs.resolve(dir)
	seen := map[string]bool{}
	prefix := rel
	if prefix != "/" {
		prefix += "/"
	}
	for p := range t.nodes {
		if p != rel && strings.HasPrefix(p, prefix) && !strings.Contains(p[len(prefix):], "/") {
			seen[pathpkg.Join(dir, p[len(prefix):])] = true
		}
	}
	for mp := range fs.mounts {
		if pathpkg.Dir(mp) == dir {
			seen[mp] = true
		}
	}
	return sortedKeys(seen)
}

func (fs *filesystem) removeTree(p string) {
	for _, c := range fs.children(p) {
		fs.removeTree(c)
	}
	t, rel := fs.resolve(p)
	delete(t.nodes, rel)
}

// fileError is a Pebble files API error: its kind and Go's wording.
func fileError(kind, format string, args ...any) error {
	return &client.Error{Kind: kind, Message: fmt.Sprintf(format, args...), StatusCode: 200}
}

func notFound(op, p string) error {
	return fileError(client.ErrorKindNotFound, "%s %s: no such file or directory", op, p)
}

func genericFile(format string, args ...any) error {
	return fileError(client.ErrorKindGenericFileError, format, args...)
}

func absolute(p string) error {
	if !pathpkg.IsAbs(p) {
		return genericFile("paths must be absolute, got %q", p)
	}
	return nil
}

// users is what a container's /etc/passwd and /etc/group say, which is
// where Pebble looks names up.
type users struct {
	byName map[string][2]int // user -> uid, primary gid
	byUID  map[int]string
	groups map[string]int
	byGID  map[int]string
}

func (fs *filesystem) users() users {
	u := users{byName: map[string][2]int{"root": {0, 0}}, byUID: map[int]string{0: "root"},
		groups: map[string]int{"root": 0}, byGID: map[int]string{0: "root"}}
	if n := fs.get("/etc/passwd"); n != nil {
		for _, line := range strings.Split(n.content, "\n") {
			f := strings.Split(line, ":")
			if len(f) < 4 {
				continue
			}
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err1 == nil && err2 == nil {
				u.byName[f[0]] = [2]int{uid, gid}
				u.byUID[uid] = f[0]
			}
		}
	}
	if n := fs.get("/etc/group"); n != nil {
		for _, line := range strings.Split(n.content, "\n") {
			f := strings.Split(line, ":")
			if len(f) < 3 {
				continue
			}
			if gid, err := strconv.Atoi(f[2]); err == nil {
				u.groups[f[0]] = gid
				u.byGID[gid] = f[0]
			}
		}
	}
	return u
}

// owner resolves user/group as Pebble's NormalizeUidGid: nothing given
// keeps the daemon's own (root); a user alone takes its primary group.
func (fs *filesystem) owner(uid *int, user string, gid *int, group string) (int, int, error) {
	if uid == nil && user == "" && gid == nil && group == "" {
		return 0, 0, nil
	}
	u := fs.users()
	if user != "" {
		e, ok := u.byName[user]
		if !ok {
			return 0, 0, fmt.Errorf("cannot look up user and group: user: unknown user %s", user)
		}
		if uid != nil && *uid != e[0] {
			return 0, 0, fmt.Errorf("cannot look up user and group: user %q UID (%d) does not match user-id (%d)", user, e[0], *uid)
		}
		v := e[0]
		uid = &v
	}
	if group != "" {
		g, ok := u.groups[group]
		if !ok {
			return 0, 0, fmt.Errorf("cannot look up user and group: group: unknown group %s", group)
		}
		if gid != nil && *gid != g {
			return 0, 0, fmt.Errorf("cannot look up user and group: group %q GID (%d) does not match group-id (%d)", group, g, *gid)
		}
		gid = &g
	}
	if uid == nil {
		return 0, 0, fmt.Errorf("cannot look up user and group: must specify user, not just group")
	}
	if gid == nil {
		name, ok := u.byUID[*uid]
		if !ok {
			return 0, 0, fmt.Errorf("cannot look up user and group: user: unknown userid %d", *uid)
		}
		g := u.byName[name][1]
		gid = &g
	}
	return *uid, *gid, nil
}

func parsePerm(s string, def os.FileMode) (os.FileMode, error) {
	if s == "" {
		return def, nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || len(s) != 3 {
		return 0, genericFile("permissions must be a 3-digit octal string, got %q", s)
	}
	return os.FileMode(m), nil
}

// push writes a file atomically (R7.1).
func (fs *filesystem) push(p, content, perms string, uidp *int, user string, gidp *int, group string, makeDirs bool) error {
	if err := absolute(p); err != nil {
		return err
	}
	uid, gid, err := fs.owner(uidp, user, gidp, group)
	if err != nil {
		return genericFile("%v", err)
	}
	if makeDirs {
		if n := fs.get(pathpkg.Dir(p)); n != nil && !n.dir {
			return genericFile("cannot create directory: mkdir %s: not a directory", pathpkg.Dir(p))
		}
		fs.mkdirAll(pathpkg.Dir(p), 0o755, uid, gid)
	}
	mode, err := parsePerm(perms, 0o644)
	if err != nil {
		return err
	}
	parent := fs.get(pathpkg.Dir(p))
	if parent == nil {
		return notFound("open", p)
	}
	if !parent.dir {
		return genericFile("open %s: not a directory", p)
	}
	if n := fs.get(p); n != nil && n.dir {
		return genericFile("rename %s: file exists", p)
	}
	fs.put(p, &fsNode{content: content, mode: mode, uid: uid, gid: gid})
	return nil
}

// pull reads a regular file.
func (fs *filesystem) pull(p string) (string, error) {
	if err := absolute(p); err != nil {
		return "", err
	}
	n := fs.get(p)
	if n == nil {
		return "", notFound("open", p)
	}
	if n.dir {
		return "", genericFile("can only read a regular file: %q", p)
	}
	return n.content, nil
}

// makeDir creates a directory (R7.2).
func (fs *filesystem) makeDir(p string, parents bool, perms string, uidp *int, user string, gidp *int, group string) error {
	if err := absolute(p); err != nil {
		return err
	}
	mode, err := parsePerm(perms, 0o755)
	if err != nil {
		return err
	}
	uid, gid, err := fs.owner(uidp, user, gidp, group)
	if err != nil {
		return genericFile("%v", err)
	}
	if parents {
		if n := fs.get(p); n != nil && !n.dir {
			return genericFile("mkdir %s: not a directory", p)
		}
		fs.mkdirAll(p, mode, uid, gid)
		return nil
	}
	if fs.get(p) != nil {
		return genericFile("mkdir %s: file exists", p)
	}
	if parent := fs.get(pathpkg.Dir(p)); parent == nil {
		return notFound("mkdir", p)
	}
	fs.put(p, &fsNode{dir: true, mode: mode, uid: uid, gid: gid})
	return nil
}

// remove deletes a path, recursively when asked (R7.2).
func (fs *filesystem) remove(p string, recursive bool) error {
	if err := absolute(p); err != nil {
		return err
	}
	n := fs.get(p)
	if n == nil {
		if recursive {
			return nil // os.RemoveAll of nothing succeeds
		}
		return notFound("remove", p)
	}
	if n.dir && !recursive && len(fs.children(p)) > 0 {
		return genericFile("remove %s: directory not empty", p)
	}
	fs.removeTree(p)
	return nil
}

// list lists a directory, or the path itself (R7.2).
func (fs *filesystem) list(p, pattern string, itself bool) ([]spec.FileEntry, error) {
	if err := absolute(p); err != nil {
		return nil, err
	}
	n := fs.get(p)
	if n == nil {
		return nil, notFound("stat", p)
	}
	u := fs.users()
	entry := func(fp string, n *fsNode) spec.FileEntry {
		mode := n.mode
		if n.dir {
			mode |= os.ModeDir
		}
		uid, gid := n.uid, n.gid
		return spec.FileEntry{Path: fp, Mode: mode, Size: int64(len(n.content)), User: u.byUID[n.uid], Group: u.byGID[n.gid], UserID: &uid, GroupID: &gid}
	}
	if itself || !n.dir {
		if pattern != "" {
			if ok, _ := pathpkg.Match(pattern, pathpkg.Base(p)); !ok {
				return nil, nil
			}
		}
		return []spec.FileEntry{entry(p, n)}, nil
	}
	var out []spec.FileEntry
	for _, c := range fs.children(p) {
		if pattern != "" {
			if ok, err := pathpkg.Match(pattern, pathpkg.Base(c)); err != nil {
				return nil, genericFile("syntax error in pattern")
			} else if !ok {
				continue
			}
		}
		out = append(out, entry(c, fs.get(c)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// state describes a path for a file observation.
func (fs *filesystem) state(p string) spec.FileState {
	n := fs.get(p)
	if n == nil {
		return spec.FileState{Path: p, Error: client.ErrorKindNotFound}
	}
	u := fs.users()
	st := spec.FileState{Path: p, Mode: fmt.Sprintf("%03o", n.mode.Perm()), User: u.byUID[n.uid], Group: u.byGID[n.gid]}
	if st.User == "" {
		st.User = strconv.Itoa(n.uid)
	}
	if st.Group == "" {
		st.Group = strconv.Itoa(n.gid)
	}
	if !n.dir {
		st.Content = n.content
	}
	return st
}
