package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	builds  = map[string]string{} // absolute dir + release: binary
)

// Build builds the main package in dir (the module root, as the test sees
// it: "." or "..") once per test binary and release, and returns the
// binary's path. A non-empty release is linked in as main.buildVersion.
// Parallel tests wait for one build rather than each running their own.
func Build(tb testing.TB, dir, release string) string {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	key := abs + "\x00" + release
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builds[key]; ok {
		return p
	}
	tmp, err := os.MkdirTemp("", "syncmon-bin-")
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tmp, "syncmon")
	args := []string{"build", "-o", p}
	if release != "" {
		args = append(args, "-ldflags", "-X main.buildVersion="+release)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", abs, err, out)
	}
	builds[key] = p
	return p
}

// listening is the line syncmon serve logs once it accepts connections.
var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Process is a running child process (syncmon, usually) whose output goes
// to Logs.
type Process struct {
	Cmd  *exec.Cmd
	Logs *Buffer
	mark int // Logs' length at start: what this run wrote comes after
	done chan struct{}
	err  error // Cmd.Wait's, once done is closed
}

// Start starts cmd with its stderr, and its stdout unless set, appended to
// logs (a new Buffer when nil; a restarted process may share its
// predecessor's). The process is killed at cleanup if still running.
// Unless cmd sets WaitDelay, output written by a grandchild after the
// process exited may be cut off after 2 s.
func Start(tb testing.TB, cmd *exec.Cmd, logs *Buffer) *Process {
	tb.Helper()
	if logs == nil {
		logs = &Buffer{}
	}
	p := &Process{Cmd: cmd, Logs: logs, mark: len(logs.String()), done: make(chan struct{})}
	cmd.Stderr = logs
	if cmd.Stdout == nil {
		cmd.Stdout = logs
	}
	if cmd.WaitDelay == 0 {
		// A grandchild left running (a collector's script) may hold the
		// output pipe open: once the process itself has exited, Wait
		// returns after this long rather than waiting for the grandchild.
		cmd.WaitDelay = 2 * time.Second
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		if p.Alive() {
			p.Kill(tb)
		}
	})
	return p
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Alive reports whether the process has not exited.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Listening waits until syncmon logs that it listens and returns the
// address. It fails tb with the log when the process exits first or
// within passes.
func (p *Process) Listening(tb testing.TB, within time.Duration) string {
	tb.Helper()
	return p.Logs.waitFor(tb, listening, p.mark, within, p.done)
}

// Stop stops the process as systemd does (SIGTERM; after a SIGCONT, should
// a test have stopped it) and returns how it exited. When it has not
// exited within, it is killed and tb fails with the log.
func (p *Process) Stop(tb testing.TB, within time.Duration) error {
	tb.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGCONT)
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		p.Kill(tb)
		tb.Errorf("%s did not stop within %v of SIGTERM; log:\n%s", p.Cmd.Path, within, p.Logs.String())
		return fmt.Errorf("not stopped within %v of SIGTERM", within)
	}
}

// Kill is kill -9, waiting (10 s at most) for the process to be gone.
func (p *Process) Kill(tb testing.TB) {
	_ = p.Cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		tb.Errorf("%s did not exit within 10 s of SIGKILL", p.Cmd.Path)
	}
}
