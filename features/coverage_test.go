package features

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryRuleHasAScenario fails listing each rule of docs/reference.md
// that no scenario here is tagged with.
func TestEveryRuleHasAScenario(t *testing.T) {
	ref, err := os.ReadFile("../docs/reference.md")
	require.NoError(t, err)
	rules := map[string]bool{}
	for _, m := range regexp.MustCompile(`\*\*(R\d+\.\d+)\*\*`).FindAllStringSubmatch(string(ref), -1) {
		rules[m[1]] = true
	}
	require.NotEmpty(t, rules)
	files, err := filepath.Glob("*.feature")
	require.NoError(t, err)
	tagged := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`@(R\d+\.\d+)\b`).FindAllStringSubmatch(string(data), -1) {
			tagged[m[1]] = true
		}
	}
	var missing []string
	for r := range rules {
		if !tagged[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "rules no scenario is tagged with")
}
