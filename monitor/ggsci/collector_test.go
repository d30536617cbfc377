package ggsci_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/ggsci"

	"github.com/syncmon/syncmon/internal/testutil"
)

// The fake GGSCIs are shell scripts in testdata/; each says what it does
// in its header.

func ggsciScript(tb testing.TB, name string) string {
	tb.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func ggsciTarget(argv ...string) monitor.Target {
	return monitor.Target{Name: "fake", Kind: monitor.KindGGSCI, Command: argv}
}

// ggsciProcessGone reports whether pid has exited: no such process, or a zombie
// that nobody has reaped yet (an orphan's reaper may be slow or absent in a
// container).
func ggsciProcessGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}

// ggsciReadPIDs reads the pids a script wrote to path.
func ggsciReadPIDs(tb testing.TB, path string) []int {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("the script did not write its pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 {
			tb.Fatalf("bad pid %q in %s", f, path)
		}
		pids = append(pids, pid)
	}
	return pids
}

func ggsciWantAllGone(tb testing.TB, pids []int) {
	tb.Helper()
	for _, pid := range pids {
		testutil.Eventually(tb, 5*time.Second, fmt.Sprintf("dead: process %d", pid), func() bool { return ggsciProcessGone(pid) })
	}
}

func TestCollectorReadsInfoAll(t *testing.T) {
	const fixture = "ggsci_info_all_250_groups_generated_COMPOSED.txt"
	transcript := filepath.Join(t.TempDir(), "stdin")
	c := ggsci.NewCollector(ggsciTarget(ggsciScript(t, "fake_ggsci.sh"), ggsciScript(t, fixture), transcript))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := c.Collect(ctx)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	want, err := ggsci.ParseInfoAll(bytes.NewReader(readGGSCIFixture(t, fixture)))
	if err != nil {
		t.Fatal(err)
	}
	if !ggsciProcessesEqual(got, want) {
		t.Errorf("got %d processes %s…, want the fixture's %d", len(got), ggsciFmtProcesses(got[:min(3, len(got))]), len(want))
	}
	stdin, err := os.ReadFile(transcript)
	if err != nil {
		t.Fatal(err)
	}
	if string(stdin) != "INFO ALL\nEXIT\n" {
		t.Errorf("GGSCI read %q on stdin, want %q", stdin, "INFO ALL\nEXIT\n")
	}
}

// TestCollectorHang: a GGSCI that never answers, and whose children hold
// stdout open, is killed at the deadline with its whole process group; the
// check reports ErrUnreachable and leaves no goroutine and no process behind.
func TestCollectorHang(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	pidfile := filepath.Join(t.TempDir(), "pids")
	c := ggsci.NewCollector(ggsciTarget("sh", ggsciScript(t, "hang.sh"), pidfile))
	const deadline = 1500 * time.Millisecond
	start := time.Now() // before the deadline starts counting
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()

	got, err := c.Collect(ctx)
	elapsed := time.Since(start)

	if err == nil {
		t.Fatalf("got %v, want an error", got)
	}
	if !errors.Is(err, monitor.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want ErrUnreachable and DeadlineExceeded", err)
	}
	if errors.Is(err, monitor.ErrUnreadable) {
		t.Errorf("got %v, want it not to match ErrUnreadable", err)
	}
	if !strings.Contains(err.Error(), "ggsci fake") {
		t.Errorf("error %q does not name the target", err)
	}
	// Killed at the deadline, not after WaitDelay or the children's 1000 s.
	if elapsed < deadline || elapsed > deadline+2*time.Second {
		t.Errorf("Collect returned after %s, want just after the %s deadline", elapsed, deadline)
	}
	pids := ggsciReadPIDs(t, pidfile)
	if len(pids) != 3 {
		t.Fatalf("got pids %v, want the shell and its two children", pids)
	}
	ggsciWantAllGone(t, pids)
}

func TestCollectorTargetTimeout(t *testing.T) {
	// No deadline on ctx: the target's Timeout bounds the check.
	tg := ggsciTarget("sh", ggsciScript(t, "hang.sh"), filepath.Join(t.TempDir(), "pids"))
	tg.Timeout = 300 * time.Millisecond
	_, err := ggsci.NewCollector(tg).Collect(context.Background())
	if !errors.Is(err, monitor.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want ErrUnreachable and DeadlineExceeded", err)
	}
}

// TestCollectorLeftoverChild: GGSCI answered and exited, but a child
// still holds stdout. The answer is used, and the child is killed.
func TestCollectorLeftoverChild(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	fixture := ggsciScript(t, "ggsci_info_all_windows_crlf_COMPOSED.txt")
	c := ggsci.NewCollector(ggsciTarget("sh", ggsciScript(t, "leave_child.sh"), pidfile, fixture))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	got, err := c.Collect(ctx)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(got) != 4 {
		t.Errorf("got %s, want the fixture's 4 processes", ggsciFmtProcesses(got))
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Collect took %s; the child's open stdout held it up", elapsed)
	}
	ggsciWantAllGone(t, ggsciReadPIDs(t, pidfile))
}

// TestCollectorEscapedChild: a child that left the process group cannot
// be killed with it, but WaitDelay still keeps Collect from waiting for it.
func TestCollectorEscapedChild(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	fixture := ggsciScript(t, "ggsci_info_all_windows_crlf_COMPOSED.txt")
	c := ggsci.NewCollector(ggsciTarget("sh", ggsciScript(t, "escape_group.sh"), pidfile, fixture))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := c.Collect(ctx)
	if b, rerr := os.ReadFile(pidfile); rerr == nil { // ours to clean up
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 1 {
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		}
	}
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(got) != 4 {
		t.Errorf("got %s, want the fixture's 4 processes", ggsciFmtProcesses(got))
	}
}

func TestCollectorErrors(t *testing.T) {
	tests := []struct {
		name        string
		argv        []string
		unreachable bool   // ErrUnreachable, else ErrUnreadable
		parseError  bool   // a *ParseError in the chain
		contains    string // in the error text
	}{
		{name: "garbage", argv: []string{"sh", ggsciScript(t, "garbage.sh")}, parseError: true, contains: "no INFO ALL header"},
		{name: "endless garbage", argv: []string{"sh", ggsciScript(t, "spew.sh")}, contains: "output exceeds"},
		{name: "loader error, exit 127", argv: []string{"sh", ggsciScript(t, "loader_error.sh")}, unreachable: true, contains: "libnnz19.so"},
		{name: "no such program", argv: []string{filepath.Join(t.TempDir(), "ggsci")}, unreachable: true, contains: "start"},
		{name: "no command", argv: nil, unreachable: true, contains: "no command"},
		{name: "ERROR instead of a table", argv: []string{"sh", "-c", "cat >/dev/null; printf 'GGSCI (h) 1> \\nERROR: Invalid command.\\n'"}, contains: "Invalid command."},
	}
	// Collect (INFO ALL alone) and Observe (the interactive session) judge
	// a broken GGSCI alike.
	observe := func(ctx context.Context, argv []string) ([]monitor.Process, error) {
		tg := ggsciTarget(argv...)
		tg.Thresholds, tg.Timeout = monitor.DefaultThresholds(), 8*time.Second
		var obs monitor.Observation
		err := ggsci.NewCollector(tg).Observe(ctx, &obs)
		return obs.Processes, err
	}
	collect := func(ctx context.Context, argv []string) ([]monitor.Process, error) {
		return ggsci.NewCollector(ggsciTarget(argv...)).Collect(ctx)
	}
	for _, tc := range tests {
		for via, run := range map[string]func(context.Context, []string) ([]monitor.Process, error){"Collect": collect, "Observe": observe} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				got, err := run(ctx, tc.argv)
				if err == nil {
					t.Fatalf("got %s, want an error", ggsciFmtProcesses(got))
				}
				if errors.Is(err, monitor.ErrUnreachable) != tc.unreachable || errors.Is(err, monitor.ErrUnreadable) == tc.unreachable {
					t.Errorf("got %v: unreachable=%v unreadable=%v, want unreachable=%v", err,
						errors.Is(err, monitor.ErrUnreachable), errors.Is(err, monitor.ErrUnreadable), tc.unreachable)
				}
				var pe *monitor.ParseError
				if errors.As(err, &pe) != tc.parseError {
					t.Errorf("got %v, want a *ParseError in it: %v", err, tc.parseError)
				}
				if !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "ggsci fake: ") {
					t.Errorf("got %q, want it to start with %q and contain %q", err, "ggsci fake: ", tc.contains)
				}
			})
		}
	}
}

func TestCollectorNonZeroExitWithTable(t *testing.T) {
	// A wrapper that exits 1 after a good answer: the answer counts.
	fixture := ggsciScript(t, "ggsci_info_all_abended_lag_over_24h.txt")
	c := ggsci.NewCollector(ggsciTarget("sh", "-c", `cat >/dev/null; cat "$1"; exit 1`, "sh", fixture))
	got, err := c.Collect(t.Context())
	if err != nil || len(got) != 2 {
		t.Fatalf("got %s, %v; want 2 processes", ggsciFmtProcesses(got), err)
	}
}

var _ monitor.Collector = (*ggsci.Collector)(nil)
