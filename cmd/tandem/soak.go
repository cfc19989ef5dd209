package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tandem-harness/tandem/steps"
)

// soakRow is one scenario's outcomes over a soak's runs.
type soakRow struct {
	uri, name               string
	passed, failed, skipped int
	traces                  []string
}

// soak runs the suite f.repeat times and prints each scenario's pass
// rate, with the kept trace of every failure: how often a green run is
// green. It fails when any run failed. Nothing is retried.
func soak(f *runFlags, files []string, stdout, stderr io.Writer) int {
	base := f.artifacts
	if base == "" {
		base = defaultArtifacts
	}
	rows := map[string]*soakRow{}
	worst, failedRuns := exitOK, 0
	start := time.Now()
	for i := 1; i <= f.repeat; i++ {
		fmt.Fprintf(stderr, "tandem: run %d of %d\n", i, f.repeat)
		// Each run keeps its traces apart; only failures are kept unless
		// --artifacts asked for all.
		dir := filepath.Join(base, fmt.Sprintf("run-%d", i))
		all, code := runSuite(f, files, keepDir(f.artifacts, dir), i, stdout, stderr)
		if f.artifacts == "" {
			moveFailedTraces(all, dir)
		}
		code = exitCode("tandem run", code, all, stderr)
		fmt.Fprintf(stderr, "tandem: run %d of %d: %s\n", i, f.repeat, tally(all))
		if code != exitOK {
			failedRuns++
		}
		worst = max(worst, code)
		names := map[string]int{} // how many scenarios of a file share a name
		for _, r := range all {
			names[r.URI+"\x00"+r.Name]++
		}
		for _, r := range all {
			key := r.URI + "\x00" + r.ID
			name := r.Name
			if names[r.URI+"\x00"+r.Name] > 1 {
				name = fmt.Sprintf("%s (Gherkin node %s)", r.Name, r.ID)
			}
			row := rows[key]
			if row == nil {
				row = &soakRow{uri: r.URI, name: name}
				rows[key] = row
			}
			switch r.Status {
			case "passed":
				row.passed++
			case "failed":
				row.failed++
				if r.Trace != "" {
					row.traces = append(row.traces, r.Trace)
				}
			default:
				row.skipped++
			}
		}
	}
	printSoak(stdout, rows, f, failedRuns, time.Since(start))
	return worst
}

// keepDir is where runSuite keeps traces: every one under dir when the
// user asked for them all, else failures in the default place.
func keepDir(asked, dir string) string {
	if asked != "" {
		return dir
	}
	return ""
}

// moveFailedTraces moves this run's failed traces into the run's own
// directory, so the next run cannot overwrite them.
func moveFailedTraces(all []steps.Result, dir string) {
	for i, r := range all {
		if r.Trace == "" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		to := filepath.Join(dir, filepath.Base(r.Trace))
		if os.Rename(r.Trace, to) == nil {
			all[i].Trace = to
		}
	}
}

func printSoak(w io.Writer, rows map[string]*soakRow, f *runFlags, failedRuns int, took time.Duration) {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	load := "idle"
	if f.load {
		load = fmt.Sprintf("beside a CPU hog on %d cores", runtime.NumCPU())
	}
	fmt.Fprintf(w, "\ntandem soak: %d runs on %s, %s, in %s: %d failed\n", f.repeat, f.substrate, load, took.Round(time.Second), failedRuns)
	var flaky []string
	for _, k := range keys {
		r := rows[k]
		ran := r.passed + r.failed
		if ran == 0 {
			continue
		}
		if r.failed > 0 {
			flaky = append(flaky, fmt.Sprintf("  %3d/%-3d passed  %s: %q\n%s", r.passed, ran, r.uri, r.name, traceLines(r.traces)))
		}
	}
	if len(flaky) == 0 {
		fmt.Fprintf(w, "every scenario that ran passed every time (%d scenarios)\n", countRan(rows))
		return
	}
	fmt.Fprintf(w, "scenarios that failed at least once (the rest of %d passed every time):\n%s", countRan(rows), strings.Join(flaky, ""))
}

// tally is one run's count of outcomes.
func tally(all []steps.Result) string {
	n := map[string]int{}
	for _, r := range all {
		n[r.Status]++
	}
	return fmt.Sprintf("%d passed, %d failed, %d skipped", n["passed"], n["failed"], n["skipped"])
}

func traceLines(traces []string) string {
	var b strings.Builder
	for _, t := range traces {
		fmt.Fprintf(&b, "             trace: %s\n", t)
	}
	return b.String()
}

func countRan(rows map[string]*soakRow) int {
	n := 0
	for _, r := range rows {
		if r.passed+r.failed > 0 {
			n++
		}
	}
	return n
}

// hogCommand is the hidden command --load runs: it keeps every core busy
// until its parent dies or the bound passes.
const hogCommand = "__cpu-hog"

// hogBound is the longest a hog runs, whatever happens to its parent.
const hogBound = 3 * time.Hour

// startHog starts a process that spins on every core; stop kills it.
func startHog() (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot start the CPU hog: %w", err)
	}
	cmd := exec.Command(self, hogCommand, strconv.Itoa(runtime.NumCPU()))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start the CPU hog: %w", err)
	}
	return func() {
		cmd.Process.Kill()
		cmd.Wait()
	}, nil
}

// hog spins n goroutines until hogBound has passed.
func hog(args []string) int {
	n, err := strconv.Atoi(strings.Join(args, ""))
	if err != nil || n < 1 {
		n = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(n)
	deadline := time.Now().Add(hogBound)
	for i := 0; i < n; i++ {
		go func() {
			x := uint64(1)
			for {
				for j := 0; j < 1<<20; j++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
				if time.Now().After(deadline) {
					os.Exit(int(x & 0))
				}
			}
		}()
	}
	time.Sleep(hogBound + time.Second)
	return 0
}
