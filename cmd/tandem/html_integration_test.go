//go:build integration

package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The HTML report of a failing local run, rendered in headless Chromium
// (Debian's chromium, which scripts/test installs): the screenshot,
// kept in tandem-artifacts/ at the checkout's root, shows both timelines,
// the run's and the model's, each with the failing service's error bar and
// the pod's running bar.
func TestTheHTMLReportRendersInChromium(t *testing.T) {
	needLocal(t)
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("headless Chromium is missing: ./scripts/test installs it (apt-get install -y chromium)")
	}
	report := filepath.Join(t.TempDir(), "report.html")
	code, _, _ := run(t, "run", "--substrate", "local", "--artifacts", t.TempDir(), "--format", "progress,html:"+report, "testdata/nostart.feature")
	require.Equal(t, exitFailed, code)

	kept, err := filepath.Abs(filepath.Join("..", "..", "tandem-artifacts"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(kept, 0o755))
	shot := filepath.Join(kept, "html-report-local.png")
	out, err := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=1200,900", "--screenshot="+shot, "file://"+report).CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("the screenshot: %s", shot)

	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	// Rows where each colour shows, in bands: a band per timeline.
	for _, state := range []string{"error", "Running"} {
		bands := colourBands(img, stateColours[state])
		require.GreaterOrEqual(t, bands, 2, "the %s bar shows in both timelines", state)
	}
}

// colourBands counts the runs of consecutive pixel rows that hold at
// least 100 pixels of the colour (#rrggbb).
func colourBands(img image.Image, hex string) int {
	var want color.RGBA
	_, err := fmt.Sscanf(hex, "#%02x%02x%02x", &want.R, &want.G, &want.B)
	if err != nil {
		return 0
	}
	bands, in := 0, false
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bl>>8) == want.B {
				n++
			}
		}
		switch {
		case n >= 100 && !in:
			bands, in = bands+1, true
		case n < 100:
			in = false
		}
	}
	return bands
}
