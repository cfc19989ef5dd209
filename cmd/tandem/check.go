package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tandem-harness/tandem/internal/charms"
	"github.com/tandem-harness/tandem/internal/checksuite"
	"github.com/tandem-harness/tandem/steps"
	"github.com/tandem-harness/tandem/substrate"
)

// checkFlags are `tandem check`'s flags.
type checkFlags struct {
	run          runFlags
	config       []string
	expectStatus string
	print        string
	relations    string
}

// repeated is a flag given once per value (--config a=1 --config b=2).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func parseCheckFlags(args []string, stderr io.Writer) (*checkFlags, error) {
	f := &checkFlags{}
	fs := flag.NewFlagSet("tandem check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: tandem check [flags] CHARM\n\nChecks a charm's duties in the sidecar pattern, with nothing to write. CHARM is a charm directory or a packed .charm.")
		fs.PrintDefaults()
	}
	imageFlag(fs, &f.run.images)
	fs.StringVar(&f.run.substrate, "substrate", "local", "where the checks run: "+strings.Join(substrate.Names(), ", "))
	fs.Var((*repeated)(&f.config), "config", "a config option the charm needs to settle, as key=value (again for more)")
	fs.StringVar(&f.relations, "relations", "", "a YAML file of the related applications the charm needs to settle, and their data (see the README)")
	fs.StringVar(&f.expectStatus, "expect-status", "", "the status the unit must settle in (active, waiting, blocked ...); otherwise it is reported, not judged")
	fs.StringVar(&f.print, "print", "", "write the checks, as feature files for this charm, into this directory, and run nothing")
	fs.StringVar(&f.run.format, "format", "", "also write reports, comma-separated: junit:FILE, html:FILE")
	fs.StringVar(&f.run.artifacts, "artifacts", "", "keep every check's trace in this directory (failed ones are always kept, in "+defaultArtifacts+"/ by default)")
	fs.Int64Var(&f.run.seed, "seed", 1, "seed for the model's random choices")
	// Checks run at once by default: each mostly waits on Pebble and on
	// hooks (the reference charm's 8 checks take 78 s one by one, with
	// 24 s of CPU), and the suite holds beside a CPU hog on every core.
	fs.IntVar(&f.run.concurrency, "concurrency", 4, "checks run at once")
	// Flags may come after the charm too (tandem check ./my-charm
	// --config port=80): the flag package stops at the first argument
	// that is not one, so parse on from after each.
	var charm []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		charm, args = append(charm, fs.Arg(0)), fs.Args()[1:]
	}
	if len(charm) != 1 {
		return nil, fmt.Errorf("name one charm, not %d: tandem check [flags] CHARM", len(charm))
	}
	if f.run.concurrency < 1 {
		return nil, fmt.Errorf("--concurrency must be at least 1")
	}
	f.run.charm, f.run.reference, f.run.repeat = charm[0], true, 1
	for _, part := range strings.Split(f.run.format, ",") {
		if name, file, _ := strings.Cut(part, ":"); part != "" && (name != "junit" && name != "html" || file == "") {
			return nil, fmt.Errorf("--format %s: want junit:FILE or html:FILE (the table of checks is always printed)", part)
		}
	}
	if f.run.format == "" {
		f.run.format = "tandem-silent"
	}
	return f, nil
}

func checkCommand(args []string, stdout, stderr io.Writer) int {
	f, err := parseCheckFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "tandem check:", err)
		}
		return exitUsage
	}
	files, err := checkSuite(f)
	if err != nil {
		fmt.Fprintln(stderr, "tandem check:", err)
		return exitUsage
	}
	if f.print != "" {
		paths, err := checksuite.Write(f.print, files)
		if err != nil {
			fmt.Fprintln(stderr, "tandem check:", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "tandem check: wrote %d feature files into %s; run them with: tandem run --charm %s %s\n",
			len(paths), f.print, f.run.charm, f.print)
		return exitOK
	}
	dir, err := os.MkdirTemp("", "tandem-check-")
	if err != nil {
		fmt.Fprintln(stderr, "tandem check:", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)
	paths, err := checksuite.Write(dir, files)
	if err != nil {
		fmt.Fprintln(stderr, "tandem check:", err)
		return exitFailed
	}
	return runChecks(f, paths, stdout, stderr)
}

// checkSuite renders the suite for the charm, once its flags are known
// good: a bad config option is named before anything runs.
func checkSuite(f *checkFlags) ([]checksuite.File, error) {
	if _, err := os.Stat(f.run.charm); os.IsNotExist(err) {
		return nil, fmt.Errorf("cannot open charm %s: no such charm directory or .charm file", f.run.charm)
	}
	c, err := charms.Open(f.run.charm)
	if err != nil {
		return nil, err
	}
	if f.run.charm, err = filepath.Abs(f.run.charm); err != nil {
		return nil, err
	}
	for _, kv := range f.config {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--config %s: write it as key=value", kv)
		}
		if _, err := c.Meta.ConfigValue(key, value); err != nil {
			return nil, fmt.Errorf("--config %s: %w", kv, err)
		}
	}
	var relations []checksuite.Relation
	if f.relations != "" {
		if relations, err = checksuite.ReadRelations(f.relations); err != nil {
			return nil, err
		}
	}
	for _, r := range relations {
		if ep, ok := c.Meta.Endpoint(r.Endpoint); ok && ep.Role == "peers" {
			return nil, fmt.Errorf("%s:%d: %q is the charm's peer relation, which tandem relates itself, unit to unit: leave it out", f.relations, r.Line, r.Endpoint)
		}
		if _, ok := c.Meta.Endpoint(r.Endpoint); !ok {
			return nil, fmt.Errorf("%s:%d: the charm %s has no endpoint %q to relate (its metadata's requires and provides)", f.relations, r.Line, c.Meta.Name, r.Endpoint)
		}
	}
	return checksuite.Render(checksuite.Options{Config: f.config, Relations: relations, ExpectStatus: f.expectStatus})
}

// runChecks runs the rendered suite and prints a row per check, in the
// suite's order as soon as it and the checks before it have ended, then
// the tally.
func runChecks(f *checkFlags, paths []string, stdout, stderr io.Writer) int {
	var release func()
	var err error
	if f.run.substrate == "kind" {
		if release, err = prepareKind(&f.run, stderr); err != nil {
			return err.(exitError).code
		}
		defer release()
	}
	// A Ctrl-C still prints the rows of the checks that had ended.
	rows := newRowsInOrder(paths, func(r steps.Result) { printCheck(stdout, r) })
	stopSignals := tearDownOnSignal(stderr, func() {
		rows.flush()
		if release != nil {
			release()
		}
	})
	defer stopSignals()
	fmt.Fprintf(stdout, "tandem check %s on %s\n\n", f.run.charm, f.run.substrate)
	f.run.onResult = rows.add
	all, code := runSuite(&f.run, paths, f.run.artifacts, 0, io.Discard, stderr)
	rows.flush()
	counts := map[string]int{}
	for _, r := range all {
		counts[r.Status]++
	}
	fmt.Fprintf(stdout, "\n%d checks: %d passed, %d failed, %d skipped\n", len(all), counts["passed"], counts["failed"], counts["skipped"])
	return exitCode("tandem check", code, all, stderr)
}

// printCheck is one check's row: its outcome and name, then what it saw,
// indented: the notes of a passing check, the error of a failing one,
// the reason of a skipped one.
func printCheck(w io.Writer, r steps.Result) {
	mark := map[string]string{"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[r.Status]
	fmt.Fprintf(w, "%s  %s  (%s)\n", mark, r.Name, r.Duration.Round(100*time.Millisecond))
	var lines []string
	switch r.Status {
	case "failed":
		if r.Err != nil {
			lines = strings.Split(r.Err.Error(), "\n")
		}
		if r.Trace != "" {
			lines = append(lines, "trace: "+r.Trace)
		}
		if r.Logs != "" {
			lines = append(lines, "logs and hook output: "+r.Logs)
		}
	case "skipped":
		lines = []string{r.Reason}
	default:
		// A note a check's steps saw again (the status it settled in
		// each time) says nothing new.
		seen := map[string]bool{}
		for _, n := range r.Notes {
			if !seen[n] {
				seen[n] = true
				lines = append(lines, n)
			}
		}
	}
	for _, l := range lines {
		fmt.Fprintf(w, "      %s\n", l)
	}
}

// rowsInOrder holds the rows of checks that end before an earlier one,
// so the table reads in the suite's order whatever ran at once.
type rowsInOrder struct {
	mu    sync.Mutex
	order map[string]int // a feature file's base name: its place
	ended map[int]steps.Result
	next  int // the place of the first row not yet printed
	print func(steps.Result)
}

func newRowsInOrder(paths []string, print func(steps.Result)) *rowsInOrder {
	r := &rowsInOrder{order: map[string]int{}, ended: map[int]steps.Result{}, print: print}
	for i, p := range paths {
		r.order[filepath.Base(p)] = i
	}
	return r
}

func (r *rowsInOrder) add(res steps.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.order[filepath.Base(res.URI)]
	if !ok || i < r.next {
		r.print(res) // not the suite's, or its place passed: no order to keep
		return
	}
	r.ended[i] = res
	for ; r.next < len(r.order); r.next++ {
		res, ok := r.ended[r.next]
		if !ok {
			return
		}
		r.print(res)
		delete(r.ended, r.next)
	}
}

// flush prints the rows still held, behind a check that had not ended
// when the run stopped (Ctrl-C).
func (r *rowsInOrder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.next < len(r.order); r.next++ {
		if res, ok := r.ended[r.next]; ok {
			r.print(res)
			delete(r.ended, r.next)
		}
	}
}
