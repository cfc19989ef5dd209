package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerFile in a run directory holds the pid of the tandem that made it.
const ownerFile = "owner"

// Leftover is what a killed local run left.
type Leftover struct {
	Dir       string
	Processes []int
}

// Leftovers finds run directories whose tandem is gone, and the processes
// still working in them. A live run's directory is not a leftover.
func Leftovers() ([]Leftover, error) {
	entries, err := os.ReadDir(BaseDir())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	procs := processesUnder(BaseDir())
	var out []Leftover
	for _, e := range entries {
		dir := filepath.Join(BaseDir(), e.Name())
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
