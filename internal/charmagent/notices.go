package charmagent

import (
	"context"
	"log"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/tandem-harness/tandem/spec"
)

// The workloads' notices, as Juju's pebblenotices worker turns them into
// events, and their catch-up at a scenario's end.

// watchNotices turns a workload's notices into events (R2.2, R2.3), as
// Juju's pebblenotices does: custom notices directly; change-update notices
// of perform-check changes that ended in Error, and of recover-check
// changes that ended Done.
func (a *Agent) watchNotices(ctx context.Context, name string) {
	c := a.clients[name]
	for ctx.Err() == nil {
		notices, err := c.WaitNotices(ctx, 30*time.Second, a.noticesAfter(name))
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		a.takeNotices(name, notices)
	}
}

// catchUpNotices takes, from every workload's Pebble, the notices it has
// that the watchers have not yet read: at the end of a scenario, what
// Pebble had noted by then is an event Juju's agent has decided on.
func (a *Agent) catchUpNotices() {
	// What Pebble notes after the end was asked for is not the run's:
	// the model's run ends there too.
	end := time.Now()
	for _, name := range a.cfg.Spec.ContainerNames() {
		// A Pebble that is gone (its container restarting) has nothing
		// to add, and must not hold the end: the run goes on meanwhile.
		conn, err := net.DialTimeout("unix", filepath.Join(a.cfg.SocketDir, name, "pebble.socket"), 50*time.Millisecond)
		if err != nil {
			continue
		}
		conn.Close()
		notices, err := noticesOnce(a.clients[name], a.noticesAfter(name))
		if err != nil {
			log.Printf("cannot catch up the notices of %s at the end: %v", name, err)
			continue
		}
		var before []*client.Notice
		for _, n := range notices {
			if !n.LastRepeated.After(end) {
				before = append(before, n)
			}
		}
		a.takeNotices(name, before)
	}
}

// noticesOnce asks a real Pebble for its notices once, as SysInfoOnce
// asks its system info: the client retries a failed GET for 5 s.
func noticesOnce(c *client.Client, opts *client.NoticesOptions) ([]*client.Notice, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	query := url.Values{}
	for _, t := range opts.Types {
		query.Add("types", string(t))
	}
	if !opts.After.IsZero() {
		query.Set("after", opts.After.Format(time.RFC3339Nano))
	}
	resp, err := c.Requester().Do(ctx, &client.RequestOptions{Type: client.SyncRequest, Method: "GET", Path: "/v1/notices", Query: query})
	if err != nil {
		return nil, err
	}
	// Only what the agent reads: Pebble writes durations as strings,
	// which client.Notice does not decode.
	var got []struct {
		ID           string            `json:"id"`
		Type         string            `json:"type"`
		Key          string            `json:"key"`
		LastRepeated time.Time         `json:"last-repeated"`
		LastData     map[string]string `json:"last-data"`
	}
	if err := resp.DecodeResult(&got); err != nil {
		return nil, err
	}
	out := make([]*client.Notice, 0, len(got))
	for _, n := range got {
		out = append(out, &client.Notice{ID: n.ID, Type: client.NoticeType(n.Type), Key: n.Key, LastRepeated: n.LastRepeated, LastData: n.LastData})
	}
	return out, nil
}

// noticesAfter asks for the notices of a workload the agent has not
// taken yet.
func (a *Agent) noticesAfter(name string) *client.NoticesOptions {
	a.noticesMu.Lock()
	defer a.noticesMu.Unlock()
	return &client.NoticesOptions{Types: []client.NoticeType{client.CustomNotice, client.ChangeUpdateNotice}, After: a.noticed[name]}
}

// takeNotices turns a workload's notices into events, each once though
// a watcher and a catch-up both read it. The lock covers only which are
// new: reading a check's change may wait on a Pebble that is going.
func (a *Agent) takeNotices(name string, notices []*client.Notice) {
	// Each occurrence is taken once by its notice's id and time: two
	// notices can share an instant (a check's perform-check change going
	// to Error and its recover-check change starting), in either order.
	a.noticesMu.Lock()
	var fresh []*client.Notice
	for _, n := range notices {
		key := name + "/" + n.ID
		if n.LastRepeated.After(a.taken[key]) {
			a.taken[key] = n.LastRepeated
			fresh = append(fresh, n)
		}
		if n.LastRepeated.After(a.noticed[name]) {
			a.noticed[name] = n.LastRepeated
		}
	}
	a.noticesMu.Unlock()
	for _, n := range fresh {
		switch n.Type {
		case client.CustomNotice:
			a.enqueueWorkload(spec.CustomNotice(name), n.Key, name, n.ID)
		case client.ChangeUpdateNotice:
			kind, check := n.LastData["kind"], n.LastData["check-name"]
			if kind != "perform-check" && kind != "recover-check" {
				continue
			}
			// The client's patience (it retries a failed read for 5 s),
			// as before: a loaded Pebble can be slow to answer.
			chg, err := a.clients[name].Change(n.Key)
			if err != nil {
				continue
			}
			switch {
			case kind == "perform-check" && chg.Status == "Error":
				a.enqueueWorkload(spec.CheckFailed(name), check, name, "")
			case kind == "recover-check" && chg.Status == "Done":
				a.enqueueWorkload(spec.CheckRecovered(name), check, name, "")
			}
		}
	}
}
