package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/tandem-harness/tandem/spec"
)

// featureFiles expands paths (files or directories) into .feature files.
func featureFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", p, errorsCause(err))
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

var gherkinLoc = regexp.MustCompile(`\((\d+):(\d+)\): (.*)`)

// checkFeatures parses every file before anything runs, so a malformed one
// is a one-line error naming the file and line, and checks the tags tandem
// reads (@needs-<capability>).
func checkFeatures(files []string) ([]*messages.Pickle, error) {
	var pickles []*messages.Pickle
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", f, errorsCause(err))
		}
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(strings.NewReader(string(data)), ids)
		if err != nil {
			line, msg := "1", err.Error()
			if m := gherkinLoc.FindStringSubmatch(err.Error()); m != nil {
				line, msg = m[1], m[3]
			}
			return nil, fmt.Errorf("%s:%s: malformed feature: %s", f, line, msg)
		}
		if doc.Feature == nil {
			return nil, fmt.Errorf("%s:1: malformed feature: no \"Feature:\" line", f)
		}
		if err := checkTags(f, doc.Feature); err != nil {
			return nil, err
		}
		pickles = append(pickles, gherkin.Pickles(*doc, f, ids)...)
	}
	return pickles, nil
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
	if err := check(feature.Tags); err != nil {
		return err
	}
	for _, child := range feature.Children {
		if child.Scenario != nil {
			if err := check(child.Scenario.Tags); err != nil {
				return err
			}
			for _, ex := range child.Scenario.Examples {
				if err := check(ex.Tags); err != nil {
					return err
				}
			}
		}
		if child.Rule != nil {
			if err := check(child.Rule.Tags); err != nil {
				return err
			}
			for _, rc := range child.Rule.Children {
				if rc.Scenario != nil {
					if err := check(rc.Scenario.Tags); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
