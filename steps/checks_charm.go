package steps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// charmCheckPhrases check what the charm received and did.
func charmCheckPhrases() []Phrase {
	g := "Checks"
	return []Phrase{
		{Group: g, Pattern: `^the charm received these events` + within + `:$`,
			Example: "Then the charm received these events:\n  \"\"\"\n  install\n  leader-elected\n  config-changed\n  start\n  redis-pebble-ready\n  \"\"\"",
			Help:    "Every event the unit's charm received, in order, one per line (R2).",
			run: func(s *scenario, a []string, doc string) error {
				var want []string
				for _, l := range strings.Split(doc, "\n") {
					if l = strings.TrimSpace(l); l != "" {
						want = append(want, l)
					}
				}
				return s.check(a[0], func() error {
					got, err := s.eventNames()
					if err != nil {
						return err
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						return fmt.Errorf("the charm of %s received [%s], want [%s]", s.unit, strings.Join(got, " "), strings.Join(want, " "))
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the charm received "(?P<event>[^"]*)"` + within + `$`,
			Example: `Then the charm received "redis-pebble-ready" within 15s`,
			Help:    "An event was received, once or more.",
			run: func(s *scenario, a []string, _ string) error {
				return s.check(a[1], func() error {
					got, err := s.eventNames()
					if err != nil {
						return err
					}
					if !slices.Contains(got, a[0]) {
						return fmt.Errorf("the charm of %s has not received %s (it received %s)", s.unit, a[0], strings.Join(got, " "))
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the charm received "(?P<event>[^"]*)" (?P<n>\d+) times?` + within + staysFor + `$`,
			Example: `Then the charm received "redis-pebble-ready" 2 times within 15s and stays so for 2s`,
			Help:    "How many times the charm received an event. " + countHelp,
			run: func(s *scenario, a []string, _ string) error {
				want, _ := strconv.Atoi(a[1])
				return s.countCheck(a[2], a[3], want, func() (int, string, error) {
					got, err := s.eventNames()
					if err != nil {
						return 0, "", err
					}
					n := 0
					for _, e := range got {
						if e == a[0] {
							n++
						}
					}
					return n, fmt.Sprintf("the charm of %s received %s %d times", s.unit, a[0], n), nil
				})
			}},
		{Group: g, Pattern: `^the charm's "(?P<event>[^"]*)" handler (?P<outcome>succeeded|failed with (?:"(?P<error>[^"]*)"|'(?P<error>[^']*)'))$`,
			Example: `Then the charm's "config-changed" handler failed with "not found"`,
			Help:    "How the charm's handler for the last such event went (a handler acting before Pebble answers cannot connect: R2.6).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				s.checkedHook(a[0])
				s.catchUp()
				events, err := s.sub.Events(s.unit)
				if err != nil {
					return err
				}
				for i := len(events) - 1; i >= 0; i-- {
					e := events[i]
					if e.Name != a[0] {
						continue
					}
					if a[1] == "succeeded" {
						if len(e.Errors) > 0 {
							return fmt.Errorf("the %s handler failed: %s", a[0], strings.Join(e.Errors, "; "))
						}
						return nil
					}
					want := a[2] + a[3]
					for _, msg := range e.Errors {
						if strings.Contains(msg, want) {
							return nil
						}
					}
					return fmt.Errorf("the %s handler did not fail with %q (errors: %v)", a[0], want, e.Errors)
				}
				return fmt.Errorf("the charm of %s has not received %s", s.unit, a[0])
			}},
		{Group: g, Pattern: `^the charm (can|cannot) connect to "(?P<address>[^"]*)"` + within + `$`,
			Example: `Then the charm cannot connect to "redis"`,
			Help:    "ops' can_connect(): whether the workload's Pebble answers on its socket (R2.6).",
			run: func(s *scenario, a []string, _ string) error {
				if err := s.afterDeploy(); err != nil {
					return err
				}
				return s.check(a[2], func() error {
					connected := false
					if pc, err := s.sub.Pebble(s.unit, a[1]); err == nil {
						connected = spec.CanConnect(pc)
					}
					if connected != (a[0] == "can") {
						return fmt.Errorf("the charm of %s can connect to %s: %v, want %v", s.unit, a[1], connected, a[0] == "can")
					}
					return nil
				})
			}},
		{Group: g, Pattern: `^the charm's last action (?P<outcome>succeeded|failed with (?:"(?P<error>[^"]*)"|'(?P<error>[^']*)'))$`,
			Example: `Then the charm's last action failed with "not-found"`,
			Help:    "How the last action step went: its error kind (not-found, permission-denied, generic-file-error) or a part of its message; single quotes for a message holding double quotes.",
			run: func(s *scenario, a []string, _ string) error {
				s.checked = true
				if a[0] == "succeeded" {
					if s.lastErr != nil {
						return fmt.Errorf("the last action failed: %v", s.lastErr)
					}
					return nil
				}
				want := a[1] + a[2]
				if s.lastErr == nil {
					return fmt.Errorf("the last action succeeded, want it to fail with %q", want)
				}
				if errorKind(s.lastErr) == want || strings.Contains(s.lastErr.Error(), want) {
					return nil
				}
				return fmt.Errorf("the last action failed with %q (kind %q), want %q", s.lastErr, errorKind(s.lastErr), want)
			}},
		{Group: g, Pattern: `^the command (?P<outcome>printed "(?P<output>[^"]*)"|exited with (?P<code>\d+))$`,
			Example: `Then the command printed "pong"`,
			Help:    "What the last command the charm ran printed, or its exit code.",
			run: func(s *scenario, a []string, _ string) error {
				if s.exec == nil {
					return fmt.Errorf("no command ran: use \"When the charm runs \\\"...\\\" in \\\"<container>\\\"\" first")
				}
				if a[1] != "" || strings.HasPrefix(a[0], "printed") {
					if strings.TrimSuffix(s.exec.Stdout, "\n") != a[1] {
						return fmt.Errorf("the command printed %q, want %q", s.exec.Stdout, a[1])
					}
					return nil
				}
				want, _ := strconv.Atoi(a[2])
				if s.exec.ExitCode != want {
					return fmt.Errorf("the command exited with %d, want %d", s.exec.ExitCode, want)
				}
				return nil
			}},
	}
}

// eventNames are the events the unit's charm received, up to the
// scenario's instant.
func (s *scenario) eventNames() ([]string, error) {
	events, err := s.sub.Events(s.unit)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range events {
		if s.at == now || e.At <= s.at {
			out = append(out, e.Name)
		}
	}
	return out, nil
}
