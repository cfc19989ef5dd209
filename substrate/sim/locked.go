package sim

import (
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// The model's clock and Pebble as the scenario's steps reach them: each
// call holds the model's lock, after the hooks started so far have ended
// or wait (Sim.locked).

type lockedClock struct{ s *Sim }

func (c lockedClock) Now() time.Duration {
	defer c.s.locked()()
	return c.s.m.Clock.Now()
}

func (c lockedClock) Sleep(d time.Duration) {
	defer c.s.locked()()
	c.s.m.Clock.Sleep(d)
}

type lockedPebble struct {
	s *Sim
	c *simulator.Client
}

var (
	_ spec.PebbleClient = lockedPebble{}
	_ spec.FileLister   = lockedPebble{}
)

func (p lockedPebble) AddLayer(opts *client.AddLayerOptions) error {
	defer p.s.locked()()
	return p.c.AddLayer(opts)
}

func (p lockedPebble) Replan(opts *client.ServiceOptions) (string, error) {
	defer p.s.locked()()
	return p.c.Replan(opts)
}

func (p lockedPebble) Start(opts *client.ServiceOptions) (string, error) {
	defer p.s.locked()()
	return p.c.Start(opts)
}

func (p lockedPebble) Stop(opts *client.ServiceOptions) (string, error) {
	defer p.s.locked()()
	return p.c.Stop(opts)
}

func (p lockedPebble) Restart(opts *client.ServiceOptions) (string, error) {
	defer p.s.locked()()
	return p.c.Restart(opts)
}

func (p lockedPebble) WaitChange(id string, opts *client.WaitChangeOptions) (*client.Change, error) {
	defer p.s.locked()()
	return p.c.WaitChange(id, opts)
}

func (p lockedPebble) Services(opts *client.ServicesOptions) ([]*client.ServiceInfo, error) {
	defer p.s.locked()()
	return p.c.Services(opts)
}

func (p lockedPebble) Checks(opts *client.ChecksOptions) ([]*client.CheckInfo, error) {
	defer p.s.locked()()
	return p.c.Checks(opts)
}

func (p lockedPebble) Health(opts *client.HealthOptions) (bool, error) {
	defer p.s.locked()()
	return p.c.Health(opts)
}

func (p lockedPebble) Push(opts *client.PushOptions) error {
	defer p.s.locked()()
	return p.c.Push(opts)
}

func (p lockedPebble) Pull(opts *client.PullOptions) error {
	defer p.s.locked()()
	return p.c.Pull(opts)
}

func (p lockedPebble) MakeDir(opts *client.MakeDirOptions) error {
	defer p.s.locked()()
	return p.c.MakeDir(opts)
}

func (p lockedPebble) RemovePath(opts *client.RemovePathOptions) error {
	defer p.s.locked()()
	return p.c.RemovePath(opts)
}

func (p lockedPebble) Notify(opts *client.NotifyOptions) (string, error) {
	defer p.s.locked()()
	return p.c.Notify(opts)
}

func (p lockedPebble) Notices(opts *client.NoticesOptions) ([]*client.Notice, error) {
	defer p.s.locked()()
	return p.c.Notices(opts)
}

func (p lockedPebble) SysInfo() (*client.SysInfo, error) {
	defer p.s.locked()()
	return p.c.SysInfo()
}

func (p lockedPebble) SendSignal(opts *client.SendSignalOptions) error {
	defer p.s.locked()()
	return p.c.SendSignal(opts)
}

func (p lockedPebble) PlanBytes(opts *client.PlanOptions) ([]byte, error) {
	defer p.s.locked()()
	return p.c.PlanBytes(opts)
}

func (p lockedPebble) ListFiles(opts *client.ListFilesOptions) ([]spec.FileEntry, error) {
	defer p.s.locked()()
	return p.c.ListFiles(opts)
}
