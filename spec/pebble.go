package spec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/canonical/pebble/client"
)

// PebbleClient holds the Pebble calls a charm makes (REFERENCE §8), with
// the signatures of github.com/canonical/pebble/client, so a real
// *client.Client is one and the model implements the same calls in virtual
// time. ListFiles and Exec are not here: their results (client.FileInfo,
// client.ExecProcess) cannot be built outside the client package, so they
// have interfaces of their own below, FileLister and Executor, with
// adapters over a real client.
type PebbleClient interface {
	AddLayer(opts *client.AddLayerOptions) error
	Replan(opts *client.ServiceOptions) (changeID string, err error)
	Start(opts *client.ServiceOptions) (changeID string, err error)
	Stop(opts *client.ServiceOptions) (changeID string, err error)
	Restart(opts *client.ServiceOptions) (changeID string, err error)
	WaitChange(id string, opts *client.WaitChangeOptions) (*client.Change, error)
	Services(opts *client.ServicesOptions) ([]*client.ServiceInfo, error)
	Checks(opts *client.ChecksOptions) ([]*client.CheckInfo, error)
	Health(opts *client.HealthOptions) (bool, error)
	Push(opts *client.PushOptions) error
	Pull(opts *client.PullOptions) error
	MakeDir(opts *client.MakeDirOptions) error
	RemovePath(opts *client.RemovePathOptions) error
	Notify(opts *client.NotifyOptions) (string, error)
	Notices(opts *client.NoticesOptions) ([]*client.Notice, error)
	SysInfo() (*client.SysInfo, error)
	SendSignal(opts *client.SendSignalOptions) error
	PlanBytes(opts *client.PlanOptions) ([]byte, error)
}

var _ PebbleClient = (*client.Client)(nil)

// FileEntry is one entry of a directory listing.
type FileEntry struct {
	Path    string      `json:"path"`
	Mode    os.FileMode `json:"mode"`
	Size    int64       `json:"size"`
	User    string      `json:"user,omitempty"`
	Group   string      `json:"group,omitempty"`
	UserID  *int        `json:"user-id,omitempty"`
	GroupID *int        `json:"group-id,omitempty"`
}

// FileLister lists files as Pebble's ListFiles does.
type FileLister interface {
	ListFiles(opts *client.ListFilesOptions) ([]FileEntry, error)
}

// ExecResult is what a finished exec gave.
type ExecResult struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit-code"`
}

// Executor runs a command to completion in a container, as Pebble's Exec
// followed by Wait does.
type Executor interface {
	Run(command []string, timeout time.Duration) (ExecResult, error)
}

// RealFiles adapts a real client to FileLister.
type RealFiles struct{ *client.Client }

func (r RealFiles) ListFiles(opts *client.ListFilesOptions) ([]FileEntry, error) {
	infos, err := r.Client.ListFiles(opts)
	if err != nil {
		return nil, err
	}
	out := make([]FileEntry, 0, len(infos))
	for _, fi := range infos {
		out = append(out, FileEntry{Path: fi.Path(), Mode: fi.Mode(), Size: fi.Size(), User: fi.User(), Group: fi.Group(), UserID: fi.UserID(), GroupID: fi.GroupID()})
	}
	return out, nil
}

// Dialer is an Executor that can also open a TCP connection from where the
// charm runs: the charm container's network namespace, which the pod's
// containers share.
type Dialer interface {
	Dial(port int) error
}

// RealExec adapts a real client to Executor; it dials from the process it
// runs in, which in the charm agent is the charm container.
type RealExec struct{ *client.Client }

func (r RealExec) Dial(port int) error {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

func (r RealExec) Run(command []string, timeout time.Duration) (ExecResult, error) {
	var stdout, stderr bytes.Buffer
	proc, err := r.Client.Exec(&client.ExecOptions{Command: command, Timeout: timeout, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return ExecResult{}, err
	}
	err = proc.Wait()
	res := ExecResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *client.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitCode()
		return res, nil
	}
	return res, err
}

// ParsePermissions reads Pebble's three-octal-digit permissions ("644").
func ParsePermissions(s string) (os.FileMode, error) {
	if len(s) != 3 {
		return 0, fmt.Errorf("permissions must be 3 octal digits, not %q", s)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("permissions must be 3 octal digits, not %q", s)
	}
	return os.FileMode(n), nil
}

// ReadAll pulls a whole file through a PebbleClient.
func ReadAll(c PebbleClient, path string) (string, error) {
	var buf bytes.Buffer
	if err := c.Pull(&client.PullOptions{Path: path, Target: &buf}); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// SysInfoOnce asks a real Pebble for its system info once: the client
// retries a failed GET for 5 s, which would hide a socket that is not
// there yet and stall a poll of several containers.
func SysInfoOnce(c *client.Client, timeout time.Duration) (*client.SysInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := c.Requester().Do(ctx, &client.RequestOptions{Type: client.SyncRequest, Method: "GET", Path: "/v1/system-info"})
	if err != nil {
		return nil, err
	}
	var info client.SysInfo
	if err := resp.DecodeResult(&info); err != nil {
		return nil, err
	}
	return &info, nil
}

// CanConnect is ops' can_connect(): whether the Pebble answers now (R2.6).
func CanConnect(pc PebbleClient) bool {
	if c, ok := pc.(*client.Client); ok {
		_, err := SysInfoOnce(c, 200*time.Millisecond)
		return err == nil
	}
	_, err := pc.SysInfo()
	return err == nil
}
