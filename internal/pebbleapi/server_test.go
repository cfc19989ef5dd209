package pebbleapi_test

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canonical/pebble/client"
	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/pebbleapi"
	"github.com/tandem-harness/tandem/simulator"
	"github.com/tandem-harness/tandem/spec"
)

// served deploys one unit of a one-container charm on the model and
// serves its container's Pebble on a socket: it returns Pebble's own Go
// client on that socket, and the model's Go-level client to compare with.
func served(t *testing.T) (*client.Client, *simulator.Client, *simulator.Model) {
	t.Helper()
	sock, model, m := servedOn(t)
	c, err := client.New(&client.Config{Socket: sock})
	require.NoError(t, err)
	return c, model, m
}

// serve is served's socket alone.
func serve(t *testing.T) string {
	sock, _, _ := servedOn(t)
	return sock
}

func servedOn(t *testing.T) (string, *simulator.Client, *simulator.Model) {
	t.Helper()
	profile := spec.Profiles["sim"]
	m, err := simulator.New(profile, 1)
	require.NoError(t, err)
	require.NoError(t, m.Deploy(&spec.CharmSpec{App: "demo", Containers: []spec.Container{{Name: "app"}}}, 1, 1))
	m.Clock.Sleep(profile.PodStart + profile.AgentStart + time.Millisecond)
	model := m.Units()[0].Client("app")
	sock := filepath.Join(t.TempDir(), "pebble.socket")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	go pebbleapi.New(model).Serve(l)
	t.Cleanup(func() { l.Close() })
	return sock, model, m
}

const layer = `
services:
  srv:
    override: replace
    startup: enabled
    command: /usr/bin/workload --http=8080
checks:
  up:
    override: replace
    level: alive
    http: {url: "http://localhost:8080/health"}
`

// TestPebblesGoClientReadsTheModelAsPebble: every call the charm agent and
// ops make, through Pebble's own Go client, answered by the model behind
// the server, and the same as the model's own answer.
func TestPebblesGoClientReadsTheModelAsPebble(t *testing.T) {
	c, model, _ := served(t)

	info, err := c.SysInfo()
	require.NoError(t, err)
	want, _ := model.SysInfo()
	require.Equal(t, want.BootID, info.BootID)

	require.NoError(t, c.AddLayer(&client.AddLayerOptions{Label: "base", LayerData: []byte(layer)}))
	err = c.AddLayer(&client.AddLayerOptions{Label: "base", LayerData: []byte(layer)})
	require.Error(t, err, "a second layer with the label is refused, as by Pebble")

	plan, err := c.PlanBytes(nil)
	require.NoError(t, err)
	wantPlan, _ := model.PlanBytes(nil)
	require.Equal(t, string(wantPlan), string(plan))

	id, err := c.Replan(&client.ServiceOptions{})
	require.NoError(t, err)
	chg, err := c.WaitChange(id, &client.WaitChangeOptions{Timeout: time.Minute})
	require.NoError(t, err, "the wait moves the model's clock until the change is ready")
	require.True(t, chg.Ready)
	require.Equal(t, "Done", chg.Status)
	now, err := c.Change(id)
	require.NoError(t, err)
	require.Equal(t, chg.Status, now.Status)

	svcs, err := c.Services(&client.ServicesOptions{Names: []string{"srv"}})
	require.NoError(t, err)
	require.Len(t, svcs, 1)
	require.Equal(t, client.StatusActive, svcs[0].Current)
	wantSvcs, _ := model.Services(&client.ServicesOptions{Names: []string{"srv"}})
	require.Equal(t, wantSvcs[0].CurrentSince.UTC(), svcs[0].CurrentSince.UTC())

	checks, err := c.Checks(&client.ChecksOptions{})
	require.NoError(t, err)
	require.Len(t, checks, 1)
	require.Equal(t, "up", checks[0].Name)

	healthy, err := c.Health(&client.HealthOptions{Level: client.AliveLevel})
	require.NoError(t, err)
	wantHealthy, _ := model.Health(&client.HealthOptions{Level: client.AliveLevel})
	require.Equal(t, wantHealthy, healthy)

	require.NoError(t, c.SendSignal(&client.SendSignalOptions{Signal: "SIGHUP", Services: []string{"srv"}}))
	err = c.SendSignal(&client.SendSignalOptions{Signal: "SIGHUP", Services: []string{"nope"}})
	require.Error(t, err)

	_, err = c.Change("999")
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 404, ce.StatusCode)
}

func TestFilesThroughTheServerAreTheModels(t *testing.T) {
	c, model, _ := served(t)

	require.NoError(t, c.Push(&client.PushOptions{Path: "/srv/conf/app.conf", Source: strings.NewReader("port 8080\n"), MakeDirs: true, Permissions: 0o600}))
	var got bytes.Buffer
	require.NoError(t, c.Pull(&client.PullOptions{Path: "/srv/conf/app.conf", Target: &got}))
	require.Equal(t, "port 8080\n", got.String())
	var direct bytes.Buffer
	require.NoError(t, model.Pull(&client.PullOptions{Path: "/srv/conf/app.conf", Target: &direct}))
	require.Equal(t, direct.String(), got.String(), "the push reached the model")

	files, err := c.ListFiles(&client.ListFilesOptions{Path: "/srv/conf"})
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.Equal(t, "app.conf", files[0].Name())
	require.Equal(t, "-rw-------", files[0].Mode().Perm().String())
	require.Equal(t, int64(10), files[0].Size())

	require.NoError(t, c.MakeDir(&client.MakeDirOptions{Path: "/srv/data/cache", MakeParents: true}))
	err = c.MakeDir(&client.MakeDirOptions{Path: "/srv/nope/deep"})
	require.Error(t, err, "no parents without make-parents")

	require.NoError(t, c.RemovePath(&client.RemovePathOptions{Path: "/srv/conf/app.conf"}))
	err = c.Pull(&client.PullOptions{Path: "/srv/conf/app.conf", Target: &got})
	require.Error(t, err, "a removed file is not there")
	err = c.RemovePath(&client.RemovePathOptions{Path: "/srv/data"})
	require.Error(t, err, "a non-empty directory is removed only recursively")
}

func TestNoticesThroughTheServer(t *testing.T) {
	c, _, _ := served(t)
	id, err := c.Notify(&client.NotifyOptions{Type: client.CustomNotice, Key: "example.com/done", Data: map[string]string{"k": "v"}})
	require.NoError(t, err)
	require.NotEmpty(t, id)
	notices, err := c.Notices(&client.NoticesOptions{Types: []client.NoticeType{client.CustomNotice}, Keys: []string{"example.com/done"}})
	require.NoError(t, err)
	require.Len(t, notices, 1)
	require.Equal(t, id, notices[0].ID)
	require.Equal(t, map[string]string{"k": "v"}, notices[0].LastData)
	_, err = c.Notify(&client.NotifyOptions{Type: client.CustomNotice, Key: "not a key"})
	require.Error(t, err, "a custom notice's key is a domain and path")
}

// TestExecThroughTheServer: Pebble's Go client runs a command on the
// model over the exec websockets, as on Pebble: its output, its exit
// code, stderr apart when asked.
func TestExecThroughTheServer(t *testing.T) {
	c, model, _ := served(t)
	command := []string{spec.WorkloadTool, "--exit-after=0s", "--print=pong"}
	want, err := model.Run(command, 0)
	require.NoError(t, err)

	var stdout bytes.Buffer
	proc, err := c.Exec(&client.ExecOptions{Command: command, Stdout: &stdout, Stdin: strings.NewReader("ignored\n")})
	require.NoError(t, err)
	require.NoError(t, proc.Wait())
	require.Equal(t, want.Stdout+want.Stderr, stdout.String())
	require.NotEmpty(t, stdout.String())

	failing := []string{spec.WorkloadTool, "--exit-after=0s", "--exit-code=3"}
	var errOut bytes.Buffer
	stdout.Reset()
	proc, err = c.Exec(&client.ExecOptions{Command: failing, Stdout: &stdout, Stderr: &errOut})
	require.NoError(t, err)
	err = proc.Wait()
	var exit *client.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 3, exit.ExitCode())
}
