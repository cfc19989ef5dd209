package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/cucumber/godog"
	"github.com/cucumber/godog/formatters"
)

// godog's pretty and progress formats, with what does not serve a charm
// author taken out of their text: the Go function behind each step (the
// vocabulary's, which is no step's own), godog's tally (tandem prints
// one that counts skipped scenarios as skipped), and the Go snippets it
// offers for an undefined step (tandem names the phrases it may mean).
func init() {
	for _, name := range []string{"pretty", "progress"} {
		inner := godog.FindFmt(name)
		godog.Format("tandem-"+name, "godog's "+name+", for charm authors", func(suite string, out io.Writer) formatters.Formatter {
			return inner(suite, &authorWriter{out: out})
		})
	}
	// For a run whose only format is a file tandem writes itself.
	progress := godog.FindFmt("progress")
	godog.Format("tandem-silent", "nothing on the terminal", func(suite string, _ io.Writer) formatters.Formatter {
		return progress(suite, io.Discard)
	})
}

// godogFormat is the godog format a --format value runs as: JUnit and
// HTML are tandem's to write (junit.go, htmlreport.go), so godog writes
// neither.
func godogFormat(format string) string {
	var parts []string
	for _, part := range strings.Split(format, ",") {
		if strings.HasPrefix(part, "junit:") || strings.HasPrefix(part, "html:") {
			continue
		}
		if part == "pretty" || part == "progress" {
			part = "tandem-" + part
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "tandem-silent"
	}
	return strings.Join(parts, ",")
}

var (
	ansi = `(?:\x1b\[[0-9;]*m)*`
	// stepDefinition is the comment after a step: "# file.go:57 ->
	// pkg.func13", padded to a column.
	stepDefinition = regexp.MustCompile(`\s+` + ansi + `# [^ ]+\.go:\d+ -> \S+` + ansi + `$`)
	godogTally     = regexp.MustCompile(`^` + ansi + `\d+ (scenarios|steps) \(.*\)` + ansi + `$|^\d+(\.\d+)?(ns|µs|ms|s|m[0-9.]*s?|h.*)$|^\d+m\d+(\.\d+)?s$`)
	// location is a scenario's "# features/x.feature:12", padded to the
	// widest step of the feature.
	location      = regexp.MustCompile(`\s{2,}(` + ansi + `# \S+\.feature:\d+` + ansi + `)$`)
	snippetsStart = "You can implement step definitions for undefined steps with these snippets:"
	// afterScenario is how godog words an error of the scenario's own
	// (tandem's comparison with the model, an unchecked hook failure),
	// which it pins on the last step, though that step passed.
	afterScenario = "after scenario hook failed: "
	// failedStep is a step's line in godog's "Failed steps" list.
	failedStep = regexp.MustCompile(`^` + ansi + `    \S.*# \S+\.feature:\d+` + ansi + `$`)
)

// ofTheScenario is what tandem says instead of afterScenario.
const ofTheScenario = "the scenario failed after its steps passed: "

// authorWriter edits godog's text a line at a time. Progress marks (the
// dots a progress line fills with, one a step) pass at once, so a run's
// progress shows as it goes.
type authorWriter struct {
	out      io.Writer
	mu       sync.Mutex
	partial  []byte
	passed   bool // the partial line's start went out already, as marks
	snippets bool // past the start of godog's snippets: nothing more
	blanks   int  // blank lines held back, so a dropped tally leaves none
	// step is a failed step's line held back until the next shows
	// whether the failure was the step's or the scenario's.
	step string
}

// progressMarks is a line of godog's progress marks, so far.
var progressMarks = regexp.MustCompile(`^` + ansi + `([.FUPS-]` + ansi + `)+$`)

func (w *authorWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if w.passed {
			// The rest of a line of marks (" 70" and the newline).
			w.passed = false
			if _, err := io.WriteString(w.out, line+"\n"); err != nil {
				return len(p), err
			}
			continue
		}
		if err := w.line(line); err != nil {
			return len(p), err
		}
	}
	if len(w.partial) > 0 && !w.snippets && progressMarks.Match(w.partial) {
		if !w.passed {
			io.WriteString(w.out, strings.Repeat("\n", w.blanks))
			w.blanks = 0
		}
		w.passed = true
		_, err := w.out.Write(w.partial)
		w.partial = w.partial[:0]
		return len(p), err
	}
	return len(p), nil
}

func (w *authorWriter) line(line string) error {
	switch {
	case w.snippets:
		return nil
	case strings.Contains(line, snippetsStart):
		w.snippets = true
		return nil
	case godogTally.MatchString(line):
		w.blanks = 0
		return nil
	case strings.TrimSpace(line) == "":
		w.blanks++
		return nil
	}
	line = stepDefinition.ReplaceAllString(line, "")
	line = location.ReplaceAllString(line, "  $1")
	held := w.step
	w.step = ""
	switch {
	case failedStep.MatchString(line) && w.blanks == 0:
		w.step = line
		return nil
	case strings.Contains(line, afterScenario) && !strings.Contains(line, ", step error: "):
		// The scenario's own failure: under the scenario, not the step.
		// (With a step's error too, godog's line names both, and the step
		// failed: it stays.)
		line = strings.Replace(strings.Replace(line, afterScenario, ofTheScenario, 1), "      ", "    ", 1)
		held = ""
	}
	out := strings.Repeat("\n", w.blanks) + strings.TrimRight(line, " ") + "\n"
	if held != "" {
		out = held + "\n" + out
	}
	w.blanks = 0
	_, err := io.WriteString(w.out, out)
	return err
}
