package simulator

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedClock is a clock that holds, and its lock, held by the test as a
// sim scenario's steps hold it.
func lockedClock() (*Clock, *sync.Mutex) {
	var mu sync.Mutex
	c := &Clock{}
	c.UseLock(&mu)
	return c, &mu
}

func TestTimeStandsStillWhileAHoldIsActive(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	defer mu.Unlock()
	var fired []time.Duration
	c.AfterFunc(time.Second, func() { fired = append(fired, c.Now()) })
	h := c.Hold("install", nil)
	var sawNow time.Duration
	go func() {
		time.Sleep(50 * time.Millisecond) // the hook's wall time
		mu.Lock()
		defer mu.Unlock()
		sawNow = c.Now()
		c.AfterFunc(0, func() { fired = append(fired, c.Now()) }) // what the hook started
		h.Release()
	}()
	c.RunUntil(10 * time.Second)
	assert.Equal(t, time.Duration(0), sawNow, "the hook ran at the instant it started")
	assert.Equal(t, []time.Duration{0, time.Second}, fired, "the hook's own timer at its instant, then the later one")
	assert.Equal(t, 10*time.Second, c.Now())
	assert.Empty(t, c.Held())
}

func TestTimersOfTheSameInstantRunBesideAHold(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	defer mu.Unlock()
	h := c.Hold("snappass/0's install", nil)
	released := false
	ranBeside := false
	// snappass/1's agent comes up at the same instant: it does not wait
	// for snappass/0's hook.
	c.AfterFunc(0, func() { ranBeside = !released })
	go func() {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		released = true
		h.Release()
	}()
	c.RunUntil(time.Second)
	assert.True(t, ranBeside)
}

func TestAnAwaitingHoldLetsTimeMoveUntilItsWaitIsOver(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	defer mu.Unlock()
	done := false
	c.AfterFunc(5*time.Second, func() { done = true }) // a change ready at 5 s
	var later []time.Duration
	c.AfterFunc(7*time.Second, func() { later = append(later, c.Now()) })
	h := c.Hold("config-changed", nil)
	var resumedAt time.Duration
	var ok bool
	go func() {
		mu.Lock()
		defer mu.Unlock()
		ok = h.Await(func() bool { return done }, nil)
		resumedAt = c.Now()
		// Back in wall time: nothing past 5 s runs until the hook ends.
		assert.Empty(t, later)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		h.Release()
	}()
	c.RunUntil(10 * time.Second)
	assert.True(t, ok)
	assert.Equal(t, 5*time.Second, resumedAt, "the hook went on when its change was ready")
	assert.Equal(t, []time.Duration{7 * time.Second}, later)
}

func TestAWaitNotOverLeavesTheHookWaitingWhenTheStepEnds(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	defer mu.Unlock()
	done := false
	c.AfterFunc(5*time.Second, func() { done = true })
	h := c.Hold("start", nil)
	resumed := make(chan time.Duration, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		h.Await(func() bool { return done }, nil)
		resumed <- c.Now()
		h.Release()
	}()
	c.RunUntil(time.Second) // the scenario lets 1 s pass
	assert.Equal(t, time.Second, c.Now())
	select {
	case at := <-resumed:
		t.Fatalf("the hook went on at %v, before its change was ready", at)
	default:
	}
	c.RunUntil(10 * time.Second)
	assert.Equal(t, 5*time.Second, <-resumed)
}

func TestAnOverdueHoldIsNamed(t *testing.T) {
	c, mu := lockedClock()
	c.SetHoldBound(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	var overdue []string
	var h *Hold
	h = c.Hold("install", func() {
		overdue = append(overdue, h.Name())
		h.Release() // the runner kills the hook; here it just ends
	})
	start := time.Now()
	c.RunUntil(time.Second)
	assert.Equal(t, []string{"install"}, overdue)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestAbandonEndsEveryWait(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	h := c.Hold("stop", nil)
	result := make(chan bool, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		result <- h.Await(func() bool { return false }, nil)
	}()
	c.Settle() // the hook waits now
	c.Abandon()
	mu.Unlock()
	require.False(t, <-result)
}

func TestTimeMovesWithoutHolds(t *testing.T) {
	c := &Clock{}
	fired := 0
	c.AfterFunc(time.Second, func() { fired++ })
	c.RunUntil(2 * time.Second)
	assert.Equal(t, 1, fired)
	c.Settle() // without UseLock: nothing to wait for
}

// TestAWaitWhoseCallerWentNeitherHoldsNorWakesAnother: ops gives up a
// wait request after its socket's 5 s and asks again; the first request's
// wait must not keep the hook counted as waiting, nor be woken by the
// second's change.
func TestAWaitWhoseCallerWentNeitherHoldsNorWakesAnother(t *testing.T) {
	c, mu := lockedClock()
	mu.Lock()
	defer mu.Unlock()
	done := false
	c.AfterFunc(5*time.Second, func() { done = true })
	var later []time.Duration
	c.AfterFunc(7*time.Second, func() { later = append(later, c.Now()) })
	h := c.Hold("config-changed", nil)
	gone := make(chan struct{})
	first := make(chan bool, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		first <- h.Await(func() bool { return false }, gone)
	}()
	c.Settle() // the first wait is parked
	close(gone)
	mu.Unlock()
	require.False(t, <-first, "the wait whose caller went gives up")
	mu.Lock()
	resumed := make(chan time.Duration, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		h.Await(func() bool { return done }, nil)
		resumed <- c.Now()
		assert.Empty(t, later, "nothing later runs while the hook runs again")
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		h.Release()
	}()
	c.RunUntil(10 * time.Second)
	assert.Equal(t, 5*time.Second, <-resumed)
	assert.Equal(t, []time.Duration{7 * time.Second}, later)
}
