package realpod

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/canonical/pebble/client"
	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
)

// PebbleLogLine records one line of a container's output if it is one of
// Pebble's own, with what it implies; derive carries what earlier lines
// said (a service's last exit code).
func (r *Recorder) PebbleLogLine(derive *spec.LogDeriver, line string, unit spec.UnitID, container string) {
	at, msg, ok := spec.ParsePebbleLogLine(line)
	if !ok || !spec.IsLifecycleLog(msg) {
		return
	}
	off := at.Sub(r.Epoch)
	r.Observe(spec.Record{At: off, Type: spec.RecLog, Unit: unit, Container: container, Message: msg})
	for _, d := range derive.Derive(msg) {
		d.At, d.Unit, d.Container = off, unit, container
		r.Observe(d)
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

// ChildrenRunning finds the host pids of parent's children running a
// service's command: Pebble's child whose command line is argv, or, as a
// program may rewrite its title (redis-server does), whose executable is
// argv[0].
func ChildrenRunning(parent int, argv []string) []int {
	entries, _ := os.ReadDir("/proc")
	var byCmdline, byExe []int
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
			byCmdline = append(byCmdline, pid)
		}
		if len(argv) > 0 && sameExecutable(pid, parent, argv[0]) {
			byExe = append(byExe, pid)
		}
	}
	if len(byCmdline) > 0 {
		sort.Ints(byCmdline)
		return byCmdline
	}
	sort.Ints(byExe)
	return byExe
}

// sameExecutable reports whether pid runs the file that path names in
// the container of parent (symlinks resolved inside that container's
// root: Debian's redis-server is a link to redis-check-rdb).
func sameExecutable(pid, parent int, path string) bool {
	exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	root := fmt.Sprintf("/proc/%d/root", parent)
	for i := 0; i < 16; i++ {
		link, err := os.Readlink(root + path)
		if err != nil {
			break
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	target, err := os.Stat(root + path)
	return err == nil && os.SameFile(exe, target)
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

// SetHealth flips the workload tool's health switch through the
// container's Pebble, so the image need hold nothing for it: the file
// there is down, no file is up.
func SetHealth(pc spec.PebbleClient, path string, up bool) error {
	if up {
		err := pc.RemovePath(&client.RemovePathOptions{Path: path})
		if ce, ok := err.(*client.Error); ok && ce.Kind == client.ErrorKindNotFound {
			return nil
		}
		return err
	}
	return pc.Push(&client.PushOptions{Path: path, Source: strings.NewReader(""), MakeDirs: true})
}
