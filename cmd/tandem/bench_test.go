package main

import (
	"os"
	"os/exec"
	"path/filepath"
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
