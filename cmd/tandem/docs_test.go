package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/spec"
	"github.com/tandem-harness/tandem/substrate"
)

func workloadDoc(t *testing.T) string {
	data, err := os.ReadFile("../../docs/workload.md")
	require.NoError(t, err)
	return string(data)
}

func TestTheWorkloadToolsFlagsAreDocumented(t *testing.T) {
	doc := workloadDoc(t)
	fs := flag.NewFlagSet("workload", flag.ContinueOnError)
	spec.NewWorkloadFlags(fs, &spec.Behaviour{})
	fs.VisitAll(func(f *flag.Flag) {
		require.Regexp(t, regexp.MustCompile("(?m)^\\| `--"+regexp.QuoteMeta(f.Name)+"[=` ]"), doc, "docs/workload.md has no row for --%s", f.Name)
	})
}

func TestTheCapabilityTagsAreDocumented(t *testing.T) {
	doc := workloadDoc(t)
	for _, c := range spec.AllCapabilities {
		var on []string
		for _, name := range substrate.Builtin {
			if len(substrate.Missing(substrate.Declared[name], []spec.Capability{c})) == 0 {
				on = append(on, name)
			}
		}
		row := regexp.MustCompile(fmt.Sprintf("(?m)^\\| `@needs-%s` \\| [^|]+ \\| (.+) \\|$", regexp.QuoteMeta(string(c))))
		m := row.FindStringSubmatch(doc)
		require.NotNil(t, m, "docs/workload.md has no row for @needs-%s", c)
		require.Equal(t, strings.Join(on, ", "), m[1], "@needs-%s runs on", c)
	}
}
