package ggsci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// waitDelay bounds how long Wait waits for GGSCI's output pipes to close
// once the process has exited or been killed. It only matters when something
// outside the process group (a daemon GGSCI started with setsid, say) still
// holds them; the group itself is killed, which closes them at once.
const waitDelay = time.Second

// stderrMax is how much of stderr is kept for error messages.
const stderrMax = 64 << 10

// Collector reads a classic-architecture deployment by running GGSCI:
// one session per check, with "INFO ALL" and "EXIT" written on stdin, the
// way the Nagios and Zabbix scripts for OGG do it. The command is the
// target's argv, so it may be GGSCI itself or any wrapper
// (["ssh", "ogg@east", "/u01/ogg/ggsci"]).
//
// A session costs one check and never more: it runs in its own process group,
// which is killed (SIGKILL) when ctx is done, when its output passes 4 MiB,
// and after it exits, so no child it started outlives the check. Collect is
// safe for concurrent use; each call runs its own session.
type Collector struct {
	target monitor.Target
	now    func() time.Time // the OGG host's clock, for SHOWTRANS and SHOWCH times
	next   atomic.Int64     // where the next session's deeper commands begin (observe.go)
}

// NewCollector returns the collector for a ggsci target; t.Command is
// the argv to run.
func NewCollector(t monitor.Target) *Collector {
	return &Collector{target: t, now: time.Now}
}

// Collect runs INFO ALL and returns the process table.
//
// Errors: a command that cannot be started, that is still running when ctx is
// done, or that exits non-zero without a readable INFO ALL table wraps
// ErrUnreachable (and ctx's error, for a deadline). Output that GGSCI did
// produce but that cannot be read (garbage, truncated, an ERROR line, more
// than 4 MiB) is a *ParseError or *Error, both ErrUnreadable. When ctx
// has no deadline, the target's Timeout (or DefaultCheckTimeout) applies.
func (c *Collector) Collect(ctx context.Context) ([]monitor.Process, error) {
	s, err := c.run(ctx, c.target.Command, "INFO ALL\nEXIT\n")
	if err != nil {
		return nil, err
	}
	procs, perr := ParseInfoAll(bytes.NewReader(s.stdout))
	switch {
	case perr == nil:
		// GGSCI exits 0 after EXIT, but a wrapper may not: an answer that
		// can be read is still an answer.
		return procs, nil
	case s.exitErr != nil:
		detail := firstLine(s.stderr)
		if detail == "" {
			detail = firstLine(string(s.stdout))
		}
		if detail != "" {
			detail = " (" + detail + ")"
		}
		return nil, fmt.Errorf("ggsci %s: %w: %s: %w%s", c.target.Name, monitor.ErrUnreachable, c.target.Command[0], s.exitErr, detail)
	default:
		return nil, fmt.Errorf("ggsci %s: info all: %w", c.target.Name, perr)
	}
}

// session is what one GGSCI run left: its output, and why it exited
// non-zero (nil when it exited 0).
type session struct {
	stdout  []byte
	stderr  string
	exitErr error
}

// run starts one GGSCI session, writes input on its stdin and collects its
// output. The error is set only when there is no output to read: the command
// did not start, did not finish before ctx was done, or wrote too much.
func (c *Collector) run(ctx context.Context, argv []string, input string) (session, error) {
	name := c.target.Name
	if len(argv) == 0 || argv[0] == "" {
		return session{}, fmt.Errorf("ggsci %s: %w: no command configured", name, monitor.ErrUnreachable)
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := c.target.Timeout
		if timeout <= 0 {
			timeout = monitor.DefaultCheckTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// killCtx is done when ctx is, or when stdout overflows.
	killCtx, kill := context.WithCancel(ctx)
	defer kill()

	stdout := &outputBuffer{max: maxOutput, overflow: kill}
	stderr := &outputBuffer{max: stderrMax}
	cmd := exec.CommandContext(killCtx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(input)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so that one kill reaches every child: ssh, a
	// wrapper script and whatever it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return session{}, fmt.Errorf("ggsci %s: %w: start %s: %w", name, monitor.ErrUnreachable, argv[0], err)
	}
	waitErr := cmd.Wait()
	// The leader is gone; kill what it left behind in its group (a child
	// still holding stdout, which WaitDelay cut loose). The group id cannot
	// have been reused while any member is alive.
	_ = killGroup(cmd.Process.Pid)

	out, overflowed := stdout.result()
	switch {
	case overflowed:
		return session{}, fmt.Errorf("ggsci %s: output exceeds %d bytes: %w", name, maxOutput, monitor.ErrUnreadable)
	case ctx.Err() != nil && (waitErr != nil || len(out) == 0):
		return session{}, fmt.Errorf("ggsci %s: %w: no answer within %s: %w",
			name, monitor.ErrUnreachable, time.Since(start).Round(time.Millisecond), ctx.Err())
	case errors.Is(waitErr, exec.ErrWaitDelay):
		waitErr = nil // exited 0; only a straggler held the pipes
	}
	return session{stdout: out, stderr: stderr.String(), exitErr: waitErr}, nil
}

// killGroup sends SIGKILL to every process of the group led by pid.
// A group that is already gone is not an error.
func killGroup(pid int) error {
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pid, err)
	}
	return nil
}

// outputBuffer keeps up to max bytes written to it. Past max it keeps nothing
// more, calls overflow once (when set) and fails the write, which stops
// exec's copy from the pipe.
type outputBuffer struct {
	mu         sync.Mutex
	buf        bytes.Buffer
	max        int
	overflow   func()
	overflowed bool
}

var errOutputTooLarge = errors.New("ggsci output too large")

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); len(p) > room {
		b.buf.Write(p[:max(room, 0)])
		if b.overflow == nil {
			return len(p), nil // stderr: drop the rest quietly
		}
		if !b.overflowed {
			b.overflowed = true
			b.overflow()
		}
		return 0, errOutputTooLarge
	}
	return b.buf.Write(p)
}

func (b *outputBuffer) result() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes(), b.overflowed
}

func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// firstLine returns the first non-blank line of s, cut to 200 bytes, for
// error messages.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = line[:200] + "…"
			}
			return line
		}
	}
	return ""
}
