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
