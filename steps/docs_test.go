package steps

import (
	"os"
	"regexp"
	"testing"

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
