package images

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/binaries"
)

// TestNoImagePulls: every Dockerfile starts FROM scratch (Redis is a
// root filesystem tandem imports itself), so no build can pull.
func TestNoImagePulls(t *testing.T) {
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)`)
	for _, c := range contexts(binaries.Set{}) {
		for _, m := range from.FindAllStringSubmatch(c.dockerfile, -1) {
			require.Equal(t, "scratch", m[1], "image %s", c.name)
		}
	}
}

func TestParseRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:32000":        "localhost:32000",
		"localhost:32000/":       "localhost:32000",
		"registry.example.com":   "registry.example.com",
		"10.0.0.5:5000/ci/charm": "10.0.0.5:5000/ci/charm",
	} {
		r, err := ParseRegistry(in)
		require.NoError(t, err, in)
		require.Equal(t, Registry(want), r)
	}
	for _, in := range []string{"", "http://localhost:5000", "localhost:port", "host/Upper", "host:5000/a//b"} {
		_, err := ParseRegistry(in)
		require.Error(t, err, in)
		require.Regexp(t, `^cannot use registry .*\(localhost:32000\)$`, err.Error())
	}
	require.Equal(t, "localhost:32000/tandem/workload:abc", Registry("localhost:32000").Ref("tandem/workload:abc"))
	require.Equal(t, "tandem/workload:abc", Registry("").Ref("tandem/workload:abc"))
}
