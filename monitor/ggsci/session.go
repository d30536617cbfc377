package ggsci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// A conversation is one GGSCI (or Admin Client) process driven command by
// command: write a command, read its reply up to the next prompt, decide
// the next command from what came back. GGSCI prints its prompt without a
// newline and flushes it before reading stdin, so "the output ends with a
// prompt" means "the reply is complete".
//
// Bounds: the whole session keeps at most maxOutput bytes (past that the
// process group is killed); one reply keeps at most maxReply bytes (the
// rest is read and dropped, and the reply is marked cut); each command has
// its own deadline, the session the check's.

// maxReply bounds one command's reply.
const maxReply = 1 << 20

type conversation struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *os.File // our end of the pipe
	wake   chan struct{}
	exited chan struct{} // closed when the leader has exited and been reaped
	read   chan struct{} // closed when the reader has stopped
	stderr *outputBuffer

	mu        sync.Mutex
	reply     bytes.Buffer // the current command's reply
	cut       bool         // the current reply passed maxReply
	tail      []byte       // the last bytes read, for prompt detection
	received  int64        // bytes read in all
	overflow  bool         // the session passed maxOutput
	eof       bool
	waitErr   error
	closeOnce sync.Once
}

// startConversation starts argv in its own process group.
func startConversation(ctx context.Context, argv []string) (*conversation, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = pw
	stderr := &outputBuffer{max: stderrMax}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = waitDelay // a child that left the group may hold stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	pw.Close() // the child holds its own copy
	c := &conversation{cmd: cmd, stdin: stdin, stdout: pr, stderr: stderr,
		wake: make(chan struct{}, 1), exited: make(chan struct{}), read: make(chan struct{})}
	go c.readLoop()
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(c.exited)
		c.signal()
		// What the leader wrote is in the pipe and is read to its end; but
		// a child that left the group may hold the pipe open for ever.
		t := time.NewTimer(waitDelay)
		defer t.Stop()
		select {
		case <-t.C:
			c.closeStdout()
		case <-c.read:
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = killGroup(cmd.Process.Pid)
		case <-c.exited:
		}
	}()
	return c, nil
}

func (c *conversation) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conversation) closeStdout() { c.closeOnce.Do(func() { c.stdout.Close() }) }

func (c *conversation) readLoop() {
	defer close(c.read)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.stdout.Read(buf)
		c.mu.Lock()
		if n > 0 {
			c.received += int64(n)
			if room := maxReply - c.reply.Len(); n > room {
				c.reply.Write(buf[:max(room, 0)])
				c.cut = true
			} else {
				c.reply.Write(buf[:n])
			}
			c.tail = append(c.tail, buf[:n]...)
			if len(c.tail) > 512 {
				c.tail = append(c.tail[:0], c.tail[len(c.tail)-512:]...)
			}
			if c.received > maxOutput && !c.overflow {
				c.overflow = true
				_ = killGroup(c.cmd.Process.Pid)
			}
		}
		if err != nil {
			c.eof = true
		}
		c.mu.Unlock()
		c.signal()
		if err != nil {
			return
		}
	}
}

// atPrompt reports whether the output read so far ends with a prompt.
func (c *conversation) atPrompt() bool {
	t := c.tail
	if i := bytes.LastIndexByte(t, '\n'); i >= 0 {
		t = t[i+1:]
	}
	rest, prompt := stripPrompt(string(bytes.TrimRight(t, " \r")))
	return prompt && rest == ""
}

// Why a reply ended.
var (
	errNoPrompt = errors.New("no prompt after the reply")
	errEnded    = errors.New("session ended")
)

// ask writes command (empty: none, just wait for the first prompt, which
// must be the first call) and
// returns its reply once the output ends with a new prompt. Past within,
// or when the session ends first, it returns what came with errNoPrompt
// or errEnded.
func (c *conversation) ask(ctx context.Context, command string, within time.Duration) (reply []byte, cut bool, err error) {
	c.mu.Lock()
	// The greeting (no command) may have come before we ask for it: all
	// that was read counts. A command's reply starts with the command.
	var start int64
	if command != "" {
		c.reply.Reset()
		c.cut = false
		start = c.received
	}
	c.mu.Unlock()
	if command != "" {
		if _, err := io.WriteString(c.stdin, command+"\n"); err != nil {
			// Not the command itself: it may carry the Admin Client's password.
			return nil, false, fmt.Errorf("write the next command: %w", errEnded)
		}
	}
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		c.mu.Lock()
		done, ended := c.received > start && c.atPrompt(), c.eof || c.overflow
		if done || ended {
			reply, cut = bytes.Clone(c.reply.Bytes()), c.cut
		}
		c.mu.Unlock()
		switch {
		case done:
			return reply, cut, nil
		case ended:
			return reply, cut, errEnded
		}
		select {
		case <-c.wake:
		case <-timer.C:
			c.mu.Lock()
			reply, cut = bytes.Clone(c.reply.Bytes()), c.cut
			c.mu.Unlock()
			return reply, cut, fmt.Errorf("%w within %s", errNoPrompt, within)
		case <-ctx.Done():
			c.mu.Lock()
			reply, cut = bytes.Clone(c.reply.Bytes()), c.cut
			c.mu.Unlock()
			return reply, cut, fmt.Errorf("%w: %w", errNoPrompt, ctx.Err())
		}
	}
}

// finish writes EXIT, closes stdin and waits a little for the process to
// leave; then it kills the group and releases the pipe. It reports whether
// the session overflowed, and the exit status.
func (c *conversation) finish() (overflow bool, waitErr error) {
	_, _ = io.WriteString(c.stdin, "EXIT\n")
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(waitDelay):
	}
	_ = killGroup(c.cmd.Process.Pid)
	<-c.exited
	c.closeStdout()
	<-c.read
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.overflow, c.waitErr
}

// errText is the first line GGSCI wrote on stderr, for error messages.
func (c *conversation) errText() string { return firstLine(c.stderr.String()) }
