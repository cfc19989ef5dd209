package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-harness/tandem/steps"
)

// tandem writes JUnit itself, from its own results, rather than godog's
// report: a scenario that failed in its end-of-scenario comparison with
// the model is a failure, a skipped one is skipped with tandem's reason
// (each row of an outline its own), and the counts add up. The shape is
// the one CI tools read (Jenkins' and GitLab's): testsuites, a testsuite
// per feature file, a testcase per scenario.

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitTotals
	Suites []junitSuite `xml:"testsuite"`
}

// junitTotals are what the file counts: the schema CI tools validate with
// (Jenkins' junit-10.xsd) has no skipped count on testsuites, only on
// each testsuite.
type junitTotals struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Cases []junitCase `xml:"testcase"`
}

// junitCounts are what each suite counts.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes the results as JUnit XML to path.
func writeJUnit(path string, all []steps.Result) error {
	data, err := junitXML(all)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("cannot write the JUnit report: %w", err)
	}
	return nil
}

func junitXML(all []steps.Result) ([]byte, error) {
	results := append([]steps.Result(nil), all...)
	sort.SliceStable(results, func(i, j int) bool {
		if results[i].URI != results[j].URI {
			return results[i].URI < results[j].URI
		}
		return lessIDs(results[i].ID, results[j].ID)
	})
	out := junitSuites{Name: "tandem"}
	var total time.Duration
	seen := map[string]int{} // uri|name -> rows so far, for outline rows
	for _, r := range results {
		if len(out.Suites) == 0 || out.Suites[len(out.Suites)-1].Name != r.URI {
			out.Suites = append(out.Suites, junitSuite{Name: r.URI})
		}
		s := &out.Suites[len(out.Suites)-1]
		name := r.Name
		if n := rowsNamed(results, r); n > 1 {
			seen[r.URI+"|"+r.Name]++
			name = fmt.Sprintf("%s #%d", r.Name, seen[r.URI+"|"+r.Name])
		}
		c := junitCase{Name: name, Classname: strings.TrimSuffix(r.URI, ".feature"), Time: seconds(r.Duration)}
		switch r.Status {
		case "failed":
			msg := "failed"
			if r.Err != nil {
				msg = r.Err.Error()
			}
			first, _, _ := strings.Cut(msg, "\n")
			c.Failure = &junitProblem{Message: first, Type: "failure", Text: msg}
			s.Failures++
		case "skipped":
			c.Skipped = &junitProblem{Message: r.Reason}
			s.Skipped++
		}
		var kept []string
		if r.Trace != "" {
			kept = append(kept, "trace: "+r.Trace)
		}
		if r.Logs != "" {
			kept = append(kept, "logs and hook output: "+r.Logs)
		}
		c.SystemOut = strings.Join(kept, "\n")
		s.Cases = append(s.Cases, c)
		s.Tests++
		total += r.Duration
	}
	for i := range out.Suites {
		s := &out.Suites[i]
		var d time.Duration
		for _, r := range results {
			if r.URI == s.Name {
				d += r.Duration
			}
		}
		s.Time = seconds(d)
		out.Tests += s.Tests
		out.Failures += s.Failures
	}
	out.Time = seconds(total)
	data, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cannot write the JUnit report: %w", err)
	}
	return append([]byte(xml.Header), append(data, '\n')...), nil
}

// rowsNamed counts the results of a file that share r's name: the rows of
// a Scenario Outline.
func rowsNamed(all []steps.Result, r steps.Result) int {
	n := 0
	for _, o := range all {
		if o.URI == r.URI && o.Name == r.Name {
			n++
		}
	}
	return n
}

// lessIDs orders results by the ids of their Gherkin nodes (numbers,
// comma-joined), which follow the file's order.
func lessIDs(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		if errX != nil || errY != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
