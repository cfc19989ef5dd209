package simulator

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Unit is one unit of the charm: what the controller remembers of it
// (whether it was ever introduced, its storage, its events) and its
// current pod, which the StatefulSet replaces when it is deleted (R3.6).
type Unit struct {
	m       *Model
	id      spec.UnitID
	pod     *pod
	podGen  int
	known   bool // the controller has seen this unit (install ran)
	events  []spec.Event
	storage map[string]*filesystem
	// pinned is the node a local-path volume binds the unit to (R3.7).
	pinned  string
	pending bool // replacement waits for a node it can run on
	// introducedGen is the pod generation last introduced to the controller.
	introducedGen int
	// placements counts the pods the model has placed, to follow a replayed
	// run's placements in order.
	placements int
	// peers are the application's other units in its peer relations:
	// those there when it came, then those that joined, less those that
	// went. removed: scaling took it away.
	peers   []string
	removed bool
	// announce: once introduced, the others are told it joined (Scale;
	// a replay has the run's own record of that).
	announce bool
}

// ID is the unit's id.
func (u *Unit) ID() spec.UnitID { return u.id }

// Events returns the events the charm received, in order.
func (u *Unit) Events() []spec.Event { return append([]spec.Event(nil), u.events...) }

// Client is the charm's view of container's Pebble in this unit.
func (u *Unit) Client(container string) *Client { return &Client{u: u, container: container} }

func (u *Unit) observe(r spec.Record) {
	r.Unit = u.id
	u.m.record(spec.KindObservation, r)
}

// pod is one incarnation of the unit's pod (REFERENCE R1).
type pod struct {
	u          *Unit
	gen        int
	node       string
	phase      string // Pending, Running, Terminating, Unknown
	ready      bool
	containers map[string]*container
	charm      *charmAgent
	// charmData is the pod's emptyDir: one tree per workload container,
	// mounted at /charm/container there (subPath charm/containers/<name>).
	charmData map[string]*filesystem
	// started: start ran in this pod (the uniter's state, on charm-data):
	// a restarted charm container runs it again, and stop runs before the
	// pod goes, only if so.
	started bool
}

// container is one workload container of a pod, across its restarts.
type container struct {
	pod      *pod
	name     string
	spec     *spec.Container
	up       bool
	restarts int
	crashes  spec.Restarts // the kubelet's back-off
	started  time.Duration
	fs       *filesystem
	pebble   *pebble
	gen      int
	aliveGen int // counts changes of the alive health, for the liveness probe
	ready    bool
	// derive reads this container's Pebble log lines into observations.
	derive spec.LogDeriver
	// recovering are the checks whose recover-check change was open when
	// the last Pebble died: its state is on charm-data, and the next Pebble
	// ends those changes Done, so the charm hears check-recovered before
	// pebble-ready (seen on kind: docs/model.md).
	recovering []string
}

// charmAgent is the charm container's agent: it plays Juju's uniter for
// this pod (R2): the lifecycle events, the boot-id poll, notices.
type charmAgent struct {
	pod      *pod
	up       bool
	gen      int
	restarts int
	crashes  spec.Restarts
	started  time.Duration
	lastBoot map[string]string
	hooks    hookQueue
	// dying: the unit goes (scaled down) or its pod is deleted; its last
	// hooks are queued, and the uniter starts no update-status after
	// them (internal/charmagent does the same).
	dying bool
}

// observedTimes is when a real run saw this unit's pod incarnation gen
// come up and be introduced, when replaying one.
func (u *Unit) observedTimes(gen int) (PodTimes, bool) {
	times := u.m.observed[u.id]
	if gen < 1 || gen > len(times) {
		return PodTimes{}, false
	}
	return times[gen-1], true
}

// observedPlacement is the node a replayed run placed this unit's next
// pod on.
func (u *Unit) observedPlacement() (string, bool) {
	nodes := u.m.placed[u.id]
	if u.placements >= len(nodes) {
		return "", false
	}
	return nodes[u.placements], true
}

func (u *Unit) after(d time.Duration, fn func()) {
	u.m.Clock.AfterFunc(d, fn)
}

// createPod makes a new pod for the unit and schedules it.
func (u *Unit) createPod() {
	u.podGen++
	p := &pod{u: u, gen: u.podGen, phase: "Pending", containers: map[string]*container{}, charmData: map[string]*filesystem{}}
	u.pod = p
	node, ok := u.m.schedule(u)
	if !ok {
		u.pending = true
		u.observe(spec.Record{Type: spec.RecPod, State: "Pending"})
		return
	}
	u.pending = false
	u.placements++
	p.node = node
	u.observe(spec.Record{Type: spec.RecPlacement, Node: node})
	gen := p.gen
	start := u.m.profile.PodStart
	if t, ok := u.observedTimes(gen); ok {
		start = max(t.Running-u.m.Clock.Now(), 0)
	}
	u.after(start, func() {
		if u.pod == nil || u.pod.gen != gen || p.phase != "Pending" {
			return
		}
		p.run()
	})
}

// run starts the pod's containers once its init container has copied
// Pebble into the shared volume (R1).
func (p *pod) run() {
	p.phase = "Running"
	p.u.observe(spec.Record{Type: spec.RecPod, State: "Running"})
	for _, name := range p.u.m.spec.ContainerNames() {
		cs, _ := p.u.m.spec.Container(name)
		p.charmData[name] = newFilesystem()
		c := &container{pod: p, name: name, spec: cs}
		p.containers[name] = c
		c.start()
	}
	p.charm = &charmAgent{pod: p, lastBoot: map[string]string{}}
	p.charm.start()
}

// stopContainers is every process of the pod dying at once: its Pebbles,
// their services, the charm agent.
func (p *pod) stopContainers() {
	for _, c := range p.containers {
		c.up = false
		c.gen++
		if c.pebble != nil {
			c.pebble.kill()
			c.pebble = nil
		}
	}
	if p.charm != nil {
		if p.charm.up {
			p.charm.agentDown()
		}
		p.charm.up = false
		p.charm.gen++
	}
}

// charmView is the charm container's filesystem as far as the model
// knows it: tandem's base image, and each workload's directory of the
// pod's charm-data at /charm/containers/<name> (R1.2, R1.6).
func (p *pod) charmView() *filesystem {
	fs := newFilesystem()
	for _, dir := range spec.BaseImageDirs {
		fs.mkdirAll(dir, 0o755, 0, 0)
	}
	for path, content := range spec.BaseImageFiles {
		fs.put(path, &fsNode{content: content, mode: 0o644})
	}
	for name, shared := range p.charmData {
		fs.mount(spec.CharmContainersDir+"/"+name, shared)
	}
	return fs
}

func (p *pod) alive(gen int) bool { return p.u.pod == p && p.gen == gen && p.phase == "Running" }

// start starts the container: a fresh root from the image, the pod's
// shared directory and storage mounted, Pebble as PID 1.
func (c *container) start() {
	c.gen++
	if c.fs != nil && c.pod.u.m.profile.RestartKeepsWrites {
		// The same container again (Docker's restart policy).
		c.up, c.started, c.ready = true, c.pod.u.m.Clock.Now(), true
		c.startPebble()
		return
	}
	c.fs = newFilesystem()
	for _, dir := range spec.BaseImageDirs {
		c.fs.mkdirAll(dir, 0o755, 0, 0)
	}
	for path, content := range spec.BaseImageFiles {
		c.fs.put(path, &fsNode{content: content, mode: 0o644})
	}
	for path, content := range c.spec.Files {
		c.fs.mkdirAll(parentDir(path), 0o755, 0, 0)
		c.fs.put(path, &fsNode{content: content, mode: 0o644})
	}
	for name, content := range c.spec.Layers {
		dir := spec.PebbleCopyOnceDir + "/layers"
		c.fs.mkdirAll(dir, 0o755, 0, 0)
		c.fs.put(dir+"/"+name, &fsNode{content: content, mode: 0o644})
	}
	c.fs.mount(spec.WorkloadSharedDir, c.pod.charmData[c.name])
	for _, m := range c.spec.Mounts {
		c.fs.mount(m.Location, c.pod.u.storageFor(m.Storage))
	}
	c.up, c.started, c.ready = true, c.pod.u.m.Clock.Now(), true
	c.startPebble()
}

// startPebble starts Pebble as the container's PID 1.
func (c *container) startPebble() {
	pb, err := newPebble(c)
	if err != nil {
		// Pebble cannot load its plan and exits: the container dies.
		c.pebble = nil
		c.pod.u.observe(spec.Record{Type: spec.RecLog, Container: c.name, Message: "cannot start pebble: " + err.Error()})
		gen := c.gen
		c.pod.u.after(0, func() {
			if c.gen == gen && c.up {
				c.die("pebble exited with code 1")
			}
		})
		return
	}
	c.pebble = pb
	for _, name := range c.recovering {
		if ch, ok := pb.checks[name]; ok {
			ch.status = "up"
		}
		pb.observe(spec.Record{Type: spec.RecCheck, Check: name, State: "up"})
		c.pod.checkEvent(c, spec.CheckRecovered(c.name), name)
	}
	c.recovering = nil
	c.probeLoop()
}

// die is the container's death: Pebble and every process go; the kubelet
// restarts it after its back-off (R3.2).
func (c *container) die(reason string) {
	if !c.up {
		return
	}
	c.up = false
	c.gen++
	if c.pebble != nil {
		for _, name := range sortedKeys(c.pebble.checks) {
			if c.pebble.checks[name].recover {
				c.recovering = append(c.recovering, name)
			}
		}
		c.pebble.kill()
	}
	c.pebble = nil
	c.setReady(false)
	p := c.pod
	if p.phase != "Running" {
		return
	}
	delay := c.crashes.Next(p.u.m.profile, p.u.m.Clock.Now()-c.started)
	gen, pgen := c.gen, p.gen
	p.u.after(delay, func() {
		if !p.alive(pgen) || c.gen != gen {
			return
		}
		c.restarts++
		p.u.observe(spec.Record{Type: spec.RecRestart, Container: c.name, Count: c.restarts, Message: reason})
		c.start()
	})
}

// appendStartRecord is the workload tool's --record (DESIGN "What a
// workload does"): a line per start, on the shared volume.
func (c *container) appendStartRecord(name string) {
	shared := c.pod.charmData[c.name]
	path := "/tandem-starts/" + name
	shared.mkdirAll("/tandem-starts", 0o755, 0, 0)
	n := shared.get(path)
	if n == nil {
		n = &fsNode{mode: 0o644}
		shared.put(path, n)
	}
	n.content += "start\n"
}

// portTaken reports whether another live process of the pod (which shares
// one network namespace, R1.6) serves a port beh wants.
func (c *container) portTaken(self *svc, beh spec.Behaviour) bool {
	for _, want := range []int{beh.HTTPPort, beh.TCPPort} {
		if want == 0 {
			continue
		}
		if s := c.pod.server(want, self); s != nil {
			return true
		}
	}
	return false
}

// server finds the live process of the pod listening on port.
func (p *pod) server(port int, except *svc) *svc {
	for _, name := range sortedKeys(p.containers) {
		c := p.containers[name]
		if !c.up || c.pebble == nil {
			continue
		}
		for _, sname := range sortedKeys(c.pebble.services) {
			s := c.pebble.services[sname]
			if s == except || !s.alive {
				continue
			}
			if s.beh.HTTPPort == port || s.beh.TCPPort == port {
				return s
			}
		}
	}
	return nil
}

// listening is every port a process of the pod listens on: what each
// container's /proc/net/tcp shows, as they share a network namespace.
func (p *pod) listening() []int {
	seen := map[int]bool{}
	var out []int
	for _, c := range p.containers {
		if !c.up || c.pebble == nil {
			continue
		}
		for _, s := range c.pebble.services {
			for _, port := range []int{s.beh.HTTPPort, s.beh.TCPPort} {
				if s.alive && port > 0 && !seen[port] {
					seen[port] = true
					out = append(out, port)
				}
			}
		}
	}
	sort.Ints(out)
	return out
}

// probe runs a Pebble check of container c (R4.2): http and tcp reach
// the pod's processes on localhost; the workload tool's health switch is
// a file in the serving process's own container.
func (p *pod) probe(c *container, cfg *check) error {
	switch {
	case cfg.HTTP != nil:
		port, path, err := parseCheckURL(cfg.HTTP.URL)
		if err != nil {
			return fmt.Errorf("cannot parse URL: %v", err)
		}
		s := p.server(port, nil)
		if s == nil || s.beh.HTTPPort != port {
			return fmt.Errorf("Get %q: dial tcp 127.0.0.1:%d: connect: connection refused", cfg.HTTP.URL, port)
		}
		if path == "/health" && s.p.ctr.fs.get(s.beh.HealthFile) != nil {
			return fmt.Errorf("non-2xx status code 500")
		}
		return nil
	case cfg.TCP != nil:
		if p.server(cfg.TCP.Port, nil) == nil {
			return fmt.Errorf("dial tcp 127.0.0.1:%d: connect: connection refused", cfg.TCP.Port)
		}
		return nil
	case cfg.Exec != nil:
		argv, err := spec.SplitCommand(cfg.Exec.Command)
		if err != nil {
			return err
		}
		// checkstate's runCheck: a command still running at the check's
		// timeout (the period, if shorter) is a failure of its own.
		if beh, err := spec.ResolveArgv(argv, c.spec.Programs); err == nil && (!beh.Exits || beh.ExitAfter >= cfg.Timeout.Value) {
			return &checkTimeout{after: cfg.Timeout.Value}
		}
		res, err := p.u.Client(c.name).Run(argv, cfg.Timeout.Value)
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("exit status %d", res.ExitCode)
		}
	}
	return nil
}

// probeLoop plays the kubelet's readiness probe on the container's Pebble
// port (R1.3, R3.4), where the profile has them; healthChanged plays its
// liveness probe.
func (c *container) probeLoop() {
	if !c.pod.u.m.profile.Probes {
		return
	}
	gen := c.gen
	c.pod.u.after(5*time.Second, func() {
		if c.gen != gen || !c.up || c.pebble == nil {
			return
		}
		ready := c.pebble.healthy("ready", nil)
		if !ready {
			c.probeFailed("Readiness")
		}
		c.setReady(ready)
		c.probeLoop()
	})
}

// Juju's liveness probe (R1.3): every 5 s, three failures in a row.
const (
	livenessPeriod    = 5 * time.Second
	livenessThreshold = 3
)

// healthChanged follows the container's alive health for the kubelet's
// liveness probe. The prober's phase is the kubelet's own, so the model
// takes the earliest it can be: a failing probe just as the health goes
// down, and the container restarted two periods later if it stays down
// (R3.3). On SIGTERM Pebble stops its services before it exits (seen on
// kind: docs/model.md).
func (c *container) healthChanged() {
	if !c.pod.u.m.profile.Probes || c.pebble == nil {
		return
	}
	c.aliveGen++
	if c.pebble.healthy("alive", nil) {
		return
	}
	c.probeFailed("Liveness")
	gen, cgen := c.aliveGen, c.gen
	c.pod.u.after((livenessThreshold-1)*livenessPeriod, func() {
		if c.aliveGen != gen || c.gen != cgen || !c.up || c.pebble == nil {
			return
		}
		c.pod.u.observe(spec.Record{Type: spec.RecKubeEvent, Container: c.name, State: "Killing",
			Message: fmt.Sprintf("Container %s failed liveness probe, will be restarted", c.name)})
		c.pebble.shutdown(0)
	})
}

// probeFailed is the kubelet's event for a failed probe on Pebble's
// health endpoint, which answers 502 while a check of the level is down
// (pkg/kubelet/prober: "%s probe failed: %s").
func (c *container) probeFailed(probe string) {
	c.pod.u.observe(spec.Record{Type: spec.RecKubeEvent, Container: c.name, State: "Unhealthy",
		Message: probe + " probe failed: HTTP probe failed with statuscode: 502"})
}

func (c *container) setReady(ready bool) {
	if c.ready == ready {
		return
	}
	c.ready = ready
	c.pod.updateReady()
}

func (p *pod) updateReady() {
	ready := p.phase == "Running"
	for _, c := range p.containers {
		ready = ready && c.up && c.ready
	}
	ready = ready && p.charm != nil && p.charm.up
	if ready != p.ready {
		p.ready = ready
		state := "not-ready"
		if ready {
			state = "ready"
		}
		p.u.observe(spec.Record{Type: spec.RecPod, State: state})
	}
}

// --- the charm agent (R2) --------------------------------------------

func (a *charmAgent) start() {
	a.gen++
	// A new agent process: what the old one queued died with it; what
	// waits for the queue to drain waits for the new one's.
	a.hooks = hookQueue{drained: a.hooks.drained}
	gen := a.gen
	a.started = a.pod.u.m.Clock.Now()
	delay := a.pod.u.m.profile.AgentStart
	if t, ok := a.pod.u.observedTimes(a.pod.gen); ok && a.gen == 1 && t.Introduced > 0 {
		delay = max(t.Introduced-a.started, 0)
	}
	a.pod.u.after(delay, func() {
		if a.gen != gen || !a.pod.alive(a.pod.gen) {
			return
		}
		if !a.agentUp() {
			return
		}
		a.up = true
		a.pod.updateReady()
		a.introduce()
		a.poll()
		a.tickUpdateStatus()
	})
}

// introduce runs the lifecycle the controller gives a pod it is told of (R2.5).
func (a *charmAgent) introduce() {
	u := a.pod.u
	if u.known && a.pod.introduced() {
		// The charm container restarted: the uniter sees a reboot and
		// runs start again if it ran (R3.5); the poll then finds every
		// workload.
		if a.pod.started {
			a.fire(spec.EventStart, "")
		}
		return
	}
	isNew := !u.known
	if u.m.live() {
		if err := u.m.runner.Introduce(u.id, isNew); err != nil {
			u.m.Fail(err)
			return
		}
	}
	if isNew {
		u.known = true
		a.fire(spec.EventInstall, "")
		for _, ev := range u.m.createdEvents(u) {
			a.fire(ev, "")
		}
		if u.id == u.m.leaderUnit() {
			a.fire(spec.EventLeaderElected, "")
		}
		if c := u.m.spec.Charm; c != nil && c.PebbleReadyFirst {
			a.pollOnce()
		}
	} else {
		a.fire(spec.EventUpgradeCharm, "")
	}
	u.introducedGen = a.pod.gen
	a.fire(spec.EventConfigChanged, "")
	a.fire(spec.EventStart, "")
	if isNew {
		for _, ev := range u.m.joinedEvents(u) {
			a.fire(ev.Name, "")
		}
		if u.announce {
			u.announce = false
			for _, op := range spec.PeerOps(u.m.spec.Charm, spec.JoinOp, u.id) {
				u.m.Relation(op)
			}
		}
	}
}

func (p *pod) introduced() bool { return p.u.introducedGen == p.gen }

// poll is the uniter's boot-id poll (R2.1): a changed boot id is a
// pebble-ready event.
func (a *charmAgent) poll() {
	gen := a.gen
	a.pollOnce()
	a.pod.u.after(a.pod.u.m.profile.PollInterval, func() {
		if a.gen == gen && a.up && a.pod.alive(a.pod.gen) {
			a.poll()
		}
	})
}

// pollOnce looks at each workload's boot id once.
func (a *charmAgent) pollOnce() {
	for _, name := range a.pod.u.m.spec.ContainerNames() {
		info, err := a.pod.u.Client(name).SysInfo()
		if err != nil {
			continue
		}
		if a.lastBoot[name] != info.BootID {
			a.lastBoot[name] = info.BootID
			a.fire(spec.PebbleReady(name), "")
		}
	}
}

// die is the charm container's death: the agent's memory of boot ids goes
// with it, so every workload is pebble-ready again after (R3.5).
func (a *charmAgent) die(reason string) {
	if !a.up && a.gen == 0 {
		return
	}
	if a.up {
		a.agentDown()
	}
	a.up = false
	a.gen++
	a.pod.updateReady()
	p := a.pod
	delay := a.crashes.Next(p.u.m.profile, p.u.m.Clock.Now()-a.started)
	gen, pgen := a.gen, p.gen
	p.u.after(delay, func() {
		if !p.alive(pgen) || a.gen != gen {
			return
		}
		a.restarts++
		p.u.observe(spec.Record{Type: spec.RecRestart, Container: spec.CharmContainer, Count: a.restarts, Message: reason})
		a.lastBoot = map[string]string{}
		a.start()
	})
}

// noticeEvent and checkEvent deliver Pebble notices to the charm (R2.2,
// R2.3): the agent long-polls notices, so the event follows at once, as a
// separate hook, never inside the call that caused it.
func (p *pod) noticeEvent(c *container, key string) {
	p.deliver(spec.CustomNotice(c.name), key)
}

func (p *pod) checkEvent(c *container, event, check string) {
	p.deliver(event, check)
}

func (p *pod) deliver(event, key string) {
	gen := p.gen
	p.u.after(0, func() {
		if p.alive(gen) && p.charm != nil && p.charm.up {
			p.charm.fire(event, key)
		}
	})
}

// do performs a Pebble action on the unit, recording it; for a change it
// returns the change's id.
func (u *Unit) do(source string, a spec.Action) (string, error) {
	act := a
	u.m.record(spec.KindAction, spec.Record{Type: spec.RecPebble, Source: source, Unit: u.id, Container: a.Container, Action: &act})
	return spec.Perform(u.Client(a.Container), u.Client(a.Container), a)
}

// storageFor returns the unit's volume for a storage name, which outlives
// its pods.
func (u *Unit) storageFor(name string) *filesystem {
	if u.storage == nil {
		u.storage = map[string]*filesystem{}
	}
	fs, ok := u.storage[name]
	if !ok {
		fs = newFilesystem()
		u.storage[name] = fs
	}
	return fs
}

func parentDir(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
