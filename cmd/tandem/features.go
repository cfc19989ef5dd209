package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
	"gopkg.in/yaml.v3"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/steps"
)

// featureFiles expands paths (files or directories) into .feature files.
// A file may name one scenario by its line (FILE:LINE), as godog runs it.
func featureFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		file, _ := splitLine(p)
		st, err := os.Stat(file)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", file, errorsCause(err))
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".feature") {
				out = append(out, path)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", p, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

func errorsCause(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

var lineSuffix = regexp.MustCompile(`^(.+\.feature):(\d+)$`)

// splitLine splits FILE:LINE; line is 0 for a plain path.
func splitLine(p string) (string, int) {
	m := lineSuffix.FindStringSubmatch(p)
	if m == nil {
		return p, 0
	}
	n, _ := strconv.Atoi(m[2])
	return m[1], n
}

var gherkinLoc = regexp.MustCompile(`\((\d+):(\d+)\): (.*)`)

// checkFeatures parses every file before anything runs, so a malformed one
// is a one-line error naming the file and line, and checks the tags tandem
// reads (@needs-<capability>).
func checkFeatures(files []string) ([]*messages.Pickle, []undefinedStep, error) {
	var pickles []*messages.Pickle
	var undefined []undefinedStep
	for _, p := range files {
		f, line := splitLine(p)
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %v", f, errorsCause(err))
		}
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(strings.NewReader(string(data)), ids)
		if err != nil {
			line, msg := "1", err.Error()
			if m := gherkinLoc.FindStringSubmatch(err.Error()); m != nil {
				line, msg = m[1], m[3]
			}
			return nil, nil, fmt.Errorf("%s:%s: malformed feature: %s", f, line, msg)
		}
		if doc.Feature == nil {
			return nil, nil, fmt.Errorf("%s:1: malformed feature: no \"Feature:\" line", f)
		}
		if err := checkTags(f, doc.Feature); err != nil {
			return nil, nil, err
		}
		if err := checkYAMLDocs(f, doc.Feature); err != nil {
			return nil, nil, err
		}
		if line > 0 {
			if err := scenarioOnLine(f, doc.Feature, line); err != nil {
				return nil, nil, err
			}
		}
		these := gherkin.Pickles(*doc, f, ids)
		pickles = append(pickles, these...)
		undefined = append(undefined, undefinedSteps(f, doc, these)...)
	}
	return pickles, undefined, nil
}

// scenarioOnLine checks that FILE:LINE names a scenario, an outline or
// one of its examples' rows, as godog runs only those.
func scenarioOnLine(file string, feature *messages.Feature, line int) error {
	var starts []string
	for _, sc := range featureScenarios(feature) {
		starts = append(starts, strconv.Itoa(int(sc.Location.Line)))
		if int(sc.Location.Line) == line {
			return nil
		}
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				if int(row.Location.Line) == line {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("%s:%d: no scenario starts on line %d (scenarios start on lines %s)", file, line, line, strings.Join(starts, ", "))
}

// featureScenarios are a feature's scenarios and outlines, its rules'
// included, in the file's order.
func featureScenarios(f *messages.Feature) []*messages.Scenario {
	var out []*messages.Scenario
	for _, c := range f.Children {
		if c.Scenario != nil {
			out = append(out, c.Scenario)
		}
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				if rc.Scenario != nil {
					out = append(out, rc.Scenario)
				}
			}
		}
	}
	return out
}

func checkTags(file string, feature *messages.Feature) error {
	check := func(tags []*messages.Tag) error {
		for _, t := range tags {
			name, ok := strings.CutPrefix(t.Name, "@needs-")
			if !ok {
				continue
			}
			if _, ok := spec.ParseCapability(name); !ok {
				var all []string
				for _, c := range spec.AllCapabilities {
					all = append(all, "@needs-"+string(c))
				}
				return fmt.Errorf("%s:%d: unknown capability tag %s: want one of %s", file, t.Location.Line, t.Name, strings.Join(all, ", "))
			}
		}
		return nil
	}
	tags := [][]*messages.Tag{feature.Tags}
	for _, child := range feature.Children {
		if child.Rule != nil {
			tags = append(tags, child.Rule.Tags)
		}
	}
	for _, sc := range featureScenarios(feature) {
		tags = append(tags, sc.Tags)
		for _, ex := range sc.Examples {
			tags = append(tags, ex.Tags)
		}
	}
	for _, t := range tags {
		if err := check(t); err != nil {
			return err
		}
	}
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// checkYAMLDocs parses each doc string that is YAML (a layer, an action's
// params), so a mistake in one is a one-line error naming the feature
// file's line, not a line of the doc string, before anything runs. A doc
// string of an outline that holds one of its <placeholders> is checked
// when it runs, with the row's values.
func checkYAMLDocs(file string, feature *messages.Feature) error {
	type stepList struct {
		steps        []*messages.Step
		placeholders []string
	}
	var all []stepList
	for _, c := range feature.Children {
		if c.Background != nil {
			all = append(all, stepList{steps: c.Background.Steps})
		}
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					all = append(all, stepList{steps: rc.Background.Steps})
				}
			}
		}
	}
	for _, sc := range featureScenarios(feature) {
		l := stepList{steps: sc.Steps}
		for _, ex := range sc.Examples {
			if ex.TableHeader != nil {
				for _, cell := range ex.TableHeader.Cells {
					l.placeholders = append(l.placeholders, "<"+cell.Value+">")
				}
			}
		}
		all = append(all, l)
	}
	for _, l := range all {
		for _, st := range l.steps {
			d := st.DocString
			if d == nil || !steps.DocIsYAML(st.Text) || slices.ContainsFunc(l.placeholders, func(p string) bool { return strings.Contains(d.Content, p) }) {
				continue
			}
			var v any
			err := yaml.Unmarshal([]byte(d.Content), &v)
			if err == nil {
				continue
			}
			line, msg := int(d.Location.Line)+1, err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				n, _ := strconv.Atoi(m[1])
				line, msg = int(d.Location.Line)+n, m[2]
			}
			return fmt.Errorf("%s:%d: the YAML of %q does not parse: %s (fix the doc string's YAML)", file, line, strings.TrimSpace(st.Keyword)+" "+st.Text, msg)
		}
	}
	return nil
}
