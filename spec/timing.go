package spec

import (
	"fmt"
	"time"
)

// TimingProfile is how one platform times what Pebble does not: restarting
// a dead container, polling for boot ids, probing, evicting. The model runs
// with the profile of the substrate it is compared with, and the profile is
// written into every trace.
type TimingProfile struct {
	Name string `json:"name"`

	// Container restart back-off (the kubelet's CrashLoopBackOff, or
	// whatever plays its part): the first restart waits RestartInitial,
	// the next RestartDelay, each after that Factor times longer, capped at
	// RestartLimit; a container running RestartReset clears it (R3.2).
	RestartInitial time.Duration `json:"restart-initial"`
	RestartDelay   time.Duration `json:"restart-delay"`
	RestartFactor  float64       `json:"restart-factor"`
	RestartLimit   time.Duration `json:"restart-limit"`
	RestartReset   time.Duration `json:"restart-reset"`

	// PodStart is from a pod being created (or recreated) to its
	// containers starting, init container included.
	PodStart time.Duration `json:"pod-start"`
	// PodRecreate is from a pod's deletion to its replacement being created.
	PodRecreate time.Duration `json:"pod-recreate"`
	// AgentStart is from the charm container starting to the charm agent
	// introducing the unit to the controller (the lifecycle events).
	AgentStart time.Duration `json:"agent-start"`
	// PollInterval is how often the charm side polls each Pebble's boot id
	// (Juju: 5 s; R2.1).
	PollInterval time.Duration `json:"poll-interval"`

	// Probes says whether the kubelet probes each container (R1.3, R3.3, R3.4).
	Probes bool `json:"probes"`
	// NodeNotReady is from a node failing to the node being NotReady;
	// Toleration is from NotReady to its pods being marked for eviction (R3.7).
	NodeNotReady time.Duration `json:"node-not-ready"`
	Toleration   time.Duration `json:"toleration"`

	// RestartKeepsWrites says a restarted container keeps what was written
	// to its own filesystem: Docker's restart policy restarts the same
	// container, where the kubelet starts a new one from the image (R3.2).
	RestartKeepsWrites bool `json:"restart-keeps-writes,omitempty"`

	// Allowance is the slack a real platform gets on each measured
	// interval, beyond the model's [X, 1.1·X) bound: process start and
	// scheduling latency.
	Allowance time.Duration `json:"allowance"`
}

// Validate rejects a profile the model cannot run.
func (p TimingProfile) Validate() error {
	switch {
	case p.Name == "":
		return fmt.Errorf("timing profile has no name")
	case p.PollInterval <= 0:
		return fmt.Errorf("timing profile %q: poll-interval must be positive", p.Name)
	case p.RestartFactor < 1:
		return fmt.Errorf("timing profile %q: restart-factor must be 1.0 or greater", p.Name)
	case p.RestartLimit < p.RestartDelay:
		return fmt.Errorf("timing profile %q: restart-limit is below restart-delay", p.Name)
	}
	return nil
}

// Profiles are the timing profiles tandem ships, by substrate name.
//
// sim and kind carry the kubelet's historical figures (10 s doubling to
// 5 min, reset after 10 min; REFERENCE R3.2) until a kind run measures
// v1.37's own; local and docker restart their containers themselves, so
// their figures are tandem's choice, short to keep the suites fast.
var Profiles = map[string]TimingProfile{
	"sim": {
		Name: "sim", RestartInitial: 0, RestartDelay: 10 * time.Second, RestartFactor: 2,
		RestartLimit: 5 * time.Minute, RestartReset: 10 * time.Minute,
		PodStart: 2 * time.Second, PodRecreate: time.Second, AgentStart: time.Second,
		PollInterval: 5 * time.Second, Probes: true,
		NodeNotReady: 40 * time.Second, Toleration: 300 * time.Second,
	},
	"local": {
		Name: "local", RestartInitial: 0, RestartDelay: 500 * time.Millisecond, RestartFactor: 2,
		RestartLimit: 4 * time.Second, RestartReset: 30 * time.Second,
		// The model must never be slower than the real thing: a scenario's
		// actions replayed at a real run's offsets must find the model's
		// unit at least as far along. Sandboxes start in tens of ms.
		PodStart: 5 * time.Millisecond, PodRecreate: 200 * time.Millisecond, AgentStart: 10 * time.Millisecond,
		PollInterval: 500 * time.Millisecond, Probes: false,
		Allowance: 150 * time.Millisecond,
	},
	// Docker's restart policy: 100 ms before the first restart, doubling,
	// capped at a minute, reset after 10 s of running (moby's
	// restartmanager).
	"docker": {
		Name: "docker", RestartInitial: 100 * time.Millisecond, RestartDelay: 200 * time.Millisecond, RestartFactor: 2,
		RestartLimit: time.Minute, RestartReset: 10 * time.Second,
		PodStart: 100 * time.Millisecond, PodRecreate: time.Second, AgentStart: 10 * time.Millisecond,
		PollInterval: 200 * time.Millisecond, Probes: false, RestartKeepsWrites: true,
		Allowance: 400 * time.Millisecond,
	},
	"kind": {
		Name: "kind", RestartInitial: 0, RestartDelay: 10 * time.Second, RestartFactor: 2,
		RestartLimit: 5 * time.Minute, RestartReset: 10 * time.Minute,
		PodStart: 3 * time.Second, PodRecreate: 2 * time.Second, AgentStart: 2 * time.Second,
		PollInterval: time.Second, Probes: true,
		NodeNotReady: 10 * time.Second, Toleration: 10 * time.Second,
		Allowance: 2 * time.Second,
	},
}

// Profile returns the shipped profile for a substrate.
func Profile(substrate string) (TimingProfile, error) {
	p, ok := Profiles[substrate]
	if !ok {
		return TimingProfile{}, fmt.Errorf("cannot find timing profile %q: want sim, local, docker or kind", substrate)
	}
	return p, nil
}

// NextRestartDelay is the wait before restart number n (1-based) of a
// container under profile p.
func (p TimingProfile) NextRestartDelay(n int) time.Duration {
	if n <= 1 {
		return p.RestartInitial
	}
	d := p.RestartDelay
	for i := 2; i < n; i++ {
		d = time.Duration(float64(d) * p.RestartFactor)
		if d >= p.RestartLimit {
			return p.RestartLimit
		}
	}
	return d
}

// Restarts counts a container's crashes as the profile's kubelet (or
// Docker's restart manager) does, to time each restart.
type Restarts struct {
	crashes int
}

// Next is the wait before restarting a container that died after running
// ranFor: a container that ran RestartReset or longer starts the back-off
// over.
func (r *Restarts) Next(p TimingProfile, ranFor time.Duration) time.Duration {
	if ranFor >= p.RestartReset {
		r.crashes = 0
	}
	r.crashes++
	return p.NextRestartDelay(r.crashes)
}
