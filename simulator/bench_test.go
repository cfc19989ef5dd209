package simulator

import (
	"testing"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// BenchmarkBackoffFiveMinutes simulates a unit whose service fails for five
// virtual minutes, through its whole back-off (the README reports it).
func BenchmarkBackoffFiveMinutes(b *testing.B) {
	cs := &spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}},
		Handlers: []spec.Handler{{Event: "app-pebble-ready", Actions: []spec.Action{
			{Kind: spec.ActAddLayer, Container: "app", Label: "svc", Layer: svcLayer("srv", tool+" --exit-after=100ms --exit-code=1")},
			{Kind: spec.ActReplan, Container: "app"},
		}}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m, _ := New(spec.Profiles["sim"], int64(i))
		if err := m.Deploy(cs, 1, 1); err != nil {
			b.Fatal(err)
		}
		m.Clock.Sleep(5 * time.Minute)
	}
}

// BenchmarkReplayAndCompare replays a reference run and compares it.
func BenchmarkReplayAndCompare(b *testing.B) {
	orig := referenceRun(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		model, err := Replay(orig)
		if err != nil {
			b.Fatal(err)
		}
		if d := Compare(orig, model); len(d) > 0 {
			b.Fatal(d)
		}
	}
}
