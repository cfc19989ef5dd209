package checksuite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderGivesTheSuiteAsEmbeddedWithoutOptions(t *testing.T) {
	files, err := Render(Options{})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for i, f := range files {
		data, err := embedded.ReadFile("features/" + f.Name)
		require.NoError(t, err)
		require.Equal(t, string(data), f.Text, "%s is written as embedded", f.Name)
		require.NotContains(t, f.Text, "Background:")
		if i > 0 {
			require.Less(t, files[i-1].Name, f.Name, "in the order they run")
		}
	}
}

func TestRenderPutsConfigInABackgroundAndTheStatusInEachSettle(t *testing.T) {
	files, err := Render(Options{Config: []string{"port=5001", "mode=a=b"}, ExpectStatus: "blocked"})
	require.NoError(t, err)
	for _, f := range files {
		bg := strings.Index(f.Text, "  Background:\n    Given the charm's config \"port\" is \"5001\"\n    Given the charm's config \"mode\" is \"a=b\"\n")
		require.Positive(t, bg, f.Name)
		require.Less(t, bg, strings.Index(f.Text, "  Scenario:"), "%s: the Background comes before the scenarios", f.Name)
		require.Contains(t, f.Text, `the unit settles with status "blocked" within`)
	}
}

func TestRenderWritesValuesAsTheyAre(t *testing.T) {
	files, err := Render(Options{Config: []string{`pattern=^\d+$`}})
	require.NoError(t, err)
	require.Contains(t, files[0].Text, `Given the charm's config "pattern" is "^\d+$"`+"\n", "a step takes what is between its quotes as it is")
}

func TestRenderRefusesWhatAStepCannotSay(t *testing.T) {
	for _, o := range []Options{
		{Config: []string{"port"}},
		{Config: []string{"=5"}},
		{Config: []string{`motd=say "hi"`}},
		{ExpectStatus: `a"b`},
		{Config: []string{"motd=two\nlines"}},
	} {
		_, err := Render(o)
		require.Error(t, err, "%+v", o)
	}
}
