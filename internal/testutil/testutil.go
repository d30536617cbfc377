// Package testutil holds what the tests of several packages share: a
// condition polled until a deadline, a log buffer that goroutines write
// and tests read and wait on, the syncmon binary built once and run as a
// child process, free loopback ports, and a tmpfs to fill. Only tests
// import it.
package testutil

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Eventually polls cond every 5 ms until it holds, and fails tb, saying
// what it waited for, when it does not within the given time.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	Poll(tb, within, 5*time.Millisecond, what, func() (bool, string) { return cond(), "" })
}

// Poll polls cond every interval until it holds and returns how long that
// took. It fails tb, saying what it waited for and the last reason cond
// gave, when cond does not hold within the given time. A longer interval
// suits a cond that is costly (an HTTP request to a child process).
func Poll(tb testing.TB, within, every time.Duration, what string, cond func() (ok bool, why string)) time.Duration {
	tb.Helper()
	began := time.Now()
	deadline := began.Add(within)
	for {
		ok, why := cond()
		if ok {
			return time.Since(began)
		}
		if time.Now().After(deadline) {
			if why != "" {
				tb.Fatalf("%s: not within %v; last: %s", what, within, why)
			}
			tb.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(every) // a poll interval, not a settle delay
	}
}

// Buffer collects output (an slog handler's, a child process's) from
// several goroutines. The zero value is ready to use.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // signalled on every write; made by the first waiter
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default: // no waiter, or one already signalled
	}
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether s was written.
func (b *Buffer) Contains(s string) bool { return strings.Contains(b.String(), s) }

// WaitFor waits until what was written matches re, and returns the first
// submatch (the whole match when re has no group). It fails tb, with what
// was written, when nothing matches within the given time.
func (b *Buffer) WaitFor(tb testing.TB, re *regexp.Regexp, within time.Duration) string {
	tb.Helper()
	return b.waitFor(tb, re, 0, within, nil)
}

// waitFor is WaitFor on what was written from byte from on; it fails tb
// at once when gone is closed first (the writer, a process, has exited).
func (b *Buffer) waitFor(tb testing.TB, re *regexp.Regexp, from int, within time.Duration, gone <-chan struct{}) string {
	tb.Helper()
	b.mu.Lock()
	if b.changed == nil {
		b.changed = make(chan struct{}, 1)
	}
	changed := b.changed
	b.mu.Unlock()
	deadline := time.After(within)
	for {
		if m := re.FindStringSubmatch(b.String()[from:]); m != nil {
			if len(m) > 1 {
				return m[1]
			}
			return m[0]
		}
		select {
		case <-changed:
		case <-gone:
			if m := re.FindStringSubmatch(b.String()[from:]); m != nil {
				continue // written just before the end
			}
			tb.Fatalf("the writer ended before the log matched %s:\n%s", re, b.String())
		case <-deadline:
			tb.Fatalf("log never matched %s within %v:\n%s", re, within, b.String())
		}
	}
}
