package kind

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tandem-harness/tandem/spec"
)

// logState is how far a workload's log has been read: the API server's
// timestamp of the last line taken, and what earlier lines said.
type logState struct {
	mu     sync.Mutex // the follower and a catch-up both take lines
	last   string
	derive spec.LogDeriver
}

// followLogs reads a workload's Pebble log lines across its restarts: a
// followed log ends when the container stops, and may stall when the API
// server's stream to the kubelet does, so it follows again, every few
// seconds at most, from the last line's second (the lines of that second
// already taken are skipped).
func (inc *incarnation) followLogs(name string, st *logState) {
	defer inc.followers.Done()
	// A check's catch-up reads what the API server has that the follow
	// has not yet delivered.
	forget := inc.k.Follow(func(ctx context.Context) {
		if inc.isFollowing() {
			// The container may have restarted since the follow last read:
			// the instance before comes first, or its last lines would be
			// skipped as older than the new one's.
			inc.readLogs(ctx, name, st, &corev1.PodLogOptions{Container: name, Previous: true})
			inc.readLogs(ctx, name, st, &corev1.PodLogOptions{Container: name})
		}
	})
	defer forget()
	for inc.isFollowing() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		go func() {
			select {
			case <-inc.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		inc.readLogs(ctx, name, st, &corev1.PodLogOptions{Container: name, Follow: true})
		cancel()
		select {
		case <-inc.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// catchUp reads what the followers have not yet taken, once they have
// stopped: the trace is then whole when the scenario ends.
func (inc *incarnation) catchUp() {
	inc.followers.Wait()
	inc.mu.Lock()
	logs := inc.logs
	inc.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, st := range logs {
		inc.readLogs(ctx, name, st, &corev1.PodLogOptions{Container: name, Previous: true})
		inc.readLogs(ctx, name, st, &corev1.PodLogOptions{Container: name})
	}
}

// readLogs takes the lines of one log request that are newer than st's.
func (inc *incarnation) readLogs(ctx context.Context, name string, st *logState, opts *corev1.PodLogOptions) {
	k := inc.k
	opts.Timestamps = true
	st.mu.Lock()
	last := st.last
	st.mu.Unlock()
	if last != "" {
		if t, err := time.Parse(time.RFC3339Nano, last); err == nil {
			since := metav1.NewTime(t)
			opts.SinceTime = &since
		}
	}
	stream, err := k.cs.CoreV1().Pods(k.ns).GetLogs(inc.name, opts).Stream(ctx)
	if err != nil {
		return
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		ts, line, ok := strings.Cut(sc.Text(), " ")
		st.mu.Lock()
		if ok && after(ts, st.last) { // else taken before
			st.last = ts
			k.PebbleLogLine(&st.derive, line, inc.u.id, name)
		}
		st.mu.Unlock()
	}
}

// after says whether ts, a line's timestamp from the API server, is
// later than last. A line whose timestamp does not parse is not taken:
// were it compared as text, a word there ("unable to ...") would sort
// after every date and hide every later line.
func after(ts, last string) bool {
	a, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return false
	}
	if last == "" {
		return true
	}
	b, err := time.Parse(time.RFC3339Nano, last)
	return err != nil || a.After(b)
}

// KeepLogs writes each container's whole log, and its previous
// instance's if it restarted, as the API server serves them with their
// timestamps (the charm's included), for a failed scenario: what the
// trace lacks can then be looked for where the platform keeps it.
func (k *Kind) KeepLogs(dir string) []string {
	var files []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, u := range k.allUnits() {
		inc := u.current()
		if inc == nil {
			continue
		}
		pod, err := k.cs.CoreV1().Pods(k.ns).Get(ctx, inc.name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, c := range pod.Spec.Containers {
			for _, previous := range []bool{false, true} {
				name := inc.name + "-" + c.Name
				if previous {
					name += ".previous"
				}
				path := filepath.Join(dir, name+".log")
				if keepLog(ctx, k, inc.name, &corev1.PodLogOptions{Container: c.Name, Previous: previous, Timestamps: true}, path) {
					files = append(files, path)
				}
			}
		}
	}
	return files
}

// keepLog copies one log request into path; a container that has no
// previous instance has no file.
func keepLog(ctx context.Context, k *Kind, pod string, opts *corev1.PodLogOptions, path string) bool {
	stream, err := k.cs.CoreV1().Pods(k.ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return false
	}
	defer stream.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false
	}
	f, err := os.Create(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = io.Copy(f, stream)
	return err == nil
}
