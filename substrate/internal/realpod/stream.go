package realpod

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tandem-harness/tandem/internal/charmagent"
	"github.com/tandem-harness/tandem/spec"
)

// catchUpBound is the longest one stream's catch-up waits: a stream that
// cannot be brought up to date by then (a pod being deleted) is left as
// it is, and the check sees what there is.
const catchUpBound = 2 * time.Second

// streams is what brings each of a run's observation streams up to now.
type streams struct {
	mu   sync.Mutex
	next int
	all  map[int]func(ctx context.Context)
}

// Follow registers a stream's catch-up: called with a bounded context, it
// returns once everything the stream's source produced before the call is
// in the trace. The returned func unregisters it.
func (r *Recorder) Follow(catchUp func(ctx context.Context)) (forget func()) {
	r.streams.mu.Lock()
	defer r.streams.mu.Unlock()
	if r.streams.all == nil {
		r.streams.all = map[int]func(context.Context){}
	}
	id := r.streams.next
	r.streams.next++
	r.streams.all[id] = catchUp
	return func() {
		r.streams.mu.Lock()
		delete(r.streams.all, id)
		r.streams.mu.Unlock()
	}
}

// CatchUp brings every stream of observations (Pebble's output, the charm
// agent's event log) up to now, so a check made at this instant sees
// every observation made before it: the streams' own lag is not a race a
// scenario can see.
func (r *Recorder) CatchUp() {
	r.streams.mu.Lock()
	all := make([]func(context.Context), 0, len(r.streams.all))
	for _, f := range r.streams.all {
		all = append(all, f)
	}
	r.streams.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), catchUpBound)
	defer cancel()
	var wg sync.WaitGroup
	for _, f := range all {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	wg.Wait()
}

// pipeTail counts what has been read from a pipe and what of it has been
// recorded, so a catch-up knows when the two meet with nothing unread. A
// read and its count happen under one lock, so no byte is ever out of the
// pipe and not yet counted.
type pipeTail struct {
	f *os.File

	mu       sync.Mutex
	read     int64 // bytes taken from the pipe
	complete int64 // bytes up to the last newline taken
	recorded int64 // bytes the scanner has handed on, newlines included
	closed   bool
}

func (t *pipeTail) Read(b []byte) (int, error) {
	rc, err := t.f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		n, rerr = unix.Read(int(fd), b)
		if rerr == unix.EAGAIN {
			return false // wait until the pipe is readable
		}
		if n > 0 {
			if i := bytes.LastIndexByte(b[:n], '\n'); i >= 0 {
				t.complete = t.read + int64(i) + 1
			}
			t.read += int64(n)
		}
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// split is bufio.ScanLines, counting what each token consumed once the
// token has been handed on.
func (t *pipeTail) split(pending *int) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		advance, token, err := bufio.ScanLines(data, atEOF)
		*pending = advance
		return advance, token, err
	}
}

// unread is how many bytes wait in the pipe (TIOCINQ is FIONREAD on Linux).
func (t *pipeTail) unread() int {
	rc, err := t.f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	return n
}

// caughtUp: nothing waits in the pipe, and every whole line taken from it
// has been recorded (a line Pebble is still writing is not yet a line).
func (t *pipeTail) caughtUp() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed || (t.unread() == 0 && t.recorded >= t.complete)
}

// ReadPebblePipe records a container's Pebble log lines from the pipe
// that is its output, until the pipe closes, with a catch-up that waits
// until every line written to the pipe before it has been recorded.
func (r *Recorder) ReadPebblePipe(f *os.File, unit spec.UnitID, container string) {
	t := &pipeTail{f: f}
	forget := r.Follow(func(ctx context.Context) {
		for !t.caughtUp() && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	})
	defer forget()
	var derive spec.LogDeriver
	pending := 0
	sc := bufio.NewScanner(t)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	sc.Split(t.split(&pending))
	for sc.Scan() {
		r.PebbleLogLine(&derive, sc.Text(), unit, container)
		t.mu.Lock()
		t.recorded += int64(pending)
		t.mu.Unlock()
	}
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// eventPoll takes a charm agent's new events into the recorder.
type eventPoll struct {
	r          *Recorder
	agent      *charmagent.Client
	unit       spec.UnitID
	containers []string

	// busy is the poll's lock, a channel so a catch-up can give up on
	// its bound while another poll waits on an agent that is gone.
	busy chan struct{}
	seen int
	// began is the running hook's event, once it is in the trace.
	began *spec.Event
	// withCalls: the agent runs a charm of your own, whose Pebble calls
	// it records; calls is how many of them are in the trace.
	withCalls bool
	calls     int
}

func (p *eventPoll) poll(ctx context.Context) {
	select {
	case p.busy <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-p.busy }()
	// The charm's calls first: a hook's calls come before it ends.
	if p.withCalls {
		if calls, err := p.agent.Calls(ctx); err == nil {
			for _, c := range calls[min(p.calls, len(calls)):] {
				// Every call is in the trace; one that changed a workload
				// as an action the model replays.
				if c.Action != nil {
					p.r.record(spec.KindAction, spec.Record{At: c.At, Type: spec.RecPebble, Source: spec.SourceYourCharm, Unit: p.unit, Container: c.Action.Container, Action: c.Action})
				} else {
					p.r.record(spec.KindObservation, spec.Record{At: c.At, Type: spec.RecCharmCall, Unit: p.unit, Container: c.Container, Message: fmt.Sprintf("%s %s -> %d", c.Method, c.Path, c.Status)})
				}
			}
			p.calls = len(calls)
		}
	}
	events, err := p.agent.Events(ctx)
	if err != nil {
		return
	}
	// The agent lists the hook that runs last, marked running: it is in
	// the trace from its start, and in the unit's log once it ends.
	var running *spec.Event
	if n := len(events); n > 0 && events[n-1].Running {
		running, events = &events[n-1], events[:n-1]
	}
	for _, e := range events[min(p.seen, len(events)):] {
		if e.Dropped {
			// Never run, never listed running: it counts in the trace's
			// sequence only (spec.EventDropped).
			p.r.Observe(spec.Record{At: e.At, Type: spec.RecEvent, Unit: p.unit, Message: e.Name, Key: e.Key, State: spec.EventDropped})
			continue
		}
		if p.began != nil && p.began.At == e.At && p.began.Name == e.Name {
			p.r.EventEnded(p.unit, e)
		} else {
			p.r.AddEvent(p.unit, p.containers, e)
		}
		if len(e.Published) > 0 && p.r.passOn != nil {
			p.r.passOn(e)
		}
		p.began = nil
	}
	p.seen = len(events)
	// The running hook is in the trace from its start. One the agent dies
	// in, the next agent in the pod lists as ended (charmagent's
	// interrupted), and the loop above ends it here or, unseen, adds it.
	if running != nil && (p.began == nil || p.began.At != running.At || p.began.Name != running.Name) {
		p.r.EventBegan(p.unit, p.containers, *running)
		p.began = running
	}
}

// PollEvents takes the agent's new events into the recorder until stop
// closes, and lets a catch-up take them at once; withCalls, also the
// Pebble calls of a charm of your own (a declared charm has none to ask
// for, every 5 ms).
func (r *Recorder) PollEvents(agent *charmagent.Client, unit spec.UnitID, containers []string, withCalls bool, stop <-chan struct{}) {
	p := &eventPoll{r: r, agent: agent, unit: unit, containers: containers, withCalls: withCalls, busy: make(chan struct{}, 1)}
	forget := r.Follow(p.poll)
	defer forget()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.poll(ctx)
		cancel()
	}
}
