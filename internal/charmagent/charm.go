package charmagent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tandem-harness/tandem/internal/hooktools"
	"github.com/tandem-harness/tandem/internal/hooktools/wire"
	"github.com/tandem-harness/tandem/spec"
)

// JujuVersion is the Juju the agent says it is (JUJU_VERSION): ops gates
// app relation data, secrets and Pebble features on it.
const JujuVersion = "3.6.11"

// CharmConfig is a real charm the agent runs as Juju's unit agent runs
// one (../shared/JUJU-CONTRACT.md §1).
type CharmConfig struct {
	// Dir is the charm directory: JUJU_CHARM_DIR and each hook's working
	// directory. It is on the pod's charm-data volume.
	Dir string `json:"dir"`
	// ToolsDir gets a link to Jujuc under each tool's name; it comes first
	// on the hooks' PATH.
	ToolsDir string `json:"tools-dir"`
	Jujuc    string `json:"jujuc"`
	// Path is the rest of the hooks' PATH.
	Path string         `json:"path"`
	Meta spec.CharmMeta `json:"meta"`
	// RetryDelay and RetryLimit are Juju's hook retry back-off: 5 s,
	// doubling, at most 5 min (retrystrategy.go).
	RetryDelay time.Duration `json:"retry-delay"`
	RetryLimit time.Duration `json:"retry-limit"`
	// OutputDir, when set, keeps each hook's stdout and stderr.
	OutputDir string `json:"output-dir,omitempty"`
	// UpdateStatus is how often update-status runs (0: never).
	UpdateStatus time.Duration `json:"update-status,omitempty"`
	// Source, when set, is the charm as the charm container's image holds
	// it: the agent copies it into Dir when Dir is missing (a new pod's
	// charm-data), as Juju's unit agent downloads the charm.
	Source string `json:"source,omitempty"`
	// PebbleReadyFirst runs, at the deploy, each workload's pebble-ready
	// before config-changed (spec.RealCharm's).
	PebbleReadyFirst bool `json:"pebble-ready-first,omitempty"`
	// ResourcesSource, when set, is the charm's attached file resources
	// (<name>/<file>) as the charm container's image holds them: the agent
	// copies them into ResourcesDir when it is missing (a new pod's
	// charm-data), as Juju's unit agent downloads them.
	ResourcesSource string `json:"resources-source,omitempty"`
	ResourcesDir    string `json:"resources-dir,omitempty"`
	// Zygote runs a charmcraft dispatch's hooks from one Python that has
	// imported ops, forked per hook (zygote.go), rather than a new Python
	// each: sim's, whose point is speed.
	Zygote bool `json:"zygote,omitempty"`
}

// Place puts the unit's charm dir, hook tools, hook output and resources
// where Juju's unit agent has them for unit id of app: on the charm-data
// volume under /var/lib/juju. A StatefulSet's pods share one config, so
// each agent places its own unit's.
func (c *CharmConfig) Place(app string, id spec.UnitID) {
	base := path.Join(spec.JujuDir, spec.UnitDir(app, id))
	c.Dir, c.ToolsDir = spec.CharmDir(app, id), spec.ToolsDir(app, id)
	c.OutputDir, c.ResourcesDir = path.Join(base, "hook-output"), spec.ResourcesDir(app, id)
}

// work is one queued operation: an event's hook, or an action.
type work struct {
	ev       spec.Event
	workload string // the container of a workload event
	noticeID string
	action   *hooktools.Action
	done     chan ActionResult
	finished chan struct{} // closed once the hook ran, if set
	// relation is the relation of a relation hook, if inRelation; remote
	// the unit it is about.
	relation   int
	inRelation bool
	remote     string
	// departing is the unit a departed hook is for when it is not the
	// remote one: the unit itself, when it goes.
	departing string
	// dropped: the remote unit departed before the hook's turn.
	dropped bool
}

// ActionResult is how an action went.
type ActionResult = spec.ActionResult

// unitAgent is what a real charm needs of the agent: the unit's state the
// hook tools read and change, the hook that runs, and its tools' socket.
type unitAgent struct {
	cfg       *CharmConfig
	unit      spec.UnitID
	statePath string // the unit's state, on the charm-data volume
	startedAt string // exists once start has run in this pod
	socket    string
	mu        sync.Mutex
	st        *hooktools.Store           // nil until the unit is introduced
	running   map[string]*hooktools.Hook // by context id
	hooks     int                        // hooks run, to name their output files
	saveMu    sync.Mutex

	zygoteOnce sync.Once
	zyg        *zygote
}

func newUnitAgent(cfg *CharmConfig, unit spec.UnitID, stateDir string) (*unitAgent, error) {
	u := &unitAgent{cfg: cfg, unit: unit, statePath: filepath.Join(stateDir, "unit.json"),
		startedAt: filepath.Join(stateDir, "started"),
		socket:    filepath.Join(filepath.Dir(cfg.Dir), "agent.socket"), running: map[string]*hooktools.Hook{}}
	if data, err := os.ReadFile(u.statePath); err == nil {
		var st hooktools.Unit
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("cannot read the unit's state %s: %w", u.statePath, err)
		}
		u.st = hooktools.NewStore(st)
	}
	if err := layTree("the charm", cfg.Source, cfg.Dir); err != nil {
		return nil, err
	}
	if err := layTree("the resources", cfg.ResourcesSource, cfg.ResourcesDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.ToolsDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot make the tools directory: %w", err)
	}
	// The uniter links jujuc under each tool's name (EnsureSymlinks).
	for _, name := range hooktools.Names() {
		link := filepath.Join(cfg.ToolsDir, name)
		os.Remove(link)
		if err := os.Symlink(cfg.Jujuc, link); err != nil {
			return nil, fmt.Errorf("cannot link hook tool %s: %w", name, err)
		}
	}
	// The zygote's start (Python, ops' import) overlaps the agent's
	// introduction instead of coming before the first hook.
	go u.zygote()
	return u, nil
}

// layTree copies what (the charm, its resources) from src into dir unless
// dir is there, whole or not at all: a charm container killed while
// copying copies again.
func layTree(what, src, dir string) error {
	if src == "" {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	tmp := dir + ".laying"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("cannot lay %s in %s: %w", what, dir, err)
	}
	if err := os.CopyFS(tmp, os.DirFS(src)); err != nil {
		return fmt.Errorf("cannot lay %s in %s: %w", what, dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("cannot lay %s in %s: %w", what, dir, err)
	}
	return nil
}

// begin takes the unit's state from the controller's introduction, unless
// it has its own (the charm container restarted in a known pod).
func (u *unitAgent) begin(st *hooktools.Unit) {
	u.mu.Lock()
	if u.st == nil && st != nil {
		u.st = hooktools.NewStore(*st)
	}
	if u.st == nil {
		u.st = hooktools.NewStore(hooktools.Unit{Name: string(u.unit)})
	}
	u.mu.Unlock()
	// Kept at once: a charm container restarting before any hook ends
	// still finds what the controller said.
	u.save()
}

// store is the unit's state, nil before the introduction.
func (u *unitAgent) store() *hooktools.Store {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// hasStarted says whether start has run in this pod: the uniter runs it
// again after a reboot, and stop before the pod goes, only if so.
func (u *unitAgent) hasStarted() bool {
	_, err := os.Stat(u.startedAt)
	return err == nil
}

// serveTools answers the hook tools on the agent's socket, each call in
// the context of the hook that made it.
func (u *unitAgent) serveTools(l net.Listener) {
	wire.Serve(l, func(req wire.Request) wire.Result {
		u.mu.Lock()
		h := u.running[req.Context]
		u.mu.Unlock()
		if h == nil {
			return wire.Result{Stderr: fmt.Sprintf("ERROR bad request: unknown context %q\n", req.Context), Code: 1}
		}
		return h.Call(req.Tool, req.Args, req.Stdin)
	})
}

// ran is how a hook went: its exit code, what it said of itself, and its
// context, for the caller to apply (apply) once the hook is on record.
type ran struct {
	code   int
	stderr string
	logs   []spec.LogLine
	hook   *hooktools.Hook
}

// failure is what a failed hook said: the end of its standard error and
// the ERROR lines it logged, where ops puts an uncaught exception's
// traceback.
func (r ran) failure() string {
	var parts []string
	for _, l := range r.logs {
		if l.Level == "ERROR" || l.Level == "CRITICAL" {
			parts = append(parts, l.Message)
		}
	}
	if s := strings.TrimSpace(r.stderr); s != "" {
		parts = append(parts, s)
	}
	return lastLines(strings.Join(parts, "\n"), 40)
}

// apply commits what a hook's tools changed if it exited 0, else keeps
// only its log. The caller logs the hook's event first: whoever sees its
// effects (a status it set) then also sees that it ran.
func (u *unitAgent) apply(w *work, r ran) {
	if r.hook == nil {
		return
	}
	if r.code != 0 {
		r.hook.Discard()
		return
	}
	r.hook.Commit()
	u.save()
	if w.ev.Name == spec.EventStart && w.action == nil {
		os.WriteFile(u.startedAt, nil, 0o644)
	}
}

// run runs one hook or action with Juju's environment; apply applies what
// its tools changed.
func (u *unitAgent) run(ctx context.Context, w *work) (ran, error) {
	name := w.ev.Name
	if w.action != nil {
		name = w.action.Name
	}
	relation := hooktools.NoRelation
	if w.inRelation {
		relation = w.relation
	}
	h := u.store().Begin(name, w.action, relation, w.remote)
	id := make([]byte, 16)
	rand.Read(id)
	ctxID := fmt.Sprintf("%s-%s-%s", u.unit, name, hex.EncodeToString(id))
	u.mu.Lock()
	u.running[ctxID] = h
	u.hooks++
	n := u.hooks
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		delete(u.running, ctxID)
		u.mu.Unlock()
	}()
	exe, dispatchPath := u.handler(w)
	if exe == "" {
		return ran{hook: h}, nil // no handler: Juju skips the hook, and it succeeds
	}
	var stdout, stderr bytes.Buffer
	code, err := u.exec(ctx, exe, u.env(w, ctxID, dispatchPath), &stdout, &stderr)
	u.keepOutput(n, name, stdout.Bytes(), stderr.Bytes())
	if err != nil {
		return ran{code: -1, hook: h}, fmt.Errorf("cannot run %s: %w", exe, err)
	}
	return ran{code: code, stderr: stderr.String(), logs: h.Logged(), hook: h}, nil
}

// exec runs a hook's handler in the charm dir with env: from the charm's
// zygote where there is one and the handler is its dispatch
// (zygote.go), else as a process of its own. It returns the exit code.
func (u *unitAgent) exec(ctx context.Context, exe string, env []string, stdout, stderr io.Writer) (int, error) {
	if z := u.zygote(); z != nil && exe == filepath.Join(u.cfg.Dir, "dispatch") {
		code, err := z.run(ctx, env, u.cfg.Dir, stdout, stderr)
		if !errors.Is(err, errZygoteGone) {
			return code, err
		}
		// It died: this hook and the next run as processes.
		fmt.Fprintln(os.Stderr, "charm-agent:", err, "(hooks run as processes of their own from now)")
		u.mu.Lock()
		u.zyg = nil
		u.mu.Unlock()
		z.stop()
	}
	cmd := exec.CommandContext(ctx, exe)
	// Its own process group, killed whole when the agent stops; a child
	// that keeps the hook's output open does not keep the hook running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = u.cfg.Dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// zygote is the charm's zygote, started at the first hook, where the
// harness asked for one and the charm's dispatch is charmcraft's; nil
// otherwise (then, and should it fail to start, hooks run as processes).
func (u *unitAgent) zygote() *zygote {
	if !u.cfg.Zygote {
		return nil
	}
	u.zygoteOnce.Do(func() {
		z, err := startZygote(u.cfg, filepath.Dir(u.statePath))
		if err != nil {
			fmt.Fprintln(os.Stderr, "charm-agent:", err, "(hooks run as processes of their own)")
		}
		u.mu.Lock()
		u.zyg = z
		u.mu.Unlock()
	})
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.zyg
}

// handler is what runs for the work: dispatch, else hooks/<name> (or
// actions/<name>), else nothing (runner.go discoverHookHandler).
func (u *unitAgent) handler(w *work) (exe, dispatchPath string) {
	dispatchPath = "hooks/" + w.ev.Name
	if w.action != nil {
		dispatchPath = "actions/" + w.action.Name
	}
	for _, p := range []string{"dispatch", dispatchPath} {
		full := filepath.Join(u.cfg.Dir, p)
		if st, err := os.Stat(full); err == nil && !st.IsDir() {
			return full, dispatchPath
		}
	}
	return "", dispatchPath
}

// env is a hook's environment, built from scratch as Juju 3.6 builds it
// (context.go HookVars, JUJU-CONTRACT.md §1.2).
func (u *unitAgent) env(w *work, ctxID, dispatchPath string) []string {
	dir := u.cfg.Dir
	env := map[string]string{
		"CHARM_DIR": dir, "JUJU_CHARM_DIR": dir, "JUJU_CONTEXT_ID": ctxID,
		"JUJU_DISPATCH_PATH": dispatchPath, "JUJU_HOOK_NAME": w.ev.Name,
		"JUJU_AGENT_SOCKET_ADDRESS": u.socket, "JUJU_AGENT_SOCKET_NETWORK": "unix",
		"JUJU_UNIT_NAME": string(u.unit), "JUJU_MODEL_NAME": "tandem", "JUJU_MODEL_UUID": hooktools.ModelUUID,
		"JUJU_VERSION": JujuVersion, "JUJU_API_ADDRESSES": "", "JUJU_SLA": "unsupported",
		"JUJU_MACHINE_ID": "", "JUJU_PRINCIPAL_UNIT": "", "JUJU_AVAILABILITY_ZONE": "", "CLOUD_API_VERSION": "",
		"JUJU_CHARM_HTTP_PROXY": "", "JUJU_CHARM_HTTPS_PROXY": "", "JUJU_CHARM_FTP_PROXY": "", "JUJU_CHARM_NO_PROXY": "",
		"APT_LISTCHANGES_FRONTEND": "none", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8",
		"TERM": "tmux-256color", "PATH": u.cfg.ToolsDir + ":" + u.cfg.Path,
	}
	if w.workload != "" {
		env["JUJU_WORKLOAD_NAME"] = w.workload
	}
	switch {
	case strings.HasSuffix(w.ev.Name, "-pebble-custom-notice"):
		env["JUJU_NOTICE_ID"], env["JUJU_NOTICE_TYPE"], env["JUJU_NOTICE_KEY"] = w.noticeID, "custom", w.ev.Key
	case strings.HasSuffix(w.ev.Name, "-pebble-check-failed"), strings.HasSuffix(w.ev.Name, "-pebble-check-recovered"):
		env["JUJU_PEBBLE_CHECK_NAME"] = w.ev.Key
	}
	if w.inRelation {
		for _, r := range u.store().Snapshot().Relations {
			if r.ID == w.relation {
				env["JUJU_RELATION"], env["JUJU_RELATION_ID"], env["JUJU_REMOTE_APP"] = r.Endpoint, r.Ref(), r.RemoteApp
			}
		}
		env["JUJU_REMOTE_UNIT"] = w.remote
		if strings.HasSuffix(w.ev.Name, "-relation-departed") {
			env["JUJU_DEPARTING_UNIT"] = w.remote
			if w.departing != "" {
				env["JUJU_DEPARTING_UNIT"] = w.departing
			}
		}
	}
	if w.action != nil {
		env["JUJU_HOOK_NAME"] = "" // Juju's action context never sets it
		env["JUJU_ACTION_NAME"], env["JUJU_ACTION_UUID"], env["JUJU_ACTION_TAG"] = w.action.Name, w.action.ID, "action-"+w.action.ID
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// save keeps the unit's state on the charm-data volume: a restarted
// charm container's agent takes it up again.
func (u *unitAgent) save() {
	u.saveMu.Lock()
	defer u.saveMu.Unlock()
	data, err := json.Marshal(u.store().Snapshot())
	if err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(u.statePath), "unit-*.json")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if f.Close() == nil && err == nil {
		os.Rename(f.Name(), u.statePath)
	} else {
		os.Remove(f.Name())
	}
}

func (u *unitAgent) keepOutput(n int, name string, stdout, stderr []byte) {
	if u.cfg.OutputDir == "" {
		return
	}
	os.MkdirAll(u.cfg.OutputDir, 0o755)
	base := filepath.Join(u.cfg.OutputDir, fmt.Sprintf("%03d-%s", n, name))
	os.WriteFile(base+".stdout", stdout, 0o644)
	os.WriteFile(base+".stderr", stderr, 0o644)
}

// lastLines is the end of a hook's standard error: where Python prints
// the traceback that failed it.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
