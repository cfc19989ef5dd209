package spec

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pebbleLogRE reads a line of Pebble's own log as `pebble run` writes it:
// "2026-11-25T02:53:46.494Z [pebble] Service "srv" starting: ...".
var pebbleLogRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) \[pebble\] (.*)$`)

// ParsePebbleLogLine splits one line of Pebble's output into its time and
// message; ok is false for lines that are not Pebble's own (service
// output, say).
func ParsePebbleLogLine(line string) (at time.Time, msg string, ok bool) {
	m := pebbleLogRE.FindStringSubmatch(line)
	if m == nil {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		return time.Time{}, "", false
	}
	return at, m[2], true
}

// IsLifecycleLog reports whether a Pebble message is one traces keep: what
// Pebble says of services and checks, not its HTTP access log.
func IsLifecycleLog(msg string) bool {
	return strings.HasPrefix(msg, "Service ") || strings.HasPrefix(msg, "Check ") || strings.HasPrefix(msg, "Sending ")
}

var (
	logStarting    = regexp.MustCompile(`^Service "([^"]+)" starting: `)
	logUnexpected  = regexp.MustCompile(`^Service "([^"]+)" stopped unexpectedly with code (-?\d+)$`)
	logBackoff     = regexp.MustCompile(`^Service "([^"]+)" \S+ action is "[^"]+", waiting ~\S+ before restart \(backoff \d+\)$`)
	logIgnore      = regexp.MustCompile(`^Service "([^"]+)" (?:on-success|on-failure) action is "ignore", not doing anything further$`)
	logShutdown    = regexp.MustCompile(`^Service "([^"]+)" (?:on-success|on-failure) action is "[^"]+", triggering \S+ shutdown$`)
	logTerminating = regexp.MustCompile(`^Service "([^"]+)" on-check-failure action is "restart", terminating process before restarting$`)
	logStopped     = regexp.MustCompile(`^Service "([^"]+)" (?:stopped|stopped while waiting for backoff|still running after SIGTERM and SIGKILL)$`)
	logCheckDown   = regexp.MustCompile(`^Check "([^"]+)" threshold \d+ hit, triggering action and recovering$`)
)

// LogDeriver turns Pebble's log lines into the observations they imply:
// a process start, a service's reported status, a check going down. Real
// substrates and the model both derive their observations through it, so
// agreement means Pebble said the same things in the same order.
type LogDeriver struct {
	lastCode map[string]int
}

// Derive returns the records msg implies, beyond the log line itself
// (with Type, Service or Check and State set; the caller sets the rest).
func (d *LogDeriver) Derive(msg string) []Record {
	if d.lastCode == nil {
		d.lastCode = map[string]int{}
	}
	status := func(svc, state string) Record { return Record{Type: RecService, Service: svc, State: state} }
	if m := logStarting.FindStringSubmatch(msg); m != nil {
		return []Record{{Type: RecStart, Service: m[1]}, status(m[1], "active")}
	}
	if m := logUnexpected.FindStringSubmatch(msg); m != nil {
		d.lastCode[m[1]], _ = strconv.Atoi(m[2])
		return nil
	}
	if m := logBackoff.FindStringSubmatch(msg); m != nil {
		return []Record{status(m[1], "backoff")}
	}
	if m := logIgnore.FindStringSubmatch(msg); m != nil {
		if d.lastCode[m[1]] == 0 {
			return []Record{status(m[1], "inactive")}
		}
		return []Record{status(m[1], "error")}
	}
	if m := logShutdown.FindStringSubmatch(msg); m != nil {
		return []Record{status(m[1], "error")}
	}
	if m := logTerminating.FindStringSubmatch(msg); m != nil {
		return []Record{status(m[1], "inactive")}
	}
	if m := logStopped.FindStringSubmatch(msg); m != nil {
		return []Record{status(m[1], "inactive")}
	}
	if m := logCheckDown.FindStringSubmatch(msg); m != nil {
		return []Record{{Type: RecCheck, Check: m[1], State: "down"}}
	}
	return nil
}
