package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkSuiteOnSim runs the whole conformance suite on the model as a
// user does: a fresh tandem process each time, start-up included. The
// README reports its figure.
func BenchmarkSuiteOnSim(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "tandem")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("cannot build tandem: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "run", "--substrate", "sim", "--format", "progress", "../../features")
		cmd.Stdout, cmd.Stderr = nil, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("the suite failed: %v", err)
		}
	}
}

// BenchmarkYourCharmBacksOffFiveMinutesOnSim: the reference charm
// deployed on sim (its hooks its own Python), then Redis made to crash
// over and over: five minutes of Pebble's back-off with a charm of your
// own (features/yourcharm.feature), a fresh tandem process each time. The
// README reports its figure; issue 16's bar is under 2 s.
func BenchmarkYourCharmBacksOffFiveMinutesOnSim(b *testing.B) {
	const feature = "../../features/yourcharm.feature"
	data, err := os.ReadFile(feature)
	if err != nil {
		b.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "Scenario: Redis crashes over and over") {
			line = i + 1
		}
	}
	if line == 0 {
		b.Fatalf("%s has no scenario of Redis crashing over and over", feature)
	}
	bin := filepath.Join(b.TempDir(), "tandem")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("cannot build tandem: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "run", "--substrate", "sim", "--format", "progress", "--artifacts", b.TempDir(), fmt.Sprintf("%s:%d", feature, line))
		cmd.Stdout, cmd.Stderr = nil, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("the scenario failed: %v", err)
		}
	}
}
