package simulator

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	pathpkg "path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/canonical/pebble/client"
	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

// pebbleDir is $PEBBLE in a workload container (REFERENCE R1).
const pebbleDir = spec.WorkloadSharedDir + "/pebble"

// pebble is one run of Pebble as PID 1 of a workload container: from the
// container's start to its death. A new run has a new boot id and reloads
// its plan from $PEBBLE/layers only (R3.2).
type pebble struct {
	ctr      *container
	bootID   string
	alive    bool
	layers   []*layer // file layers, then API layers (R4.5)
	apiFrom  int      // index of the first API layer
	plan     *plan
	services map[string]*svc
	checks   map[string]*chk
	changes  map[string]*change
	lastChg  int
	notices  []*client.Notice
}

// change is a Pebble change: a start, stop, replan or check task set.
type change struct {
	p      *pebble
	id     string
	kind   string
	status string
	errs   []string
	tasks  map[string]bool // service -> finished
	spawn  time.Duration
	ready  time.Duration
	isDone bool
	// then holds what runs when a task ends: the next task of its lane.
	then map[string]func(ok bool)
	// waiters are the charm's waits on the change: each runs once, when
	// it is ready or its Pebble exits first.
	waiters []func(exited bool)
}

// wake ends the charm's waits on the change.
func (c *change) wake(exited bool) {
	ws := c.waiters
	c.waiters = nil
	for _, w := range ws {
		w(exited)
	}
}

func (p *pebble) newChange(kind string, services []string) *change {
	p.lastChg++
	c := &change{p: p, id: strconv.Itoa(p.lastChg), kind: kind, status: "Doing", tasks: map[string]bool{}, spawn: p.now()}
	for _, s := range services {
		c.tasks[s] = false
	}
	p.changes[c.id] = c
	c.maybeReady()
	return c
}

func (c *change) done(service string) { c.finish(service, true) }

func (c *change) fail(service, msg string) {
	c.errs = append(c.errs, fmt.Sprintf("%s: %s", service, msg))
	c.finish(service, false)
}

func (c *change) finish(service string, ok bool) {
	if fin, known := c.tasks[service]; known && fin {
		return
	}
	c.tasks[service] = true
	if next := c.then[service]; next != nil {
		delete(c.then, service)
		next(ok)
	}
	c.maybeReady()
}

// addTask adds a task to a change not yet ready.
func (c *change) addTask(service string) {
	c.tasks[service] = false
	c.isDone, c.status = false, "Doing"
}

// runLanes runs op on each service, lane by lane (servstate Start and
// Stop): a task waits for the one before it in its lane; a failed task
// holds the rest of its lane.
func (p *pebble) runLanes(chg *change, lanes [][]string, op func(s *svc, chg *change)) {
	for _, lane := range lanes {
		for _, name := range lane {
			chg.addTask(name)
		}
	}
	for _, lane := range lanes {
		p.runLane(chg, lane, op)
	}
	chg.maybeReady()
}

func (p *pebble) runLane(chg *change, lane []string, op func(s *svc, chg *change)) {
	if len(lane) == 0 {
		return
	}
	if chg.then == nil {
		chg.then = map[string]func(bool){}
	}
	chg.then[lane[0]] = func(ok bool) {
		if ok {
			p.runLane(chg, lane[1:], op)
			return
		}
		for _, held := range lane[1:] {
			chg.tasks[held] = true // Hold: never run
		}
	}
	op(p.service(lane[0]), chg)
}

func (c *change) maybeReady() {
	if c.isDone {
		return
	}
	for _, fin := range c.tasks {
		if !fin {
			return
		}
	}
	c.isDone, c.ready = true, c.p.now()
	c.status = "Done"
	if len(c.errs) > 0 {
		c.status = "Error"
	}
	c.wake(false)
}

// hasTask says whether the change acts on service.
func (c *change) hasTask(service string) bool {
	_, ok := c.tasks[service]
	return ok
}

func (c *change) info() *client.Change {
	epoch := c.p.ctr.pod.u.m.epoch
	out := &client.Change{ID: c.id, Kind: c.kind, Summary: c.kind, Status: c.status, Ready: c.isDone, SpawnTime: epoch.Add(c.spawn)}
	if c.isDone {
		out.ReadyTime = epoch.Add(c.ready)
	}
	if len(c.errs) > 0 {
		sort.Strings(c.errs)
		out.Err = "cannot perform the following tasks:\n- " + strings.Join(c.errs, "\n- ")
	}
	// A task per service, as servstate makes them (the model keeps no
	// time per task: each has the change's).
	verb := map[bool]string{true: "stop", false: "start"}[c.kind == "stop"]
	for _, name := range slices.Sorted(maps.Keys(c.tasks)) {
		t := &client.Task{ID: c.id + "-" + name, Kind: verb, Summary: fmt.Sprintf("%s service %q", strings.ToUpper(verb[:1])+verb[1:], name),
			Status: "Doing", SpawnTime: out.SpawnTime, Progress: client.TaskProgress{Total: 1}}
		if c.tasks[name] {
			t.Status, t.Progress.Done, t.ReadyTime = "Done", 1, epoch.Add(max(c.ready, c.spawn))
			for _, e := range c.errs {
				if strings.HasPrefix(e, name+": ") {
					t.Status = "Error"
				}
			}
		}
		out.Tasks = append(out.Tasks, t)
	}
	return out
}

// newPebble starts Pebble in ctr: PEBBLE_COPY_ONCE (R4.7), then the
// layers in $PEBBLE/layers (R4.5); with --hold nothing starts (R3.2).
func newPebble(ctr *container) (*pebble, error) {
	p := &pebble{ctr: ctr, alive: true, services: map[string]*svc{}, checks: map[string]*chk{}, changes: map[string]*change{}}
	p.bootID = ctr.pod.u.m.newUUID()
	fs := ctr.fs
	if len(fs.children(pebbleDir)) == 0 {
		for _, f := range fs.children(spec.PebbleCopyOnceDir + "/layers") {
			n := fs.get(f)
			fs.mkdirAll(pebbleDir+"/layers", 0o755, 0, 0)
			fs.put(pebbleDir+"/layers/"+pathpkg.Base(f), &fsNode{content: n.content, mode: n.mode})
		}
	}
	fs.mkdirAll(pebbleDir, 0o755, 0, 0)
	for _, f := range fs.children(pebbleDir + "/layers") {
		order, label, err := parseLayerFileName(pathpkg.Base(f))
		if err != nil {
			return nil, err
		}
		l, err := parseLayer(order, label, []byte(fs.get(f).content))
		if err != nil {
			return nil, err
		}
		p.layers = append(p.layers, l)
	}
	p.apiFrom = len(p.layers)
	pl, err := buildPlan(p.layers)
	if err != nil {
		return nil, err
	}
	p.plan = pl
	p.planChanged()
	return p, nil
}

func (p *pebble) now() time.Duration { return p.ctr.pod.u.m.Clock.Now() }

// after schedules fn on the model's clock for as long as this Pebble lives.
func (p *pebble) after(d time.Duration, fn func()) *Timer {
	return p.ctr.pod.u.m.Clock.AfterFunc(d, func() {
		if p.alive {
			fn()
		}
	})
}

func (p *pebble) jitter(d time.Duration) time.Duration {
	return time.Duration(p.ctr.pod.u.m.rng.Float64() * d.Seconds() * 0.1 * float64(time.Second))
}

// log records one of Pebble's own log lines, worded as Pebble words it,
// and what a real substrate derives from it (spec.LogDeriver): the model's
// trace holds what a real run's can.
func (p *pebble) log(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.observe(spec.Record{Type: spec.RecLog, Message: msg})
	for _, r := range p.ctr.derive.Derive(msg) {
		if r.Type != spec.RecCheck { // checks record their own state, up as well as down
			p.observe(r)
		}
	}
}

func (p *pebble) observe(r spec.Record) {
	r.Container = p.ctr.name
	p.ctr.pod.u.observe(r)
}

// shutdown is Pebble exiting with code (R5.3): as the daemon's Stop does,
// it first stops every service that is starting, running or backing off,
// waiting at most the stop timeout; then the container dies.
func (p *pebble) shutdown(code int) {
	p.after(0, func() {
		var names []string
		timeout := defaultKillDelay
		for _, name := range sortedKeys(p.services) {
			s := p.services[name]
			switch s.state {
			case stateStarting, stateRunning, stateBackoff:
				names = append(names, name)
				timeout = max(timeout, s.killDelay())
			}
		}
		die := func() { p.ctr.die(fmt.Sprintf("pebble exited with code %d", code)) }
		if len(names) == 0 {
			die()
			return
		}
		order, err := p.plan.stopOrder(names)
		if err != nil {
			die()
			return
		}
		var todo []string
		for _, n := range order {
			if contains(names, n) {
				todo = append(todo, n)
			}
		}
		chg := p.newChange("stop", nil)
		p.runLanes(chg, p.plan.lanes(todo), stopTask)
		deadline := p.now() + timeout + failDelay + 100*time.Millisecond
		var wait func()
		wait = func() {
			if chg.isDone || p.now() >= deadline {
				die()
				return
			}
			p.after(10*time.Millisecond, wait)
		}
		wait()
	})
}

// kill ends this Pebble run: its processes die with the container.
func (p *pebble) kill() {
	p.alive = false
	for _, id := range sortedKeys(p.changes) {
		p.changes[id].wake(true)
	}
	for _, c := range p.checks {
		c.stop()
	}
}

// --- plan -------------------------------------------------------------

func (p *pebble) addLayer(label string, data []byte, combine bool) error {
	l, err := parseLayer(0, label, data)
	if err != nil {
		return err
	}
	layers := append([]*layer(nil), p.layers...)
	idx := -1
	for i, old := range layers {
		if old.Label == label {
			idx = i
		}
	}
	switch {
	case idx >= 0 && !combine:
		return fmt.Errorf("layer %q already exists", label)
	case idx >= 0:
		// What the two layers said, without defaults: combining twice
		// must not turn a default into a set value.
		merged, err := combineRaw([]*layer{layers[idx], l})
		if err != nil {
			return err
		}
		merged.Order, merged.Label = layers[idx].Order, label
		layers[idx] = merged
	default:
		order := 1
		if len(layers) > 0 {
			order = layers[len(layers)-1].Order + 1
		}
		l.Order = order
		layers = append(layers, l)
	}
	pl, err := buildPlan(layers)
	if err != nil {
		return err
	}
	p.layers, p.plan = layers, pl
	p.planChanged()
	return nil
}

// planChanged restarts checks whose definition changed (checkstate's
// PlanChanged) and drops services no longer defined that are not running.
func (p *pebble) planChanged() {
	for name, c := range p.checks {
		nc, ok := p.plan.Checks[name]
		if !ok || yamlString(nc) != yamlString(c.cfg) {
			c.stop()
			delete(p.checks, name)
		}
	}
	for _, name := range sortedKeys(p.plan.Checks) {
		if _, ok := p.checks[name]; ok {
			continue
		}
		cfg := p.plan.Checks[name]
		c := &chk{p: p, cfg: cfg, status: "up", startup: cfg.Startup}
		if c.startup == "" {
			c.startup = "enabled"
		}
		p.checks[name] = c
		if c.startup == "enabled" {
			c.start()
		}
	}
}

func yamlString(v any) string {
	b, _ := yaml.Marshal(v)
	return string(b)
}

// service returns the state machine for a plan service, creating it in
// its initial state; an existing one gets the plan's current config, as
// serviceForStart does.
func (p *pebble) service(name string) *svc {
	s, ok := p.services[name]
	if !ok {
		s = &svc{p: p, state: stateInitial}
		p.services[name] = s
	}
	s.cfg = p.plan.Services[name].copy()
	return s
}

// startTask is one start task (servstate doStart): a service already
// started is done at once; one backing off, stopped or exited starts
// afresh, its back-off reset (R5.4).
func startTask(s *svc, chg *change) {
	switch s.state {
	case stateStarting, stateRunning:
		chg.done(s.name())
		return
	case stateBackoff, stateStopped, stateExited:
		s.proc++ // cancels a pending back-off restart
		s.backoffNum, s.backoffTime = 0, 0
		s.state = stateInitial
	}
	s.start(chg)
}

func stopTask(s *svc, chg *change) { s.stop(chg) }

// startServices starts names and what they require, in lanes (R5.6).
func (p *pebble) startServices(kind string, names []string) (string, error) {
	order, err := p.plan.startOrder(names)
	if err != nil {
		return "", err
	}
	chg := p.newChange(kind, nil)
	p.runLanes(chg, p.plan.lanes(order), startTask)
	return chg.id, nil
}

// stopServices stops names and what requires them, in lanes; only, when
// set, limits them to those services.
func (p *pebble) stopServices(kind string, names []string, only ...string) (string, error) {
	order, err := p.plan.stopOrder(names)
	if err != nil {
		return "", err
	}
	var todo []string
	for _, n := range order {
		if len(only) > 0 && !contains(only, n) {
			continue
		}
		if s, ok := p.services[n]; ok && s.state != stateStopped && s.state != stateInitial && s.state != stateExited {
			todo = append(todo, n)
		}
	}
	chg := p.newChange(kind, nil)
	p.runLanes(chg, p.plan.lanes(todo), stopTask)
	return chg.id, nil
}

// replan is servstate's Replan (R5.6): a service Pebble knows (started
// once, in any state) whose configuration changed is stopped and started
// again, even if it is disabled; what requires it is stopped with it
// (the stop order) and started again only if it is enabled; then every
// startup: enabled service starts, as one change.
func (p *pebble) replan() (string, error) {
	needsRestart := map[string]bool{}
	var changed, start []string
	for _, name := range sortedKeys(p.services) {
		s := p.services[name]
		cfg, inPlan := p.plan.Services[name]
		if inPlan && yamlString(cfg) == yamlString(s.cfg) {
			continue
		}
		needsRestart[name] = true
		if inPlan {
			s.cfg = cfg.copy()
			changed = append(changed, name)
		}
	}
	for _, name := range sortedKeys(p.plan.Services) {
		if needsRestart[name] || p.plan.Services[name].Startup == "enabled" {
			start = append(start, name)
		}
	}
	stopOrder, err := p.plan.stopOrder(changed)
	if err != nil {
		return "", err
	}
	var stop []string
	for _, name := range stopOrder {
		if s, ok := p.services[name]; ok && (s.state == stateStarting || s.state == stateRunning || s.state == stateBackoff) {
			stop = append(stop, name)
		}
	}
	for name := range needsRestart {
		if _, inPlan := p.plan.Services[name]; !inPlan && !contains(stop, name) {
			if s := p.services[name]; s.state == stateStarting || s.state == stateRunning || s.state == stateBackoff {
				stop = append(stop, name)
			}
		}
	}
	startOrder, err := p.plan.startOrder(start)
	if err != nil {
		return "", err
	}
	chg := p.newChange("replan", nil)
	launch := func() { p.runLanes(chg, p.plan.lanes(startOrder), startTask) }
	if len(stop) == 0 {
		launch()
		return chg.id, nil
	}
	stopChg := p.newChange("replan-stop", nil)
	chg.addTask("(stop)")
	p.runLanes(stopChg, p.plan.lanes(stop), stopTask)
	p.whenReady(stopChg, func() {
		chg.done("(stop)")
		launch()
	})
	return chg.id, nil
}

// whenReady runs fn once chg is ready.
func (p *pebble) whenReady(chg *change, fn func()) {
	if chg.isDone {
		fn()
		return
	}
	p.after(10*time.Millisecond, func() { p.whenReady(chg, fn) })
}

// --- checks (R6) -----------------------------------------------------

type chk struct {
	p         *pebble
	cfg       *check
	startup   string
	status    string
	failures  int
	successes int
	recover   bool
	chgID     string
	gen       int
	running   bool
	// ticker is when this check's ticks fall (checkticks.go).
	ticker tickGrid
}

func (c *chk) start() {
	c.running = true
	c.gen++
	c.ticker = tickGrid{}
	c.newChange()
	c.schedule()
}

func (c *chk) newChange() {
	kind := "perform-check"
	if c.recover {
		kind = "recover-check"
	}
	c.chgID = c.p.newChange(kind, []string{c.cfg.Name}).id
}

func (c *chk) stop() {
	c.running = false
	c.gen++
}

func (c *chk) schedule() {
	gen := c.gen
	c.p.after(c.untilTick(), func() {
		if c.gen != gen || !c.running {
			return
		}
		c.run()
		if c.gen == gen && c.running {
			c.schedule()
		}
	})
}

// run performs the check once (checkstate's doPerformCheck / doRecoverCheck).
// A check that times out ends when its timeout has passed.
func (c *chk) run() {
	err := c.p.ctr.pod.probe(c.p.ctr, c.cfg)
	var timedOut *checkTimeout
	if errors.As(err, &timedOut) {
		gen := c.gen
		c.p.after(timedOut.after, func() {
			if c.gen == gen && c.running {
				c.result(err)
			}
		})
		return
	}
	c.result(err)
}

// checkTimeout is checkstate's runCheck failing a check whose command was
// still running at its timeout.
type checkTimeout struct{ after time.Duration }

func (e *checkTimeout) Error() string { return fmt.Sprintf("check timed out after %v", e.after) }

// result takes one outcome of the check.
func (c *chk) result(err error) {
	name := c.cfg.Name
	if err != nil {
		c.failures++
		c.p.log("Check %q failure %d/%d: %v", name, c.failures, c.cfg.Threshold, err)
		if !c.recover && c.failures >= c.cfg.Threshold {
			c.p.log("Check %q threshold %d hit, triggering action and recovering", name, c.cfg.Threshold)
			c.setStatus("down")
			c.p.changes[c.chgID].fail(name, err.Error())
			for _, sname := range sortedKeys(c.p.services) {
				s := c.p.services[sname]
				if action, ok := s.cfg.OnCheckFailure[name]; ok {
					s.checkFailed(action)
				}
			}
			c.recover = true
			c.newChange()
			// The recover-check change has a ticker of its own, from now
			// (a check that timed out ends after its tick).
			c.gen++
			c.ticker = tickGrid{}
			c.schedule()
			c.p.ctr.pod.checkEvent(c.p.ctr, spec.CheckFailed(c.p.ctr.name), name)
		}
		return
	}
	c.successes++
	if c.recover {
		c.p.changes[c.chgID].done(name)
		c.failures = 0
		c.setStatus("up")
		c.recover = false
		c.newChange()
		c.p.ctr.pod.checkEvent(c.p.ctr, spec.CheckRecovered(c.p.ctr.name), name)
		return
	}
	c.failures = 0
}

func (c *chk) setStatus(st string) {
	if c.status != st {
		c.status = st
		c.p.observe(spec.Record{Type: spec.RecCheck, Check: c.cfg.Name, State: st})
		if c.p.ctr.pebble == c.p {
			c.p.ctr.healthChanged()
		}
	}
}

// healthy answers GET /v1/health (R6.3): a down check of the level asked
// makes it unhealthy; ready also counts alive checks.
func (p *pebble) healthy(level string, names []string) bool {
	for _, name := range sortedKeys(p.checks) {
		c := p.checks[name]
		if len(names) > 0 && !contains(names, name) {
			continue
		}
		if c.status != "down" {
			continue
		}
		switch level {
		case "", "ready":
			return false
		case "alive":
			if c.cfg.Level == "alive" {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// --- the client API --------------------------------------------------

// Client is the model's Pebble for one container of one unit, reached as
// a charm reaches it: while the container is down, or the pod is gone, it
// cannot connect (R2.6).
type Client struct {
	u         *Unit
	container string
}

var (
	_ spec.PebbleClient = (*Client)(nil)
	_ spec.FileLister   = (*Client)(nil)
	_ spec.Executor     = (*Client)(nil)
	_ spec.Dialer       = (*Client)(nil)
)

func (c *Client) pebble() (*pebble, error) {
	if pod := c.u.pod; pod != nil {
		if ctr, ok := pod.containers[c.container]; ok && ctr.up && ctr.pebble != nil {
			return ctr.pebble, nil
		}
	}
	return nil, &client.SocketNotFoundError{Path: spec.SocketPath(c.container), Err: fmt.Errorf("socket %q not found", spec.SocketPath(c.container))}
}

func apiError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*client.Error); ok {
		return err
	}
	return &client.Error{Kind: "", Message: err.Error(), StatusCode: 400}
}

func (c *Client) AddLayer(opts *client.AddLayerOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	if opts.LayerData == nil {
		return apiError(fmt.Errorf("no layer data"))
	}
	return apiError(p.addLayer(opts.Label, opts.LayerData, opts.Combine))
}

func (c *Client) Replan(opts *client.ServiceOptions) (string, error) {
	p, err := c.pebble()
	if err != nil {
		return "", err
	}
	id, err := p.replan()
	return id, apiError(err)
}

func (c *Client) Start(opts *client.ServiceOptions) (string, error) {
	p, err := c.pebble()
	if err != nil {
		return "", err
	}
	id, err := p.startServices("start", opts.Names)
	return id, apiError(err)
}

func (c *Client) Stop(opts *client.ServiceOptions) (string, error) {
	p, err := c.pebble()
	if err != nil {
		return "", err
	}
	id, err := p.stopServices("stop", opts.Names)
	return id, apiError(err)
}

// Restart stops names, then starts them once they are stopped.
func (c *Client) Restart(opts *client.ServiceOptions) (string, error) {
	p, err := c.pebble()
	if err != nil {
		return "", err
	}
	// Only the named services stop (the daemon intersects the stop order
	// with them); their requirements start if they are not running.
	stopID, err := p.stopServices("stop", opts.Names, opts.Names...)
	if err != nil {
		return "", apiError(err)
	}
	order, err := p.plan.startOrder(opts.Names)
	if err != nil {
		return "", apiError(err)
	}
	chg := p.newChange("restart", nil)
	chg.addTask("(stop)")
	p.whenReady(p.changes[stopID], func() {
		chg.done("(stop)")
		p.runLanes(chg, p.plan.lanes(order), startTask)
	})
	return chg.id, nil
}

// WaitChange lets virtual time pass until the change is ready. From inside
// a model callback (a charm handler) time cannot pass, so it reports the
// change as it stands.
func (c *Client) WaitChange(id string, opts *client.WaitChangeOptions) (*client.Change, error) {
	p, chg, err := c.change(id)
	if err != nil {
		return nil, err
	}
	clock := c.u.m.Clock
	limit := time.Hour
	if opts != nil && opts.Timeout > 0 {
		limit = opts.Timeout
	}
	deadline := clock.Now() + limit
	for !chg.isDone && !clock.Dispatching() && clock.Now() < deadline && p.alive {
		clock.RunUntil(min(clock.Now()+10*time.Millisecond, deadline))
	}
	if !chg.isDone && !p.alive {
		return nil, &client.Error{Message: "cannot wait for change: pebble exited", StatusCode: 500}
	}
	if !chg.isDone && clock.Now() >= deadline {
		return nil, &client.Error{Message: fmt.Sprintf("timeout waiting for change %s", id), StatusCode: 504}
	}
	return chg.info(), nil
}

// Changes lists the changes as they are now, oldest first: those in
// progress, those ready, or all (Pebble's GET /v1/changes, its select).
func (c *Client) Changes(opts *client.ChangesOptions) ([]*client.Change, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	var out []*client.Change
	for i := 1; i <= p.lastChg; i++ {
		chg, ok := p.changes[strconv.Itoa(i)]
		if !ok {
			continue
		}
		switch {
		case opts != nil && opts.Selector == client.ChangesInProgress && chg.isDone,
			opts != nil && opts.Selector == client.ChangesReady && !chg.isDone:
			continue
		case opts != nil && opts.ServiceName != "" && !chg.hasTask(opts.ServiceName):
			continue
		}
		out = append(out, chg.info())
	}
	return out, nil
}

// Change is a change as it is now, without moving the clock (Pebble's
// GET /v1/changes/{id}).
func (c *Client) Change(id string) (*client.Change, error) {
	_, chg, err := c.change(id)
	if err != nil {
		return nil, err
	}
	return chg.info(), nil
}

// change finds a change of the container's Pebble by its id, as Pebble's
// API does: not found is a 404.
func (c *Client) change(id string) (*pebble, *change, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, nil, err
	}
	chg, ok := p.changes[id]
	if !ok {
		return nil, nil, &client.Error{Kind: "not-found", Message: fmt.Sprintf("cannot find change with id %q", id), StatusCode: 404}
	}
	return p, chg, nil
}

func (c *Client) Services(opts *client.ServicesOptions) ([]*client.ServiceInfo, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	var out []*client.ServiceInfo
	for _, name := range sortedKeys(p.plan.Services) {
		if opts != nil && len(opts.Names) > 0 && !contains(opts.Names, name) {
			continue
		}
		startup := client.StartupDisabled
		if p.plan.Services[name].Startup == "enabled" {
			startup = client.StartupEnabled
		}
		info := &client.ServiceInfo{Name: name, Startup: startup, Current: client.StatusInactive}
		if s, ok := p.services[name]; ok {
			info.Current = client.ServiceStatus(statusOf(s.state))
			info.CurrentSince = c.u.m.epoch.Add(s.since)
		}
		out = append(out, info)
	}
	return out, nil
}

func (c *Client) Checks(opts *client.ChecksOptions) ([]*client.CheckInfo, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	var out []*client.CheckInfo
	for _, name := range sortedKeys(p.checks) {
		ch := p.checks[name]
		if opts != nil && len(opts.Names) > 0 && !contains(opts.Names, name) {
			continue
		}
		if opts != nil && opts.Level != "" && string(opts.Level) != ch.cfg.Level {
			continue
		}
		succ := ch.successes
		status := client.CheckStatusUp
		if ch.status == "down" {
			status = client.CheckStatusDown
		}
		if !ch.running {
			status = client.CheckStatusInactive
		}
		out = append(out, &client.CheckInfo{Name: name, Level: client.CheckLevel(ch.cfg.Level), Startup: client.CheckStartup(ch.startup),
			Status: status, Failures: ch.failures, Threshold: ch.cfg.Threshold, ChangeID: ch.chgID, Successes: &succ})
	}
	return out, nil
}

func (c *Client) Health(opts *client.HealthOptions) (bool, error) {
	p, err := c.pebble()
	if err != nil {
		return false, err
	}
	return p.healthy(string(opts.Level), opts.Names), nil
}

func (c *Client) Push(opts *client.PushOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(opts.Source)
	if err != nil {
		return fmt.Errorf("cannot read push source: %w", err)
	}
	perms := ""
	if opts.Permissions != 0 {
		perms = fmt.Sprintf("%03o", opts.Permissions.Perm())
	}
	return p.ctr.fs.push(opts.Path, string(data), perms, opts.UserID, opts.User, opts.GroupID, opts.Group, opts.MakeDirs)
}

func (c *Client) Pull(opts *client.PullOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	var content string
	switch opts.Path {
	case spec.ProcNetTCP:
		// The kernel's, not the image's: the pod's listening sockets.
		content = spec.ProcNetTCPContent(p.ctr.pod.listening())
	case spec.ProcNetTCP6:
		content = spec.ProcNetTCPContent(nil)
	default:
		content, err = p.ctr.fs.pull(opts.Path)
		if err != nil {
			return err
		}
	}
	_, err = io.Copy(opts.Target, strings.NewReader(content))
	return err
}

func (c *Client) MakeDir(opts *client.MakeDirOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	perms := ""
	if opts.Permissions != 0 {
		perms = fmt.Sprintf("%03o", opts.Permissions.Perm())
	}
	return p.ctr.fs.makeDir(opts.Path, opts.MakeParents, perms, opts.UserID, opts.User, opts.GroupID, opts.Group)
}

func (c *Client) RemovePath(opts *client.RemovePathOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	return p.ctr.fs.remove(opts.Path, opts.Recursive)
}

func (c *Client) ListFiles(opts *client.ListFilesOptions) ([]spec.FileEntry, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	return p.ctr.fs.list(opts.Path, opts.Pattern, opts.Itself)
}

// Dial plays the charm opening a TCP connection to localhost:port: the
// pod's containers share a network namespace, so it succeeds while a
// service of any of them listens there (R1.6).
func (c *Client) Dial(port int) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	if p.ctr.pod.server(port, nil) == nil {
		return fmt.Errorf("dial tcp 127.0.0.1:%d: connect: connection refused", port)
	}
	return nil
}

// Run plays an exec of a command whose behaviour the model knows.
func (c *Client) Run(command []string, timeout time.Duration) (spec.ExecResult, error) {
	p, err := c.pebble()
	if err != nil {
		return spec.ExecResult{}, err
	}
	if len(command) == 0 {
		return spec.ExecResult{}, apiError(fmt.Errorf("must specify command"))
	}
	beh, err := spec.ResolveArgv(command, p.ctr.spec.Programs)
	if err != nil {
		return spec.ExecResult{}, apiError(fmt.Errorf("cannot find executable %q", command[0]))
	}
	// Pebble runs the command in the user's home directory, and refuses
	// when it is missing.
	home := "/root"
	if n := p.ctr.fs.get("/etc/passwd"); n != nil {
		for _, line := range strings.Split(n.content, "\n") {
			if f := strings.Split(line, ":"); len(f) >= 6 && f[0] == "root" {
				home = f[5]
			}
		}
	}
	if hn := p.ctr.fs.get(home); hn == nil || !hn.dir {
		return spec.ExecResult{}, apiError(fmt.Errorf("cannot call exec: home directory %q does not exist", home))
	}
	res := spec.ExecResult{Stdout: beh.Print, ExitCode: beh.ExitCode}
	if beh.FailIfExists != "" {
		res.ExitCode = 0
		if p.ctr.fs.get(beh.FailIfExists) != nil {
			res.ExitCode = 1
		}
	}
	if !beh.Exits {
		return res, apiError(fmt.Errorf("timed out after %v", timeout))
	}
	return res, nil
}

// Notify records a custom notice (R2.2).
func (c *Client) Notify(opts *client.NotifyOptions) (string, error) {
	p, err := c.pebble()
	if err != nil {
		return "", err
	}
	if opts.Type != client.CustomNotice {
		return "", apiError(fmt.Errorf(`invalid type %q (can only add "custom" notices)`, opts.Type))
	}
	if !strings.Contains(opts.Key, "/") {
		return "", apiError(fmt.Errorf(`cannot add custom notice with invalid key %q: must be in "example.com/path" format`, opts.Key))
	}
	at := c.u.m.epoch.Add(p.now())
	for _, n := range p.notices {
		if n.Type == opts.Type && n.Key == opts.Key {
			n.Occurrences++
			n.LastOccurred, n.LastRepeated, n.LastData = at, at, opts.Data
			p.ctr.pod.noticeEvent(p.ctr, opts.Key)
			return n.ID, nil
		}
	}
	// The charm adds it as root (user-id 0); Pebble keeps a notice a
	// week after it last occurred unless told (state.defaultNoticeExpireAfter).
	root := uint32(0)
	n := &client.Notice{ID: strconv.Itoa(len(p.notices) + 1), Type: opts.Type, Key: opts.Key, UserID: &root,
		FirstOccurred: at, LastOccurred: at, LastRepeated: at, Occurrences: 1, LastData: opts.Data, ExpireAfter: 7 * 24 * time.Hour}
	p.notices = append(p.notices, n)
	p.ctr.pod.noticeEvent(p.ctr, opts.Key)
	return n.ID, nil
}

func (c *Client) Notices(opts *client.NoticesOptions) ([]*client.Notice, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	var out []*client.Notice
	for _, n := range p.notices {
		if opts != nil && len(opts.Keys) > 0 && !contains(opts.Keys, n.Key) {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func (c *Client) SysInfo() (*client.SysInfo, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	return &client.SysInfo{Version: "v1.26.0", BootID: p.bootID}, nil
}

// SendSignal sends a signal to running services, as Pebble does.
func (c *Client) SendSignal(opts *client.SendSignalOptions) error {
	p, err := c.pebble()
	if err != nil {
		return err
	}
	if _, ok := signalNumbers[opts.Signal]; !ok {
		return apiError(fmt.Errorf("cannot send signal %q: invalid signal name", opts.Signal))
	}
	for _, name := range opts.Services {
		s, ok := p.services[name]
		if !ok || (s.state != stateStarting && s.state != stateRunning) {
			return apiError(fmt.Errorf("cannot send signal to %q: service is not running", name))
		}
	}
	for _, name := range opts.Services {
		p.log("Sending %s to service %q", opts.Signal, name)
		p.services[name].signal(opts.Signal)
	}
	return nil
}

func (c *Client) PlanBytes(_ *client.PlanOptions) ([]byte, error) {
	p, err := c.pebble()
	if err != nil {
		return nil, err
	}
	return p.plan.yamlOf(), nil
}

// parseCheckURL splits an http check URL into port and path.
func parseCheckURL(raw string) (int, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, "", err
	}
	port := 80
	if u.Port() != "" {
		port, _ = strconv.Atoi(u.Port())
	}
	return port, u.Path, nil
}
