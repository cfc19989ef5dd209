package steps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

const within = `(?: within (?P<duration>\S+))?`

// staysFor is a count check's "and stays so for D": exactly N, and still
// N after D.
const staysFor = `(?: and stays so for (?P<stays>\S+))?`

// countHelp says what every count check checks.
const countHelp = "Without \"within\", the count is exactly N at once. \"within D\": the count reaches N by D (it is N or more " +
	"when seen; a count that goes on past N still passes). \"and stays so for D\": the count is exactly N, and still N " +
	"when D has passed."

// checkPhrases are the Then steps: the workload's, the pod's, then the
// charm's, in that order in docs/steps.md.
func checkPhrases() []Phrase {
	return slices.Concat(workloadCheckPhrases(), podCheckPhrases(), charmCheckPhrases())
}

// workloadCheckPhrases check what a workload container's Pebble shows.
func workloadCheckPhrases() []Phrase {
	g := "Checks"
	return []Phrase{
		{Group: g, Pattern: `^service "(?P<service>[^"]*)" in "(?P<container>[^"]*)" is (active|inactive|backoff|error)` + within + `$`,
			Example: `Then service "redis" in "redis" is active within 3s`,
			Help: "A service's status as Pebble reports it (R5.1). Pebble says active from the moment it has started the process, " +
				"before the program has run a line: to act on what the program does, wait for that instead (`port N is listening " +
				"in the pod`, `the workload recorded N starts`).",
			run: func(s *scenario, a []string, _ string) error {
				err := s.check(a[3], func() error {
					pc, err := s.sub.Pebble(s.unit, a[1])
					if err != nil {
						return err
					}
					infos, err := pc.Services(&client.ServicesOptions{Names: []string{a[0]}})
					if err != nil {
						return fmt.Errorf("cannot read services of %s: %v", a[1], err)
					}
					if len(infos) == 0 {
						return fmt.Errorf("service %q is not in the plan of %s", a[0], a[1])
					}
					if got := string(infos[0].Current); got != a[2] {
						return fmt.Errorf("service %q in %s of %s is %s, want %s", a[0], a[1], s.unit, got, a[2])
					}
					return nil
				})
				if err != nil {
					// Why, once the wait is over (not on every poll).
					return fmt.Errorf("%w%s", err, s.whyService(a[1], a[0]))
				}
				return nil
			}},
		{Group: g, Pattern: `^port (?P<port>\d+) is (listening|not listening) in the pod` + within + `$`,
			Example: `Then port 5432 is listening in the pod within 5s`,
			Help: "Whether a process of the unit's pod listens on the TCP port, from the kernel's own list (/proc/net/tcp and tcp6, " +
				"read through a workload's Pebble: the containers share one network namespace). Pebble says a service is active as " +
				"soon as it has started its process, before the program listens: wait for this before the charm connects.",
			run: func(s *scenario, a []string, _ string) error {
				port, err := strconv.Atoi(a[0])
				if err != nil || port < 1 || port > 65535 {
					return fmt.Errorf("cannot read port %q: want 1 to 65535", a[0])
				}
				return s.check(a[2], func() error {
					ports, err := s.listeningPorts()
					if err != nil {
						return err
					}
					listening := slices.Contains(ports, port)
					if listening != (a[1] == "listening") {
						return fmt.Errorf("port %d is %s in the pod of %s (listening: %v)", port, map[bool]string{true: "listening", false: "not listening"}[listening], s.unit, ports)
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^service "(?P<service>[^"]*)" in "(?P<container>[^"]*)" was started (?P<n>\d+) times?` + within + staysFor + `$`,
			Example: `Then service "redis" in "redis" was started 2 times within 10s and stays so for 3s`,
			Help: "How many times Pebble started the service's process in this scenario, from Pebble's own \"Service ... starting\" " +
				"records. " + countHelp,
			run: func(s *scenario, a []string, _ string) error {
				want, _ := strconv.Atoi(a[2])
				return s.countCheck(a[3], a[4], want, func() (int, string, error) {
					got := 0
					for _, r := range s.records() {
						if r.Type == spec.RecStart && r.Unit == s.unit && r.Container == a[1] && r.Service == a[0] {
							got++
						}
					}
					return got, fmt.Sprintf("service %q in %s of %s was started %d times", a[0], a[1], s.unit, got), nil
				})
			}},
		{Group: g, Pattern: `^the workload recorded (?P<n>\d+) starts? of "(?P<service>[^"]*)" in "(?P<container>[^"]*)"` + within + staysFor + `$`,
			Example: `Then the workload recorded 2 starts of "redis" in "redis"`,
			Help: "Counts the workload tool's --record=NAME start records on the pod's shared volume: they span container restarts, " +
				"not pod deletions. The tool records a start once it is ready (SIGTERM ignored if asked, ports listening), so a " +
				"scenario that waits for the record can act on the program. " + countHelp,
			run: func(s *scenario, a []string, _ string) error {
				want, _ := strconv.Atoi(a[0])
				return s.countCheck(a[3], a[4], want, func() (int, string, error) {
					got, err := s.sub.StartCount(s.unit, a[2], a[1])
					return got, fmt.Sprintf("the workload recorded %d starts of %q in %s", got, a[1], a[2]), err
				})
			}},
		{Group: g, Pattern: `^container "(?P<container>[^"]*)" has restarted (?P<n>\d+) times?` + within + staysFor + `$`,
			Example: `Then container "redis" has restarted 1 time within 15s`,
			Help:    "The container's restart count in its pod (\"charm\" for the charm container). " + countHelp,
			run: func(s *scenario, a []string, _ string) error {
				want, _ := strconv.Atoi(a[1])
				return s.countCheck(a[2], a[3], want, func() (int, string, error) {
					p, err := s.pod()
					if err != nil {
						return 0, "", err
					}
					got := p.Restarts[a[0]]
					return got, fmt.Sprintf("container %s of %s has restarted %d times", a[0], s.unit, got), nil
				})
			}},
		{Group: g, Pattern: `^the cluster reported "(?P<reason>[^"]*)" for container "(?P<container>[^"]*)"` + within + `$`,
			Example: `Then the cluster reported "Unhealthy: Liveness probe failed" for container "redis" within 20s`,
			Help: "A Kubernetes event about a container of the unit's pod since the scenario last acted on the unit (a fault, " +
				"a health switch, the deploy; not the charm's own calls), as \"Reason: message\", matched by its start: the " +
				"kubelet's probe failures (Unhealthy) and kills (Killing) among them. The model emits the prober's.",
			Needs: spec.CapProber,
			run: func(s *scenario, a []string, _ string) error {
				if len(substrate.Missing(s.sub.Capabilities(), []spec.Capability{spec.CapProber})) > 0 {
					return fmt.Errorf("the %s substrate has no kubelet to report events (tag the scenario @needs-prober)", s.sub.Name())
				}
				return s.check(a[2], func() error {
					var seen []string
					records := s.sub.Trace().Records
					since := time.Duration(0)
					for _, r := range records {
						if r.Kind == spec.KindAction && r.Type != spec.RecPebble && r.Type != spec.RecReadFile {
							since = r.At
						}
					}
					for _, r := range records {
						if r.Type != spec.RecKubeEvent || r.Unit != s.unit || r.Container != a[1] || r.At < since {
							continue
						}
						got := r.State + ": " + r.Message
						if strings.HasPrefix(got, a[0]) {
							return nil
						}
						seen = append(seen, fmt.Sprintf("%q", got))
					}
					if len(seen) == 0 {
						return fmt.Errorf("the cluster reported nothing for container %s of %s since the scenario last acted, want %q", a[1], s.unit, a[0])
					}
					return fmt.Errorf("the cluster reported %s for container %s of %s since the scenario last acted, want %q", strings.Join(seen, ", "), a[1], s.unit, a[0])
				})
			}},
		{Group: g, Pattern: `^file "(?P<path>[^"]*)" in "(?P<container>[^"]*)" (contains|has permissions|is owned by) "(?P<value>[^"]*)"` + within + `$`,
			Example: `Then file "/etc/redis.conf" in "redis" has permissions "600"`,
			Help: "A file as seen from inside the workload container, not through Pebble where the substrate reaches the container's " +
				"processes (on a cluster whose nodes are elsewhere, through its Pebble's files API): its content (a substring), " +
				"its permissions, or its owner as \"user\" or \"user:group\" (R7).",
			run: func(s *scenario, a []string, _ string) error {
				return s.check(a[4], func() error {
					st, err := s.sub.ReadFile(s.unit, a[1], a[0])
					if err != nil {
						return err
					}
					if st.Error != "" {
						return fmt.Errorf("file %s in %s of %s: %s", a[0], a[1], s.unit, st.Error)
					}
					switch a[2] {
					case "contains":
						if !strings.Contains(st.Content, a[3]) {
							return fmt.Errorf("file %s in %s holds %q, want it to contain %q", a[0], a[1], st.Content, a[3])
						}
					case "has permissions":
						if st.Mode != a[3] {
							return fmt.Errorf("file %s in %s has permissions %s, want %s", a[0], a[1], st.Mode, a[3])
						}
					default:
						got := st.User
						if strings.Contains(a[3], ":") {
							got += ":" + st.Group
						}
						if got != a[3] {
							return fmt.Errorf("file %s in %s is owned by %s, want %s", a[0], a[1], got, a[3])
						}
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^file "(?P<path>[^"]*)" in "(?P<container>[^"]*)" reads:$`,
			Example: "Then file \"/etc/redis.conf\" in \"redis\" reads:\n  \"\"\"\n  port 6379\n  \"\"\"",
			Help:    "A file's whole content, seen from inside the container.",
			run: func(s *scenario, a []string, doc string) error {
				st, err := s.sub.ReadFile(s.unit, a[1], a[0])
				if err != nil {
					return err
				}
				if st.Error != "" {
					return fmt.Errorf("file %s in %s: %s", a[0], a[1], st.Error)
				}
				if strings.TrimSuffix(st.Content, "\n") != strings.TrimSuffix(doc, "\n") {
					return fmt.Errorf("file %s in %s reads %q, want %q", a[0], a[1], st.Content, doc)
				}
				return nil
			}},
		{Group: g, Pattern: `^file "(?P<path>[^"]*)" in "(?P<container>[^"]*)" does not exist` + within + `$`,
			Example: `Then file "/etc/redis.conf" in "redis" does not exist`,
			Help:    "No such file inside the container (after a restart, say: R3.2).",
			run: func(s *scenario, a []string, _ string) error {
				return s.check(a[2], func() error {
					st, err := s.sub.ReadFile(s.unit, a[1], a[0])
					if err != nil {
						return err
					}
					if st.Error != client.ErrorKindNotFound {
						return fmt.Errorf("file %s exists in %s", a[0], a[1])
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^check "(?P<check>[^"]*)" in "(?P<container>[^"]*)" is (up|down)` + within + `$`,
			Example: `Then check "alive" in "redis" is down within 10s`,
			Help:    "A Pebble check's status (R6.1).",
			run: func(s *scenario, a []string, _ string) error {
				err := s.check(a[3], func() error {
					pc, err := s.sub.Pebble(s.unit, a[1])
					if err != nil {
						return err
					}
					infos, err := pc.Checks(&client.ChecksOptions{Names: []string{a[0]}})
					if err != nil {
						return err
					}
					if len(infos) == 0 {
						return fmt.Errorf("check %q is not in the plan of %s", a[0], a[1])
					}
					if got := string(infos[0].Status); got != a[2] {
						return fmt.Errorf("check %q in %s is %s (%d failures), want %s", a[0], a[1], got, infos[0].Failures, a[2])
					}
					return nil
				})
				if err != nil {
					return err
				}
				return s.toldOfCheck(a[1], a[0], a[2])
			}},
		{Group: g, Pattern: `^Pebble in "(?P<container>[^"]*)" is (healthy|unhealthy) at level (alive|ready)` + within + `$`,
			Example: `Then Pebble in "redis" is unhealthy at level ready`,
			Help:    "Pebble's /v1/health at a level: 200 or 502 (R6.3).",
			run: func(s *scenario, a []string, _ string) error {
				level := client.CheckLevel(a[2])
				answered := ""
				defer func() {
					// The answer the check ended on goes in the trace, for the model.
					if ans, ok := s.sub.(substrate.Answerer); ok && answered != "" {
						ans.Answer(s.unit, a[0], spec.HealthQuestion(level), answered)
					}
				}()
				return s.check(a[3], func() error {
					pc, err := s.sub.Pebble(s.unit, a[0])
					if err != nil {
						return err
					}
					ok, err := pc.Health(&client.HealthOptions{Level: level})
					answered = spec.HealthAnswer(ok, err)
					if err != nil {
						return err
					}
					if ok != (a[1] == "healthy") {
						return fmt.Errorf("Pebble in %s is healthy=%v at level %s, want %s", a[0], ok, a[2], a[1])
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^Pebble in "(?P<container>[^"]*)" (logged|has not logged) '(?P<text>[^']*)'` + within + `$`,
			Example: `Then Pebble in "redis" logged 'waiting ~500ms before restart (backoff 1)' within 5s`,
			Help:    "Whether one of Pebble's own log lines contains the text (single-quoted, as the lines hold double quotes). \"has not logged\" is checked at once.",
			run: func(s *scenario, a []string, _ string) error {
				if a[1] == "has not logged" && a[3] != "" {
					return fmt.Errorf("\"has not logged\" is checked at once: let time pass first (When 1s passes), then check")
				}
				return s.check(a[3], func() error {
					logged := false
					for _, r := range s.records() {
						if r.Type == spec.RecLog && r.Unit == s.unit && r.Container == a[0] && strings.Contains(r.Message, a[2]) {
							logged = true
							break
						}
					}
					if logged != (a[1] == "logged") {
						return fmt.Errorf("Pebble in %s of %s: logged %q is %v", a[0], s.unit, a[2], logged)
					}
					return nil
				})
			}},
	}
}

// countCheck checks a count (see countHelp); count returns the count and
// how to say it.
func (s *scenario) countCheck(withinArg, staysArg string, want int, count func() (int, string, error)) error {
	if err := s.afterDeploy(); err != nil {
		return err
	}
	stay, err := parseWithin(staysArg)
	if err != nil {
		return err
	}
	d, err := parseWithin(withinArg)
	if err != nil {
		return err
	}
	exact := func() error {
		got, said, err := count()
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%s, want %d", said, want)
		}
		return nil
	}
	if d > 0 {
		reached := func() error {
			got, said, err := count()
			if err != nil {
				return err
			}
			if got < want {
				return fmt.Errorf("%s, want it to reach %d", said, want)
			}
			return nil
		}
		if err := s.eventually(withinArg, reached); err != nil {
			return err
		}
		if stay == 0 {
			return nil
		}
	}
	if err := s.eventually("", exact); err != nil || stay == 0 {
		return err
	}
	// From here the count is watched as time moves on, not at the instant
	// "D pass" ended at.
	s.at = now
	// It must not change for stay: looked at throughout, and at the end
	// with the streams caught up.
	clock := s.sub.Clock()
	end := clock.Now() + stay
	var changed error
	spec.WaitFor(clock, stay, s.pollStep(), func() bool {
		changed = exact()
		return changed != nil || clock.Now() >= end
	})
	if changed == nil {
		s.catchUp()
		changed = exact()
	}
	if changed != nil {
		return fmt.Errorf("%v: it did not stay %d for %s", changed, want, stay)
	}
	return nil
}

// toldOfCheck waits, once a step has seen a check's state in Pebble's
// API, until the charm was told of it as well: Pebble tells the charm of
// a check going down (check-failed) or up again (check-recovered) with a
// notice, a moment after its API shows the change, and a run's trace
// knows a recovery only from that event. Without the wait, a scenario
// ending on such a step would leave its trace behind what the step saw.
func (s *scenario) toldOfCheck(container, check, state string) error {
	failed, recovered := spec.CheckFailed(container), spec.CheckRecovered(container)
	want, other := failed, recovered
	if state == "up" {
		want, other = recovered, failed
	}
	told := func() bool {
		s.catchUp()
		events, err := s.sub.Events(s.unit)
		if err != nil {
			return false
		}
		last := ""
		for _, e := range events {
			if e.Key == check && (e.Name == want || e.Name == other) {
				last = e.Name
			}
		}
		if state == "up" {
			return last != other // never failed, or recovered since
		}
		return last == want
	}
	if !spec.WaitFor(s.sub.Clock(), checkNoticeWait, s.pollStep(), told) {
		return fmt.Errorf("check %q in %s is %s in Pebble, but the charm was not told: no %s came within %s", check, container, state, want, checkNoticeWait)
	}
	return nil
}

// checkNoticeWait bounds how long a check's notice may take to reach the
// charm as its event: milliseconds, unless the charm is busy in a hook.
const checkNoticeWait = 10 * time.Second

// check runs cond under an optional "within".
func (s *scenario) check(withinArg string, cond func() error) error {
	if err := s.afterDeploy(); err != nil {
		return err
	}
	return s.eventually(withinArg, cond)
}

// listeningPorts reads the pod's listening TCP ports through the first
// workload container whose Pebble answers.
func (s *scenario) listeningPorts() ([]int, error) {
	var lastErr error
	for _, name := range s.charm.ContainerNames() {
		pc, err := s.sub.Pebble(s.unit, name)
		if err != nil {
			lastErr = err
			continue
		}
		var ports []int
		for _, path := range []string{spec.ProcNetTCP, spec.ProcNetTCP6} {
			var buf strings.Builder
			if err = pc.Pull(&client.PullOptions{Path: path, Target: &buf}); err != nil {
				break
			}
			ports = append(ports, spec.ListeningPorts(buf.String())...)
		}
		if err != nil {
			lastErr = fmt.Errorf("cannot read the listening ports of %s through %s: %v", s.unit, name, err)
			continue
		}
		slices.Sort(ports)
		return slices.Compact(ports), nil
	}
	return nil, lastErr
}
