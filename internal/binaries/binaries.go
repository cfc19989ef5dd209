// Package binaries builds, once, the static programs every real substrate
// runs: Pebble at the version tandem's go.mod pins, the workload tool and
// the charm agent. They are cached under TANDEM_CACHE (default
// ~/.cache/tandem) by a hash of what they are built from.
package binaries

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Set is where the built programs are.
type Set struct {
	Pebble     string
	Workload   string
	CharmAgent string
	CharmInit  string
	Snappass   string
	// Jujuc is the hook tools' multi-call binary.
	Jujuc string
}

const module = "github.com/tandem-harness/tandem"

// CacheDir is tandem's cache: TANDEM_CACHE, or ~/.cache/tandem.
func CacheDir() string {
	if d := os.Getenv("TANDEM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "tandem")
	}
	return filepath.Join(os.TempDir(), "tandem-cache")
}

// fixtureSources are the directories whose source the fixture binaries
// are built from: a change in any of them builds them again.
var fixtureSources = []string{"spec", "fixtures", "internal/charmagent", "internal/hooktools"}

// SourceDir finds tandem's source, which the fixture binaries are built
// from: TANDEM_SOURCE if set; else the checkout above the working
// directory; else the one this binary was built in (go install from a
// checkout); else the module's source in Go's module cache (go install
// module@version put it there).
func SourceDir() (string, error) {
	if d := os.Getenv("TANDEM_SOURCE"); d != "" {
		if !isSource(d) {
			return "", fmt.Errorf("TANDEM_SOURCE=%s is not tandem's source (its go.mod is not module %s's): point it at a checkout, or unset it", d, module)
		}
		return d, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isSource(dir) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	// This file's path as compiled: the checkout's, unless -trimpath.
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir := filepath.Dir(filepath.Dir(filepath.Dir(file))); isSource(dir) {
			return dir, nil
		}
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Path == module && info.Main.Version != "" && info.Main.Version != "(devel)" {
		if dir := filepath.Join(modCache(), module+"@"+info.Main.Version); isSource(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cannot find tandem's source: run from a checkout, install with go install %s/cmd/tandem@VERSION, or set TANDEM_SOURCE to a checkout", module)
}

// isSource says whether dir is tandem's module root.
func isSource(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.HasPrefix(string(data), "module "+module+"\n")
}

// modCache is Go's module cache (GOMODCACHE, else GOPATH's pkg/mod).
func modCache() string {
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		return strings.TrimSpace(string(out))
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(filepath.SplitList(p)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

// PebbleVersion is the Pebble tandem was built against (its go.mod pin).
func PebbleVersion(src string) (string, error) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/canonical/pebble" {
				return d.Version, nil
			}
		}
	}
	f, err := os.Open(filepath.Join(src, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, w := range fields {
			if w == "github.com/canonical/pebble" && i+1 < len(fields) {
				return fields[i+1], nil
			}
		}
	}
	return "", fmt.Errorf("cannot find the Pebble version in %s/go.mod", src)
}

var (
	ensureMu   sync.Mutex
	ensuredSet *Set
)

// Ensure builds what is missing from the cache and returns the set; a
// process checks once. Progress goes to log.
func Ensure(ctx context.Context, log io.Writer) (Set, error) {
	ensureMu.Lock()
	defer ensureMu.Unlock()
	if ensuredSet != nil {
		return *ensuredSet, nil
	}
	set, err := ensure(ctx, log)
	if err != nil {
		return Set{}, err
	}
	ensuredSet = &set
	return set, nil
}

func ensure(ctx context.Context, log io.Writer) (Set, error) {
	src, err := SourceDir()
	if err != nil {
		return Set{}, err
	}
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return Set{}, fmt.Errorf("cannot make cache %s: %w", cache, err)
	}
	unlock, err := Lock(filepath.Join(cache, "build.lock"))
	if err != nil {
		return Set{}, err
	}
	defer unlock()

	version, err := PebbleVersion(src)
	if err != nil {
		return Set{}, err
	}
	set := Set{Pebble: filepath.Join(cache, "bin", "pebble-"+version)}
	if _, err := os.Stat(set.Pebble); err != nil {
		fmt.Fprintf(log, "tandem: building pebble %s (once; cached in %s)\n", version, cache)
		if err := buildPebble(ctx, cache, version, set.Pebble); err != nil {
			return Set{}, err
		}
	}
	// Every package of ours the fixtures import (a test keeps this list whole).
	hash, err := sourceHash(src, fixtureSources...)
	if err != nil {
		return Set{}, err
	}
	set.Workload = filepath.Join(cache, "bin", "workload-"+hash)
	set.CharmAgent = filepath.Join(cache, "bin", "charm-agent-"+hash)
	set.CharmInit = filepath.Join(cache, "bin", "charm-init-"+hash)
	set.Snappass = filepath.Join(cache, "bin", "snappass-"+hash)
	set.Jujuc = filepath.Join(cache, "bin", "jujuc-"+hash)
	for pkg, out := range map[string]string{"./fixtures/workload": set.Workload, "./fixtures/charm-agent": set.CharmAgent,
		"./fixtures/charm-init": set.CharmInit, "./fixtures/snappass": set.Snappass, "./fixtures/jujuc": set.Jujuc} {
		if _, err := os.Stat(out); err == nil {
			continue
		}
		fmt.Fprintf(log, "tandem: building %s\n", filepath.Base(pkg))
		if err := goBuild(ctx, src, pkg, out); err != nil {
			return Set{}, err
		}
	}
	return set, nil
}

// buildPebble builds Pebble in a module of its own, generated in the
// cache: tandem's go.mod stays free of Pebble's CLI dependencies, and the
// proxy is never asked to list versions (it refuses to here).
func buildPebble(ctx context.Context, cache, version, out string) error {
	dir := filepath.Join(cache, "pebble-build-"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gomod := fmt.Sprintf("module tandem.local/pebble-build\n\ngo 1.26\n\nrequire github.com/canonical/pebble %s\n", version)
	tools := "//go:build tools\n\npackage tools\n\nimport _ \"github.com/canonical/pebble/cmd/pebble\"\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tools.go"), []byte(tools), 0o644); err != nil {
		return err
	}
	tidy := exec.CommandContext(ctx, "go", "mod", "tidy")
	tidy.Dir = dir
	if msg, err := tidy.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot resolve pebble %s's modules (needs the Go module proxy): %v\n%s", version, err, msg)
	}
	return goBuild(ctx, dir, "github.com/canonical/pebble/cmd/pebble", out)
}

// goBuild builds a static binary, atomically into out.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot build %s: %v\n%s", pkg, err, msg)
	}
	return os.Rename(tmp, out)
}

// sourceHash hashes the Go sources under dirs, with go.mod and go.sum.
func sourceHash(src string, dirs ...string) (string, error) {
	var files []string
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(src, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("cannot hash sources: %w", err)
		}
	}
	files = append(files, filepath.Join(src, "go.mod"), filepath.Join(src, "go.sum"))
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("cannot hash sources: %w", err)
		}
		rel, _ := filepath.Rel(src, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Lock takes an exclusive lock on path, so concurrent runs build once;
// the function it returns releases it.
func Lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot lock the cache: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock the cache: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
