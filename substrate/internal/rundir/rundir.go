// Package rundir is where a run on this machine keeps what it makes (the
// sandboxes' roots, the pods' charm-data, sockets): a directory per run
// under one base, holding the pid of the tandem that made it, so that
// `tandem clean` finds what a killed run left, and the processes still
// working in it. The local and sim substrates keep their runs here.
package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Base holds every run's directory.
func Base() string { return filepath.Join(os.TempDir(), "tandem-local") }

// New makes a run's directory, named after the run, owned by this tandem.
func New(runID string) (string, error) {
	if err := os.MkdirAll(Base(), 0o755); err != nil {
		return "", fmt.Errorf("cannot make a run directory: %w", err)
	}
	dir, err := os.MkdirTemp(Base(), runID+"-")
	if err != nil {
		return "", fmt.Errorf("cannot make a run directory: %w", err)
	}
	// The owner's pid tells `tandem clean` whether the run is still alive.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cannot make a run directory: %w", err)
	}
	return dir, nil
}

// ownerFile in a run directory holds the pid of the tandem that made it.
const ownerFile = "owner"

// Leftover is what a killed run left.
type Leftover struct {
	Dir       string
	Processes []int
}

// Leftovers finds run directories whose tandem is gone, and the processes
// still working in them. A live run's directory is not a leftover.
func Leftovers() ([]Leftover, error) {
	entries, err := os.ReadDir(Base())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	procs := processesUnder(Base())
	var out []Leftover
	for _, e := range entries {
		dir := filepath.Join(Base(), e.Name())
		if ownerAlive(dir) {
			continue
		}
		lo := Leftover{Dir: dir}
		for pid, cmdline := range procs {
			if strings.Contains(cmdline, dir+"/") {
				lo.Processes = append(lo.Processes, pid)
			}
		}
		out = append(out, lo)
	}
	return out, nil
}

func ownerAlive(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid == os.Getpid() {
		return pid == os.Getpid()
	}
	return syscall.Kill(pid, 0) == nil
}

// processesUnder maps the pid of every process whose command line names a
// path under dir to that command line.
func processesUnder(dir string) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(cmdline, dir+"/") {
			out[pid] = cmdline
		}
	}
	return out
}

// Clean kills what killed runs left running and removes their directories.
func Clean() ([]Leftover, error) {
	left, err := Leftovers()
	if err != nil {
		return nil, err
	}
	for _, lo := range left {
		for _, pid := range lo.Processes {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, lo := range left {
		for _, pid := range lo.Processes {
			for i := 0; i < 500 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(2 * time.Millisecond)
			}
		}
		if err := os.RemoveAll(lo.Dir); err != nil {
			return left, fmt.Errorf("cannot remove %s: %w", lo.Dir, err)
		}
	}
	return left, nil
}
