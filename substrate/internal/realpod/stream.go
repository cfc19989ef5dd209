package realpod

import (
	"bufio"
	"context"
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
// recorded, so a catch-up knows when the two meet with nothing unread.
type pipeTail struct {
	f *os.File

	mu       sync.Mutex
	read     int64
	recorded int64
	closed   bool
}

func (t *pipeTail) Read(b []byte) (int, error) {
	n, err := t.f.Read(b)
	t.mu.Lock()
	t.read += int64(n)
	if err != nil {
		t.closed = true
	}
	t.mu.Unlock()
	return n, err
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

func (t *pipeTail) caughtUp() bool {
	if t.unread() > 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed || t.recorded >= t.read
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
	sc := bufio.NewScanner(t)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		r.PebbleLogLine(&derive, string(line), unit, container)
		t.mu.Lock()
		t.recorded += int64(len(line)) + 1
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

	mu   sync.Mutex
	seen int
}

func (p *eventPoll) poll(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	events, err := p.agent.Events(ctx)
	if err != nil {
		return
	}
	for _, e := range events[min(p.seen, len(events)):] {
		p.r.AddEvent(p.unit, p.containers, e)
	}
	p.seen = len(events)
}

// PollEvents takes the agent's new events into the recorder until stop
// closes, and lets a catch-up take them at once.
func (r *Recorder) PollEvents(agent *charmagent.Client, unit spec.UnitID, containers []string, stop <-chan struct{}) {
	p := &eventPoll{r: r, agent: agent, unit: unit, containers: containers}
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
