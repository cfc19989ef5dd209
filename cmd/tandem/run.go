package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cucumber/godog"

	"github.com/tandem-harness/tandem/internal/images"
	"github.com/tandem-harness/tandem/steps"
	"github.com/tandem-harness/tandem/substrate"
	_ "github.com/tandem-harness/tandem/substrate/docker"
	_ "github.com/tandem-harness/tandem/substrate/kind"
	_ "github.com/tandem-harness/tandem/substrate/local"
	_ "github.com/tandem-harness/tandem/substrate/sim"
)

// defaultArtifacts is where a failed scenario's trace goes when --artifacts
// is not given: a failure always leaves its evidence.
const defaultArtifacts = "tandem-artifacts"

type runFlags struct {
	substrate   string
	tags        string
	format      string
	concurrency int
	seed        int64
	artifacts   string
	reference   bool
	paths       []string
	kubeconfig  string
	registry    images.Registry
	keep        bool
	// repeat runs the suite this many times and reports each scenario's
	// pass rate; load runs it beside a CPU hog on every core.
	repeat int
	load   bool
	// charm is a charm of your own every scenario runs.
	charm string
	// images are --image NAME=REF: a charm of your own's workload images.
	images map[string]string
	// onResult, when set, hears each scenario's outcome as it ends.
	onResult func(steps.Result)
}

// imageFlag adds --image NAME=REF, repeatable, to fs.
func imageFlag(fs *flag.FlagSet, into *map[string]string) {
	fs.Func("image", "NAME=REF: a charm of your own's container NAME (or its oci-image resource) runs image REF, over the resource's upstream-source (docker, kind; repeatable)", func(v string) error {
		name, ref, ok := strings.Cut(v, "=")
		if !ok || name == "" || ref == "" {
			return fmt.Errorf("want NAME=REF (a container or its resource, and an image), as in --image redis-image=redis:7")
		}
		if *into == nil {
			*into = map[string]string{}
		}
		(*into)[name] = ref
		return nil
	})
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	f := &runFlags{}
	fs := flag.NewFlagSet("tandem run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.substrate, "substrate", "local", "where scenarios run: "+strings.Join(substrate.Names(), ", "))
	fs.StringVar(&f.tags, "tags", "", "run only scenarios matching this tag expression (\"@R5.4 && ~@needs-nodes\")")
	fs.StringVar(&f.format, "format", "pretty", "comma-separated: pretty, progress, junit:FILE, html:FILE, cucumber:FILE")
	fs.IntVar(&f.concurrency, "concurrency", 1, "scenarios run at once")
	fs.Int64Var(&f.seed, "seed", 1, "seed for the model's random choices (back-off jitter, boot ids)")
	fs.StringVar(&f.artifacts, "artifacts", "", "keep every scenario's trace in this directory (failed ones are always kept, in "+defaultArtifacts+"/ by default)")
	fs.BoolVar(&f.reference, "reference", true, "diff each real run against the model")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kind substrate: run on the cluster this kubeconfig names (default: tandem's kind cluster, brought up if it is not)")
	fs.BoolVar(&f.keep, "keep", false, "kind substrate: leave a cluster this run brings up, for the next run")
	fs.IntVar(&f.repeat, "repeat", 1, "run the suite this many times and report each scenario's pass rate (a soak; failing traces are kept per run)")
	fs.BoolVar(&f.load, "load", false, "run beside a CPU hog on every core, for as long as the run lasts (with --repeat, to find flakes that load brings out)")
	fs.StringVar(&f.charm, "charm", "", "a charm of your own (a charm directory or a packed .charm) that every scenario runs, as if each began with: Given the charm in \"PATH\"")
	imageFlag(fs, &f.images)
	registry := fs.String("registry", "", "kind substrate with --kubeconfig: push tandem's images to this registry (host[:port][/path]), which the cluster's nodes pull from")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *registry != "" {
		r, err := images.ParseRegistry(*registry)
		if err != nil {
			return nil, fmt.Errorf("--registry: %w", err)
		}
		if f.kubeconfig == "" {
			return nil, fmt.Errorf("--registry is for a cluster named by --kubeconfig: tandem's own kind cluster has its images loaded into its nodes")
		}
		f.registry = r
	}
	if f.charm != "" {
		abs, err := filepath.Abs(f.charm)
		if err != nil {
			return nil, fmt.Errorf("--charm: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("--charm %s: no such charm directory or .charm file", f.charm)
		}
		f.charm = abs
	}
	f.paths = fs.Args()
	if len(f.paths) == 0 {
		f.paths = []string{"features"}
	}
	if f.concurrency < 1 {
		return nil, fmt.Errorf("--concurrency must be at least 1")
	}
	if f.repeat < 1 || f.repeat > 1000 {
		return nil, fmt.Errorf("--repeat must be between 1 and 1000")
	}
	found := false
	for _, n := range substrate.Names() {
		found = found || n == f.substrate
	}
	if !found {
		return nil, fmt.Errorf("unknown substrate %q: want one of %s", f.substrate, strings.Join(substrate.Names(), ", "))
	}
	for _, part := range strings.Split(f.format, ",") {
		name, file, _ := strings.Cut(part, ":")
		switch name {
		case "pretty", "progress":
			if file != "" {
				return nil, fmt.Errorf("--format %s writes to the terminal; only junit, html and cucumber take a file", name)
			}
		case "junit", "html", "cucumber":
			if file == "" {
				return nil, fmt.Errorf("--format %s needs a file: %s:report.xml", name, name)
			}
		default:
			return nil, fmt.Errorf("unknown format %q: want pretty, progress, junit:FILE, html:FILE or cucumber:FILE", name)
		}
	}
	return f, nil
}

// results gathers scenario outcomes from concurrent scenarios.
type results struct {
	mu   sync.Mutex
	list []steps.Result
}

func (r *results) add(res steps.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, res)
}

func (r *results) snapshot() []steps.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]steps.Result(nil), r.list...)
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "tandem run:", err)
		}
		return exitUsage
	}
	files, err := featureFiles(f.paths)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no .feature files in %s", strings.Join(f.paths, ", "))
	}
	if err != nil {
		fmt.Fprintln(stderr, "tandem run:", err)
		return exitUsage
	}
	_, undefined, err := checkFeatures(files)
	if err != nil {
		fmt.Fprintln(stderr, "tandem run:", err)
		return exitUsage
	}
	printUndefined(stderr, undefined)
	var release func()
	if f.substrate == "kind" {
		if release, err = prepareKind(f, stderr); err != nil {
			return err.(exitError).code
		}
		defer release()
	}
	if f.load {
		stopHog, err := startHog()
		if err != nil {
			fmt.Fprintln(stderr, "tandem run:", err)
			return exitFailed
		}
		defer stopHog()
		fmt.Fprintf(stderr, "tandem: a CPU hog runs on all %d cores beside the run\n", runtime.NumCPU())
	}
	stopSignals := tearDownOnSignal(stderr, release)
	defer stopSignals()
	if f.repeat == 1 {
		return runOnce(f, files, f.artifacts, stdout, stderr)
	}
	return soak(f, files, stdout, stderr)
}

// runOnce runs the suite once and prints its tally; artifacts is where
// traces are kept (every one), or "" for failed ones in the default place.
func runOnce(f *runFlags, files []string, artifacts string, stdout, stderr io.Writer) int {
	all, code := runSuite(f, files, artifacts, 0, stdout, stderr)
	report(stdout, all)
	return exitCode("tandem run", code, all, stderr)
}

// runSuite runs the suite once: each scenario's result, and godog's code.
// run numbers a soak's runs (0: not a soak), whose reports each get a
// file of their own.
func runSuite(f *runFlags, files []string, artifacts string, run int, stdout, stderr io.Writer) ([]steps.Result, int) {
	keepAll := true
	if artifacts == "" {
		artifacts, keepAll = defaultArtifacts, false
	}
	var res results
	onResult := res.add
	if f.onResult != nil {
		onResult = func(r steps.Result) { res.add(r); f.onResult(r) }
	}
	cfg := steps.Config{
		Substrate: f.substrate, Seed: f.seed, RunID: newRunID(), Reference: f.reference,
		Artifacts: artifacts, KeepAll: keepAll, OnResult: onResult, Charm: f.charm, Images: f.images,
		Recorded: strings.Contains(","+f.format, ",html:"),
	}
	suite := godog.TestSuite{
		Name:                "tandem",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Register(sc, cfg) },
		Options: &godog.Options{
			Format:      godogFormat(f.format),
			Paths:       files,
			Tags:        f.tags,
			Concurrency: f.concurrency,
			Strict:      true,
			NoColors:    !isTerminal(stdout),
			Output:      stdout,
		},
	}
	// A caller that hears each result says what it likes of them; the
	// others get a line every 10 s.
	stop := func() {}
	if f.onResult == nil {
		stop = progressLine(stderr, &res)
	}
	code := suite.Run()
	stop()
	all := res.snapshot()
	for _, part := range strings.Split(f.format, ",") {
		var err error
		switch name, file, _ := strings.Cut(part, ":"); name {
		case "junit":
			err = writeJUnit(runFile(file, run), all)
		case "html":
			err = writeHTML(runFile(file, run), f.substrate, all)
		}
		if err != nil {
			fmt.Fprintln(stderr, "tandem run:", err)
		}
	}
	return all, code
}

// exitCode is a run's exit code from godog's and the results.
func exitCode(command string, code int, all []steps.Result, stderr io.Writer) int {
	ran := 0
	for _, r := range all {
		if r.Status != "skipped" {
			ran++
		}
	}
	switch {
	case code == 2:
		return exitUsage
	case ran == 0:
		fmt.Fprintln(stderr, command+": no scenario ran: every scenario was skipped or none matched --tags")
		return exitFailed
	case code != 0:
		return exitFailed
	}
	return exitOK
}

// report prints why scenarios were skipped and where failed ones' traces
// and logs are.
func report(w io.Writer, all []steps.Result) {
	sort.Slice(all, func(i, j int) bool { return all[i].URI+all[i].Name < all[j].URI+all[j].Name })
	var skipped, failed []string
	for _, r := range all {
		switch r.Status {
		case "skipped":
			skipped = append(skipped, fmt.Sprintf("  %s: %q: %s", r.URI, r.Name, r.Reason))
		case "failed":
			line := fmt.Sprintf("  %s: %q", r.URI, r.Name)
			if r.Trace != "" {
				line += ": trace in " + r.Trace
			}
			if r.Logs != "" {
				line += "; logs and hook output in " + r.Logs
			}
			failed = append(failed, line)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\nSkipped, with the reason:\n%s\n", strings.Join(skipped, "\n"))
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nFailed:\n%s\n", strings.Join(failed, "\n"))
	}
	// godog counts a scenario skipped before its first step as passed;
	// this is the honest tally.
	fmt.Fprintf(w, "\ntandem: %d ran: %d passed, %d failed; %d skipped\n", len(all)-len(skipped), len(all)-len(skipped)-len(failed), len(failed), len(skipped))
}

// progressLine prints a line every 10 s on long runs, so a CI log shows
// the run is alive.
func progressLine(w io.Writer, res *results) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				counts := map[string]int{}
				for _, r := range res.snapshot() {
					counts[r.Status]++
				}
				fmt.Fprintf(w, "tandem: %s: %d passed, %d failed, %d skipped so far\n",
					time.Since(start).Round(time.Second), counts["passed"], counts["failed"], counts["skipped"])
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// tearDownOnSignal makes Ctrl-C (or SIGTERM) tear down every live
// substrate, then what the run set up for them (release, when set),
// before tandem exits, so an interrupted run leaves nothing.
func tearDownOnSignal(stderr io.Writer, release func()) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "\ntandem: %s: tearing down\n", sig)
			substrate.CloseAll()
			if release != nil {
				release()
			}
			os.Exit(130)
		case <-done:
		}
	}()
	return func() { signal.Stop(sigs); close(done) }
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runFile is a report's file for a soak's run n: report.xml becomes
// report-run-3.xml (n 0: the file itself).
func runFile(file string, n int) string {
	if n == 0 {
		return file
	}
	ext := filepath.Ext(file)
	return fmt.Sprintf("%s-run-%d%s", strings.TrimSuffix(file, ext), n, ext)
}
