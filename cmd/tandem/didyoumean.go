package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	messages "github.com/cucumber/messages/go/v34"

	"github.com/tandem-harness/tandem/steps"
)

// A step no phrase of the vocabulary matches is named, with the phrases
// its author most likely meant: closest by edit distance once quoted
// values are set aside, as a typo or a word out of place is what makes a
// step undefined.

// undefinedStep is a step of a feature file that no phrase matches.
type undefinedStep struct {
	where, text string
	suggestions []string
}

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// undefinedSteps finds the steps of a feature's scenarios (an outline's
// rows filled in) that no phrase of the vocabulary matches, each once,
// with up to three suggestions.
func undefinedSteps(file string, doc *messages.GherkinDocument, pickles []*messages.Pickle) []undefinedStep {
	vocab := steps.Vocabulary()
	patterns := make([]*regexp.Regexp, len(vocab))
	for i, p := range vocab {
		patterns[i] = regexp.MustCompile(p.Pattern)
	}
	written := map[string]*messages.Step{}
	for _, st := range featureSteps(doc.Feature) {
		written[st.Id] = st
	}
	seen := map[string]bool{}
	var out []undefinedStep
	for _, p := range pickles {
		for _, ps := range p.Steps {
			st := written[ps.AstNodeIds[0]]
			if st == nil {
				continue
			}
			matched := false
			for _, re := range patterns {
				matched = matched || re.MatchString(ps.Text)
			}
			where := fmt.Sprintf("%s:%d", file, st.Location.Line)
			if matched || seen[where+ps.Text] {
				continue
			}
			seen[where+ps.Text] = true
			out = append(out, undefinedStep{where: where, text: strings.TrimSpace(st.Keyword) + " " + ps.Text, suggestions: closest(ps.Text, vocab)})
		}
	}
	return out
}

// closest are the examples of the three phrases nearest the text.
func closest(text string, vocab []steps.Phrase) []string {
	type scored struct {
		example string
		d       int
	}
	key := func(s string) string { return strings.ToLower(quoted.ReplaceAllString(s, `""`)) }
	want := key(text)
	var all []scored
	for _, p := range vocab {
		example := strings.SplitN(p.Example, "\n", 2)[0]
		bare := regexp.MustCompile(`^(Given|When|Then|And|But) `).ReplaceAllString(example, "")
		all = append(all, scored{example, editDistance(want, key(bare))})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d < all[j].d })
	var out []string
	for _, s := range all[:min(3, len(all))] {
		out = append(out, s.example)
	}
	return out
}

// editDistance is Levenshtein's, over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// printUndefined tells the author, before the run, which steps tandem has
// no phrase for, and what they may have meant (`tandem steps` lists all).
func printUndefined(w interface{ Write([]byte) (int, error) }, undefined []undefinedStep) {
	for _, u := range undefined {
		fmt.Fprintf(w, "tandem: %s: no step of tandem's reads: %s\n  did you mean:\n", u.where, u.text)
		for _, s := range u.suggestions {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	if len(undefined) > 0 {
		fmt.Fprintln(w, "  (tandem steps [FILTER] lists every phrase)")
	}
}

// featureSteps are every step written in a feature: its backgrounds' (its
// rules' too) and its scenarios'.
func featureSteps(f *messages.Feature) []*messages.Step {
	var out []*messages.Step
	for _, c := range f.Children {
		if c.Background != nil {
			out = append(out, c.Background.Steps...)
		}
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					out = append(out, rc.Background.Steps...)
				}
			}
		}
	}
	for _, sc := range featureScenarios(f) {
		out = append(out, sc.Steps...)
	}
	return out
}
