package realpod

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/fixtures/charmagent"
	"github.com/tandem-harness/tandem/spec"
)

// ReadPebbleLogs records a container's Pebble log lines, and what they
// imply, at the time Pebble stamped them, until r ends.
func (r *Recorder) ReadPebbleLogs(in io.Reader, unit spec.UnitID, container string) {
	var derive spec.LogDeriver
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		at, msg, ok := spec.ParsePebbleLogLine(sc.Text())
		if !ok || !spec.IsLifecycleLog(msg) {
			continue
		}
		off := at.Sub(r.Epoch)
		r.Observe(spec.Record{At: off, Type: spec.RecLog, Unit: unit, Container: container, Message: msg})
		for _, d := range derive.Derive(msg) {
			d.At, d.Unit, d.Container = off, unit, container
			r.Observe(d)
		}
	}
}

// PollEvents takes the agent's new events into the recorder until stop
// closes; seen counts those already taken from this agent.
func (r *Recorder) PollEvents(agent *charmagent.Client, unit spec.UnitID, containers []string, stop <-chan struct{}) {
	seen := 0
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		events, err := agent.Events()
		if err != nil {
			continue
		}
		for _, e := range events[min(seen, len(events)):] {
			r.AddEvent(unit, containers, e)
		}
		seen = len(events)
	}
}

// ServiceArgv reads a service's command from the plan.
func ServiceArgv(pc spec.PebbleClient, service string) ([]string, error) {
	planYAML, err := pc.PlanBytes(nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read the plan: %w", err)
	}
	var plan struct {
		Services map[string]struct {
			Command string `yaml:"command"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(planYAML, &plan); err != nil {
		return nil, fmt.Errorf("cannot read the plan: %w", err)
	}
	svc, ok := plan.Services[service]
	if !ok {
		return nil, fmt.Errorf("service %q is not in the plan", service)
	}
	return spec.SplitCommand(svc.Command)
}

// ChildrenRunning finds the host pids of parent's children whose argv is
// argv: a service Pebble started, seen from the host.
func ChildrenRunning(parent int, argv []string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The command name may hold spaces and parentheses; ppid follows the last ')'.
		var state string
		var ppid int
		fmt.Sscanf(string(stat[strings.LastIndexByte(string(stat), ')')+1:]), " %s %d", &state, &ppid)
		if ppid != parent {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.TrimRight(string(cmdline), "\x00") == strings.Join(argv, "\x00") {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

// Signals are the signals a scenario may send.
var Signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT, "SIGKILL": syscall.SIGKILL,
	"SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2, "SIGTERM": syscall.SIGTERM,
}

// KillService signals a service's processes behind Pebble's back: the
// children of the container's Pebble (host pid pebblePID) running the
// service's command.
func KillService(pc spec.PebbleClient, pebblePID int, service, signal string) error {
	argv, err := ServiceArgv(pc, service)
	if err != nil {
		return fmt.Errorf("cannot kill service %q: %w", service, err)
	}
	num, ok := Signals[signal]
	if !ok {
		return fmt.Errorf("cannot send %s: unknown signal", signal)
	}
	pids := ChildrenRunning(pebblePID, argv)
	if len(pids) == 0 {
		return fmt.Errorf("cannot kill service %q: it has no running process", service)
	}
	for _, pid := range pids {
		syscall.Kill(pid, num)
	}
	return nil
}

// NameOf finds the name of a uid or gid in the content of a passwd or
// group file, or returns the number.
func NameOf(db string, id int) string {
	for _, line := range strings.Split(db, "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[2] == strconv.Itoa(id) {
			return f[0]
		}
	}
	return strconv.Itoa(id)
}
