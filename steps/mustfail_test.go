package steps_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/steps"
	_ "github.com/tandem-harness/tandem/substrate/sim"
)

// mustFail is every scenario of testdata/mustfail: the check step that
// must fail it on sim, and what its message must say. A check that
// passed whatever happened would leave its scenario green here.
// mustFailRow is a scenario that must fail: its file, its name, the check
// that must fail it, and the message that check must give.
type mustFailRow struct {
	file, scenario, step, message string
}

var mustFail = []mustFailRow{
	{"services", "status within", `service "idle" in "app" is active within 2s`, `service "idle" in app of demo/0 is inactive, want active (waited 2s)`},
	{"services", "status at once", `service "srv" in "app" is inactive`, "service \"srv\" in app of demo/0 is active, want inactive\nPebble logged: Service \"srv\" starting: /usr/bin/workload --tcp=6379 --record=srv"},
	{"services", "port listening within", `port 7000 is listening in the pod within 2s`, `port 7000 is not listening in the pod of demo/0 (listening: [6379]) (waited 2s)`},
	{"services", "port not listening", `port 6379 is not listening in the pod`, `port 6379 is listening in the pod of demo/0 (listening: [6379])`},
	{"services", "started count never reached", `service "srv" in "app" was started 2 times within 3s`, `service "srv" in app of demo/0 was started 1 times, want it to reach 2 (waited 3s)`},
	{"services", "started count that does not stay", `service "srv" in "app" was started 1 time and stays so for 2s`, `service "srv" in app of demo/0 was started 2 times, want 1: it did not stay 1 for 2s`},
	{"services", "started count past the number at once", `service "srv" in "app" was started 1 time`, `service "srv" in app of demo/0 was started 2 times, want 1`},
	{"services", "workload's record never reached", `the workload recorded 3 starts of "srv" in "app" within 2s`, `the workload recorded 1 starts of "srv" in app, want it to reach 3 (waited 2s)`},
	{"services", "restart count never reached", `container "app" has restarted 1 time within 5s`, `container app of demo/0 has restarted 0 times, want it to reach 1 (waited 5s)`},
	{"services", "logged within", `Pebble in "app" logged 'Service "idle" starting' within 2s`, `Pebble in app of demo/0: logged "Service \"idle\" starting" is false (waited 2s)`},
	{"services", "has not logged", `Pebble in "app" has not logged 'Service "srv" starting'`, `Pebble in app of demo/0: logged "Service \"srv\" starting" is true`},
	{"services", "can connect", `the charm cannot connect to "app" within 1s`, `the charm of demo/0 can connect to app: true, want false (waited 1s)`},

	{"files", "content", `file "/etc/app.conf" in "app" contains "port 6380" within 1s`, `file /etc/app.conf in app holds "port 6379", want it to contain "port 6380" (waited 1s)`},
	{"files", "permissions", `file "/etc/app.conf" in "app" has permissions "644"`, `file /etc/app.conf in app has permissions 600, want 644`},
	{"files", "owner", `file "/etc/app.conf" in "app" is owned by "nobody"`, `file /etc/app.conf in app is owned by root, want nobody`},
	{"files", "whole content", `file "/etc/app.conf" in "app" reads:`, `file /etc/app.conf in app reads "port 6379", want "port 6380"`},
	{"files", "does not exist", `file "/etc/app.conf" in "app" does not exist within 1s`, `file /etc/app.conf exists in app (waited 1s)`},
	{"files", "check down", `check "alive" in "app" is down within 3s`, `check "alive" in app is up (0 failures), want down (waited 3s)`},
	{"files", "health", `Pebble in "app" is unhealthy at level alive within 3s`, `Pebble in app is healthy=true at level alive, want unhealthy (waited 3s)`},

	{"charm", "events in order", `the charm received these events within 2s:`, `the charm of demo/0 received [install leader-elected config-changed start app-pebble-ready], want [install config-changed leader-elected start app-pebble-ready] (waited 2s)`},
	{"charm", "an event never received", `the charm received "upgrade-charm" within 3s`, `the charm of demo/0 has not received upgrade-charm (it received install leader-elected config-changed start app-pebble-ready) (waited 3s)`},
	{"charm", "an event count never reached", `the charm received "app-pebble-ready" 2 times within 5s`, `the charm of demo/0 received app-pebble-ready 1 times, want it to reach 2 (waited 5s)`},
	{"charm", "an event count that does not stay", `the charm received "app-pebble-ready" 1 time and stays so for 30s`, `the charm of demo/0 received app-pebble-ready 2 times, want 1: it did not stay 1 for 30s`},
	{"charm", "a handler that failed", `the charm's "app-pebble-ready" handler succeeded`, `the app-pebble-ready handler failed: remove /no/such/file in app: remove /no/such/file: no such file or directory`},
	{"charm", "a handler that succeeded", `the charm's "app-pebble-ready" handler failed with "not found"`, `the app-pebble-ready handler did not fail with "not found" (errors: [])`},
	{"charm", "an action that failed", `the charm's last action succeeded`, `the last action failed: remove /no/such/file: no such file or directory`},
	{"charm", "an action that succeeded", `the charm's last action failed with "not-found"`, `the last action succeeded, want it to fail with "not-found"`},
	{"charm", "printed", `the command printed "ping"`, `the command printed "pong", want "ping"`},
	{"charm", "exit code", `the command exited with 0`, `the command exited with 3, want 0`},

	{"pods", "pod readiness", `the pod is not ready within 3s`, `the pod of demo/0 is ready=true, want not ready (waited 3s)`},
	{"pods", "the Service's endpoints", `the pod's address in the Service is not serving within 3s`, `the pod of demo/0 is listed, serving=true, want not serving (waited 3s)`},
	{"pods", "the cluster's events", `the cluster reported "Unhealthy: Liveness probe failed" for container "app" within 10s`, `the cluster reported nothing for container app of demo/0 since the scenario last acted, want "Unhealthy: Liveness probe failed" (waited 10s)`},
	{"pods", "pod phase", `the pod is Pending within 3s`, `the pod of demo/0 is Running, want Pending (waited 3s)`},
	{"pods", "another node", `the pod runs on another node within 30s`, `the pod of demo/0 is Running on node "worker-1" (was on "worker-1") (waited 30s)`},
	{"pods", "still on the failed node", `the pod is still on the failed node`, `the pod of demo/0 is Running on node "worker-2" (was on "worker-1")`},
	{"pods", "one node each", `every unit's containers run on one node`, `the pod of demo/0 is Unknown on node "worker-1"`},
	{"pods", "operator and workload apart", `the operator pod and the workload pod run on different nodes`, `the operator pod is on "worker-1" and the workload pod on "", want two nodes`},
	{"pods", "spread", `the units run on 1 different nodes`, `the units run on 2 nodes, want 1`},
}

// mustFailCharm is every scenario of testdata/mustfail-charm, which need a
// charm of your own and so run on local (an integration test): the step
// that must fail, and what its message must contain.
var mustFailCharm = []mustFailRow{
	{"yourcharm", "unit status", `the unit's status is "blocked" within 1s`, `the unit's status is "active" with message "serving on 5000", want "blocked" (waited 1s)`},
	{"yourcharm", "application status", `the application's status is "blocked"`, `the application's status is "unknown" with message "", want "blocked"`},
	{"yourcharm", "workload version", `the workload version is "9.9" within 1s`, `the workload version of snappass/0 is "1.6.0", want "9.9" (waited 1s)`},
	{"yourcharm", "opened ports", `the unit's opened ports are "80/tcp" within 1s`, `the opened ports of snappass/0 are "5000/tcp", want "80/tcp" (waited 1s)`},
	{"yourcharm", "logged", `the charm logged "a line it never logs" within 1s`, `the charm of snappass/0 logged nothing containing "a line it never logs" (waited 1s)`},
	{"yourcharm", "logged N times", `the charm logged "Redis is up" 2 times`, `the charm of snappass/0 logged 1 lines containing "Redis is up", want 2`},
	{"yourcharm", "an action that failed", `the action completed`, `the action get-url failed (message "no such scheme: gopher"), want completed`},
	{"yourcharm", "an action that completed", `the action failed with message "no such scheme"`, `the action get-url completed (message ""), want failed`},
	{"yourcharm", "an action's result", `the action's result "url" is "http://example.com"`, `the action get-url's result "url" is http://127.0.0.1:5000, want "http://example.com"`},
	{"yourcharm", "relation data", `the charm's unit data on "ingress" has "port" set to "80" within 10s`, `the charm's unit data on "ingress" has "port" set to "5000", want "80"`},
	{"secrets", "a secret's value", `the charm's secret "db-pass" has "password" set to "first"`, `secret "db-pass" of toolcheck/0 (revision 1) has "password" set to "third", want "first"`},
	{"secrets", "a secret it does not own", `the charm's secret "api-key" has "key" set to "x"`, `toolcheck/0 owns no secret labelled "api-key" (its secrets' labels: "db-pass", "unit-token")`},
	{"duties", "not settled yet", `the unit settles within 1s`, "the charm of snappass/0 "},
	{"duties", "settled in another status", `the unit settles with status "blocked" within 30s`, `the unit settled in status active ("serving on 5000"), want "blocked"`},
	{"duties", "state not as noted", `the unit's state is as noted`, "container snappass's plan differs from the noted one:"},
	{"duties", "state after each kill not as noted", `after each kill, the unit's state was as noted`, "after container redis was killed: container snappass's plan differs from the noted one:"},
	{"duties", "an event not received since the state was noted", `since the state was noted, the charm received "upgrade-charm" within 3s`, "the charm did not receive upgrade-charm since the state was noted (it received config-changed) (waited 3s)"},
	{"duties", "no start since the state was noted", `since the state was noted, the charm received start, then each workload container's pebble-ready within 3s`, "the charm did not receive start since the state was noted (it received config-changed) (waited 3s)"},
	{"duties", "a service started again", `no workload service was started again since the state was noted`, "Pebble started service snappass in snappass 1 more time: its plan changed, and a replan restarts a service whose plan changed:"},
	{"duties", "the dying order with no unit gone", `each unit that went ran departed and broken for its relations, then stop, then remove`, "no unit went: add When the application is scaled to N units, with fewer than there are, first"},
	{"unchecked", "a hook failing during the deploy", `the charm is deployed`, "the units cannot settle: flaky/0 is in error (hook failed: \"install\"):\nexit status 1"},
	{"unchecked", "a hook failed unchecked", `the unit's status is "active" with message "installed" within 40s`, "the charm's install hook failed on flaky/0, and no step checked it"},
}

// TestEveryCheckOfYourCharmHasAScenarioThatMustFail: each phrase of the
// checks of a charm of your own is the failing step of a row of
// mustFailCharm (TestEveryCheckOfYourCharmCanFail runs them on local).
func TestEveryCheckOfYourCharmHasAScenarioThatMustFail(t *testing.T) {
	everyPhraseHasARow(t, "Your charm's checks", "testdata/mustfail-charm", mustFailCharm)
}

// TestEveryCheckCanFail runs testdata/mustfail on sim: each scenario must
// fail with its message.
func TestEveryCheckCanFail(t *testing.T) {
	runMustFail(t, "sim", "testdata/mustfail", mustFail, require.Equal)
}

// runMustFail runs the scenarios of dir on a substrate: each must fail,
// and its message must match its row's (by same).
func runMustFail(t *testing.T, substrate, dir string, rows []mustFailRow, same func(require.TestingT, any, any, ...any)) {
	results, _ := runFeatures(steps.Config{Substrate: substrate, Seed: 1, RunID: "mustfail"}, dir)
	got := map[string]steps.Result{}
	for _, r := range results {
		got[r.URI+"|"+r.Name] = r
	}
	require.Len(t, got, len(rows), "every scenario of %s has a row, and no more", dir)
	for _, c := range rows {
		r, ok := got[dir+"/"+c.file+".feature|"+c.scenario]
		if !assertTrue(t, ok, "%s: %q did not run", c.file, c.scenario) {
			continue
		}
		if !assertTrue(t, r.Status == "failed", "%s: %q passed: its check %q cannot say no", c.file, c.scenario, c.step) {
			continue
		}
		require.NotNil(t, r.Err)
		same(t, c.message, r.Err.Error(), "%s: %q", c.file, c.scenario)
	}
}

// TestEveryCheckPhraseHasAScenarioThatMustFail: each phrase of the Checks
// group is the failing step of at least one row of mustFail.
func TestEveryCheckPhraseHasAScenarioThatMustFail(t *testing.T) {
	everyPhraseHasARow(t, "Checks", "testdata/mustfail", mustFail)
}

// everyPhraseHasARow: each phrase of the group is the failing step of at
// least one row, and each row's step is written in its feature.
func everyPhraseHasARow(t *testing.T, group, dir string, rows []mustFailRow) {
	for _, p := range steps.Vocabulary() {
		if p.Group != group {
			continue
		}
		re := regexp.MustCompile(p.Pattern)
		found := false
		for _, c := range rows {
			found = found || re.MatchString(c.step)
		}
		require.True(t, found, "no scenario of %s must fail on %s", dir, p.Pattern)
	}
	for _, c := range rows {
		data, err := readFile(dir + "/" + c.file + ".feature")
		require.NoError(t, err)
		require.True(t, strings.Contains(data, "Then "+c.step) || strings.Contains(data, "And "+c.step),
			"%s/%s.feature has no step %q", dir, c.file, c.step)
	}
}

func assertTrue(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}
