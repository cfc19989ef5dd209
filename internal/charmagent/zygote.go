package charmagent

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A charmcraft dispatch starts a new Python for every hook, and Python's
// start with ops' import is most of a short hook's time (about 250 ms on
// this project's machine). Where the harness asks for it
// (CharmConfig.Zygote: sim, whose point is speed), the agent runs such a
// charm's hooks from a zygote instead: one Python of the charm's venv that
// has imported ops, and forks each hook from itself with the environment,
// working directory, argv and sys.path dispatch would give (zygote.py). A
// dispatch that is not charmcraft's runs as it is.

//go:embed zygote.py
var zygoteScript []byte

// charmcraftDispatch is charmcraft's dispatch (its comments aside), and
// the script it runs (src/charm.py, or a variant's): a dispatch that does
// anything else runs as it is.
var charmcraftDispatch = regexp.MustCompile(`^#!/bin/sh
dispatch_path="\$\(dirname "\$\(realpath "\$0"\)"\)"
python_path="\$dispatch_path/venv/bin/python"
if \[ ! -e "\$python_path" \]; then
    mkdir -p "\$dispatch_path/venv/bin"
    ln -s "\$\(which python3\)" "\$python_path"
fi
PYTHONPATH="\$dispatch_path/lib:\$dispatch_path/src" \\
LD_LIBRARY_PATH="\$dispatch_path/usr/lib:\$dispatch_path/lib:\$dispatch_path/usr/lib/\$\(uname -m\)-linux-gnu" \\
exec "\$python_path" "\$dispatch_path/(src/[A-Za-z0-9_]+\.py)"
$`)

// withoutComments is a script without its comment lines (its #! kept).
func withoutComments(script []byte) []byte {
	var out []string
	for i, line := range strings.Split(string(script), "\n") {
		if i > 0 && strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}

// zygote is the running zygote of a charm.
type zygote struct {
	socket string
	script string // what dispatch runs, under the charm dir
	dir    string // the charm dir
	cmd    *exec.Cmd
	mu     sync.Mutex // one hook at a time, as the agent runs them
}

// startZygote starts the charm's zygote, or returns nil for a charm whose
// dispatch is not charmcraft's.
func startZygote(cfg *CharmConfig, stateDir string) (*zygote, error) {
	dispatch, err := os.ReadFile(filepath.Join(cfg.Dir, "dispatch"))
	if err != nil {
		return nil, nil
	}
	m := charmcraftDispatch.FindSubmatch(withoutComments(dispatch))
	if m == nil {
		return nil, nil
	}
	path := filepath.Join(stateDir, "zygote.py")
	if err := os.WriteFile(path, zygoteScript, 0o644); err != nil {
		return nil, fmt.Errorf("cannot start the charm's zygote: %w", err)
	}
	python := filepath.Join(cfg.Dir, "venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		python = "python3"
	}
	z := &zygote{socket: filepath.Join(stateDir, "zygote.socket"), script: filepath.Join(cfg.Dir, string(m[1])), dir: cfg.Dir}
	os.Remove(z.socket)
	z.cmd = exec.Command(python, path, z.socket, cfg.Dir)
	z.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	z.cmd.Stderr = os.Stderr
	z.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := z.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := z.cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start the charm's zygote: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("it said %q", line)
		}
		ready <- err
		io.Copy(io.Discard, r) // nothing more, but never a full pipe
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("it was not ready within 30s")
	}
	if err != nil {
		z.cmd.Process.Kill()
		z.cmd.Wait()
		return nil, fmt.Errorf("cannot start the charm's zygote: %w", err)
	}
	return z, nil
}

// run runs one hook from the zygote: its exit code, as exec's would be.
func (z *zygote) run(ctx context.Context, env []string, dir string, stdout, stderr io.Writer) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	conn, err := net.Dial("unix", z.socket)
	if err != nil {
		return -1, fmt.Errorf("%w: %v", errZygoteGone, err)
	}
	defer conn.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return -1, err
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	// What dispatch adds to the hook's environment before its exec.
	vars["PYTHONPATH"] = z.dir + "/lib:" + z.dir + "/src"
	vars["LD_LIBRARY_PATH"] = z.dir + "/usr/lib:" + z.dir + "/lib:" + z.dir + "/usr/lib/" + machine() + "-linux-gnu"
	req, _ := json.Marshal(map[string]any{"env": vars, "cwd": dir, "argv": []string{z.script}, "script": z.script})
	_, _, err = conn.(*net.UnixConn).WriteMsgUnix(req, syscall.UnixRights(int(outW.Fd()), int(errW.Fd())), nil)
	outW.Close()
	errW.Close()
	var copied sync.WaitGroup
	for _, p := range []struct {
		r *os.File
		w io.Writer
	}{{outR, stdout}, {errR, stderr}} {
		copied.Add(1)
		go func() {
			defer copied.Done()
			io.Copy(p.w, p.r)
		}()
	}
	defer outR.Close()
	defer errR.Close()
	if err != nil {
		copied.Wait()
		return -1, fmt.Errorf("%w: %v", errZygoteGone, err)
	}
	answers := bufio.NewReader(conn)
	var started struct{ Pid int }
	if err := readAnswer(answers, &started); err != nil {
		copied.Wait()
		return -1, fmt.Errorf("%w: %v", errZygoteGone, err)
	}
	// Killed whole, as an exec'd hook is, when the agent stops (the
	// child itself too, should it not have made its group yet).
	stop := context.AfterFunc(ctx, func() {
		syscall.Kill(-started.Pid, syscall.SIGKILL)
		syscall.Kill(started.Pid, syscall.SIGKILL)
	})
	defer stop()
	var ended struct{ Exit int }
	err = readAnswer(answers, &ended)
	// A child that keeps the hook's output open does not keep it running.
	if !waitOrAfter(&copied, 5*time.Second) {
		outR.Close()
		errR.Close()
		copied.Wait()
	}
	if err != nil {
		return -1, fmt.Errorf("cannot run a hook from the charm's zygote: %w", err)
	}
	if ended.Exit < 0 {
		return -1, nil // killed by a signal, as exec reports it
	}
	return ended.Exit, nil
}

// machine is uname -m's answer.
func machine() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range u.Machine {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// errZygoteGone is a zygote that did not start the hook: it runs as a
// process of its own instead.
var errZygoteGone = errors.New("cannot reach the charm's zygote")

func readAnswer(r *bufio.Reader, v any) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// waitOrAfter waits for wg, at most d, and says whether it ended.
func waitOrAfter(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends the zygote.
func (z *zygote) stop() {
	if z != nil && z.cmd.Process != nil {
		z.cmd.Process.Kill()
		z.cmd.Wait()
	}
}
