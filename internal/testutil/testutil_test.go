package testutil

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fatalTB records what Fatalf says and ends the goroutine, as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// failure runs fn with a fatalTB in its own goroutine and returns what it
// failed with ("" when it did not).
func failure(t *testing.T, fn func(tb testing.TB)) string {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); fn(f) }()
	<-done
	return f.msg
}

func TestPollSaysTheLastReason(t *testing.T) {
	n := 0
	got := failure(t, func(tb testing.TB) {
		Poll(tb, 30*time.Millisecond, time.Millisecond, "the writer", func() (bool, string) {
			n++
			return false, fmt.Sprintf("try %d", n)
		})
	})
	if !strings.HasPrefix(got, "the writer: not within 30ms; last: try ") || n < 2 {
		t.Fatalf("got %q after %d tries, want the last reason", got, n)
	}
	if got := failure(t, func(tb testing.TB) {
		Poll(tb, time.Second, time.Millisecond, "x", func() (bool, string) { n++; return n > 5, "" })
	}); got != "" {
		t.Fatalf("failed %q, want success once cond holds", got)
	}
}

// A process that exits before it logs what is awaited fails at once, with
// its log, not at the deadline.
func TestListeningFailsWhenTheProcessExits(t *testing.T) {
	p := Start(t, exec.Command("sh", "-c", "echo starting; exit 3"), nil)
	began := time.Now()
	got := failure(t, func(tb testing.TB) { p.Listening(tb, 20*time.Second) })
	if !strings.Contains(got, "ended before") || !strings.Contains(got, "starting") || time.Since(began) > 10*time.Second {
		t.Fatalf("got %q after %s, want a failure naming the exit, with the log", got, time.Since(began))
	}
	if err := p.Stop(t, 5*time.Second); err == nil {
		t.Fatal("exit status 3 reported as nil")
	}
}

func TestListeningReturnsTheAddressOfThisRun(t *testing.T) {
	logs := &Buffer{}
	logs.Write([]byte("msg=listening addr=127.0.0.1:1\n")) // a previous run's
	p := Start(t, exec.Command("sh", "-c", "echo msg=listening addr=127.0.0.1:2; sleep 30; echo not reached"), logs)
	if got := p.Listening(t, 10*time.Second); got != "127.0.0.1:2" {
		t.Fatalf("got %s, want this run's 127.0.0.1:2", got)
	}
	if err := p.Stop(t, 5*time.Second); err == nil || p.Alive() {
		t.Fatalf("after SIGTERM: err %v, alive %v; want killed by the signal", err, p.Alive())
	}
	if m := regexp.MustCompile(`addr=(\S+)`).FindAllString(logs.String(), -1); len(m) != 2 {
		t.Fatalf("log %q, want both runs'", logs.String())
	}
}

// FreePorts are distinct across calls, bindable, and below the kernel's
// ephemeral range.
func TestFreePortsDistinctAndOutsideTheEphemeralRange(t *testing.T) {
	lo, hi := portPool()
	seen := map[int]bool{}
	for range 5 {
		for _, p := range FreePorts(t, 4) {
			if seen[p] || p < lo || p > hi {
				t.Fatalf("port %d: seen before %v, or outside %d-%d", p, seen[p], lo, hi)
			}
			seen[p] = true
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				t.Fatalf("port %d is not free: %v", p, err)
			}
			l.Close()
		}
	}
}
