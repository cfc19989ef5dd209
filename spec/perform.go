package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/canonical/pebble/client"
)

// Perform runs one charm action through a PebbleClient (and, for exec, an
// Executor): the same code on the model and in the real charm agent, so
// both do exactly the same calls.
func Perform(c PebbleClient, x Executor, a Action) error {
	switch a.Kind {
	case ActAddLayer:
		return c.AddLayer(&client.AddLayerOptions{Label: a.Label, LayerData: []byte(a.Layer), Combine: a.Combine})
	case ActReplan:
		_, err := c.Replan(&client.ServiceOptions{})
		return err
	case ActStart:
		_, err := c.Start(&client.ServiceOptions{Names: a.Services})
		return err
	case ActStop:
		_, err := c.Stop(&client.ServiceOptions{Names: a.Services})
		return err
	case ActRestart:
		_, err := c.Restart(&client.ServiceOptions{Names: a.Services})
		return err
	case ActPush:
		opts := &client.PushOptions{Source: strings.NewReader(a.Content), Path: a.Path, MakeDirs: a.MakeDirs, User: a.User, Group: a.Group}
		if a.Permissions != "" {
			m, err := ParsePermissions(a.Permissions)
			if err != nil {
				return err
			}
			opts.Permissions = m
		}
		return c.Push(opts)
	case ActMakeDir:
		opts := &client.MakeDirOptions{Path: a.Path, MakeParents: a.MakeDirs, User: a.User, Group: a.Group}
		if a.Permissions != "" {
			m, err := ParsePermissions(a.Permissions)
			if err != nil {
				return err
			}
			opts.Permissions = m
		}
		return c.MakeDir(opts)
	case ActRemove:
		return c.RemovePath(&client.RemovePathOptions{Path: a.Path, Recursive: a.Recursive})
	case ActExec:
		res, err := x.Run(a.Command, 10*time.Second)
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("exit status %d", res.ExitCode)
		}
		return nil
	case ActNotify:
		_, err := c.Notify(&client.NotifyOptions{Type: client.CustomNotice, Key: a.Key})
		return err
	case ActSignal:
		return c.SendSignal(&client.SendSignalOptions{Signal: a.Signal, Services: a.Services})
	case ActConnect:
		d, ok := x.(Dialer)
		if !ok {
			return fmt.Errorf("cannot %s: no network here", a)
		}
		return d.Dial(a.Port)
	}
	return fmt.Errorf("cannot perform action %q: unknown kind", a.Kind)
}
