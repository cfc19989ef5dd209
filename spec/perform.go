package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/canonical/pebble/client"
)

// ChangeWait is how long ops waits for a change it started: start, stop,
// restart and replan all default to timeout=30.0 (ops/model.py), and
// raise when the change fails or the wait ends.
const ChangeWait = 30 * time.Second

// Perform runs one charm action through a PebbleClient (and, for exec, an
// Executor): the same code on the model and in the real charm agent, so
// both do exactly the same calls. For the actions Pebble answers with a
// change (replan, start, stop, restart) it returns the change's id: the
// caller waits for it as ops does (ChangeFailed says how it ended).
func Perform(c PebbleClient, x Executor, a Action) (changeID string, err error) {
	switch a.Kind {
	case ActReplan:
		return c.Replan(&client.ServiceOptions{})
	case ActStart:
		return c.Start(&client.ServiceOptions{Names: a.Services})
	case ActStop:
		return c.Stop(&client.ServiceOptions{Names: a.Services})
	case ActRestart:
		return c.Restart(&client.ServiceOptions{Names: a.Services})
	}
	return "", perform(c, x, a)
}

// ChangeFailed is the error ops raises for a change that is ready: none
// if it went well, else the change's own error (ops' ChangeError).
func ChangeFailed(chg *client.Change) error {
	if chg.Err != "" {
		return fmt.Errorf("%s", chg.Err)
	}
	return nil
}

// PerformAndWait performs an action and, for a change, waits for it as
// ops does: a change that fails, or is not ready within ChangeWait, is
// the action's error. Only a caller that can block does this (a real
// agent); the model waits in virtual time instead.
func PerformAndWait(c PebbleClient, x Executor, a Action) error {
	id, err := Perform(c, x, a)
	if err != nil || id == "" {
		return err
	}
	chg, err := c.WaitChange(id, &client.WaitChangeOptions{Timeout: ChangeWait})
	if err != nil {
		return err
	}
	return ChangeFailed(chg)
}

func perform(c PebbleClient, x Executor, a Action) error {
	switch a.Kind {
	case ActAddLayer:
		return c.AddLayer(&client.AddLayerOptions{Label: a.Label, LayerData: []byte(a.Layer), Combine: a.Combine})
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
