package steps

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"
)

// TestStepsDocIsCurrent fails when docs/steps.md is not what
// `tandem steps --markdown` prints.
func TestStepsDocIsCurrent(t *testing.T) {
	data, err := os.ReadFile("../docs/steps.md")
	require.NoError(t, err, "generate it: go run ./cmd/tandem steps --markdown > docs/steps.md")
	require.Equal(t, Markdown(), string(data), "docs/steps.md is stale: go run ./cmd/tandem steps --markdown > docs/steps.md")
}

// TestExamplesMatchTheirPatterns keeps every example honest.
func TestExamplesMatchTheirPatterns(t *testing.T) {
	for _, p := range Vocabulary() {
		re := regexp.MustCompile(p.Pattern)
		first := regexp.MustCompile(`^(Given|When|Then|And|But) `).ReplaceAllString(firstLine(p.Example), "")
		require.True(t, re.MatchString(first), "example %q does not match %s", first, p.Pattern)
	}
}

// TestNoTwoPhrasesMatchOneExample guards against ambiguous steps.
func TestNoTwoPhrasesMatchOneExample(t *testing.T) {
	vocab := Vocabulary()
	for _, p := range vocab {
		first := regexp.MustCompile(`^(Given|When|Then|And|But) `).ReplaceAllString(firstLine(p.Example), "")
		n := 0
		for _, q := range vocab {
			if regexp.MustCompile(q.Pattern).MatchString(first) {
				n++
			}
		}
		require.Equal(t, 1, n, "example %q matches %d patterns", first, n)
	}
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// TestEveryPhraseBinds: each pattern's arity has a typed function, and
// the function passes its groups and doc string through in order.
func TestEveryPhraseBinds(t *testing.T) {
	for _, p := range Vocabulary() {
		_, err := typed(regexp.MustCompile(p.Pattern).NumSubexp(), strings.HasSuffix(p.Pattern, ":$"), nil)
		require.NoError(t, err, p.Pattern)
	}
	var got []string
	var gotDoc string
	fn, err := typed(3, true, func(args []string, doc string) error { got, gotDoc = args, doc; return nil })
	require.NoError(t, err)
	require.NoError(t, fn.(func(a, b, c string, ds *godog.DocString) error)("x", "y", "z", &godog.DocString{Content: "d"}))
	require.Equal(t, []string{"x", "y", "z"}, got)
	require.Equal(t, "d", gotDoc)
}
