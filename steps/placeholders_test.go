package steps

import (
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlaceholders(t *testing.T) {
	for pattern, want := range map[string]string{
		`^service "(?P<service>[^"]*)" in "(?P<container>[^"]*)" is (active|inactive|backoff|error)` + within + `$`: `service "<service>" in "<container>" is active|inactive|backoff|error[ within <duration>]`,
		`^the charm (starts|stops|restarts) (?P<services>.+) in "(?P<container>[^"]*)"$`:                            `the charm starts|stops|restarts <services> in "<container>"`,
		`^a charm "(?P<app>[^"]*)" with (?:a )?workload containers? (?P<containers>.+)$`:                            `a charm "<app>" with [a ]workload container[s] <containers>`,
		`^(?P<duration>(?:\d+(?:\.\d+)?(?:ms|s|m|h))+) pass(?:es)?$`:                                                `<duration> pass[es]`,
		`^the charm's last action (succeeded|failed with (?:"(?P<error>[^"]*)"|'(?P<error>[^']*)'))$`:               `the charm's last action succeeded|failed with "<error>"|'<error>'`,
		`^on "(?P<event>[^"]*)",? the charm replans "(?P<container>[^"]*)"$`:                                        `on "<event>"[,] the charm replans "<container>"`,
	} {
		require.Equal(t, want, placeholders(pattern), pattern)
	}
}

// Every group of every pattern that takes a value has a name, which is
// its placeholder; a group of fixed words shows its words.
func TestEveryGroupIsNamed(t *testing.T) {
	for _, p := range Vocabulary() {
		re, err := syntax.Parse(p.Pattern, syntax.Perl)
		require.NoError(t, err)
		// fixed says whether r matches only words written out (a group
		// of alternatives, say), named groups aside.
		var fixed func(*syntax.Regexp) bool
		fixed = func(r *syntax.Regexp) bool {
			switch r.Op {
			case syntax.OpLiteral, syntax.OpEmptyMatch:
				return true
			case syntax.OpCapture:
				if r.Name != "" {
					return true
				}
			case syntax.OpConcat, syntax.OpAlternate, syntax.OpQuest:
			default:
				return false
			}
			for _, s := range r.Sub {
				if !fixed(s) {
					return false
				}
			}
			return true
		}
		var walk func(*syntax.Regexp)
		walk = func(r *syntax.Regexp) {
			if r.Op == syntax.OpCapture && r.Name == "" {
				require.True(t, fixed(r.Sub[0]), "%s: name the group that takes a value, (?P<name>...)", p.Pattern)
			}
			for _, s := range r.Sub {
				walk(s)
			}
		}
		walk(re)
		require.NotContains(t, placeholders(p.Pattern), `\`, p.Pattern)
		require.False(t, strings.ContainsAny(placeholders(p.Pattern), "()^$*+"), "%s renders as %s", p.Pattern, placeholders(p.Pattern))
	}
}
