package kind

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestLabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"ci-runner-7":                        "ci-runner-7",
		"host.example.com":                   "host.example.com",
		"_weird name!":                       "weird-name",
		"":                                   "unknown",
		strings.Repeat("a", 70) + ".example": strings.Repeat("a", 63),
	} {
		got := labelValue(in)
		require.Equal(t, want, got, in)
		require.Empty(t, validation.IsValidLabelValue(got), got)
	}
}
