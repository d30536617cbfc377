package errlog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/errlog"

	"github.com/syncmon/syncmon/internal/testutil"
)

// memOffsetStore is an in-memory monitor.OffsetStore.
type memOffsetStore struct {
	mu sync.Mutex
	m  map[string]monitor.ErrLogOffset
}

var _ monitor.OffsetStore = (*memOffsetStore)(nil)

func newMemOffsetStore() *memOffsetStore {
	return &memOffsetStore{m: map[string]monitor.ErrLogOffset{}}
}

func (s *memOffsetStore) LoadOffset(ctx context.Context, path string) (monitor.ErrLogOffset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[path], nil
}

func (s *memOffsetStore) SaveOffset(ctx context.Context, path string, off monitor.ErrLogOffset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[path] = off
	return nil
}

func (s *memOffsetStore) get(path string) (monitor.ErrLogOffset, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off, ok := s.m[path]
	return off, ok
}

// emitDeadline is how soon an appended line must come out.
const emitDeadline = time.Second

// following is one running Follower.
type following struct {
	entries chan monitor.LogEntry
	logs    *testutil.Buffer
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
}

// follow starts a Follower of path and stops it at the end of the test.
func follow(t *testing.T, path string, store monitor.OffsetStore) *following {
	t.Helper()
	logs := &testutil.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	fl := &following{entries: make(chan monitor.LogEntry, 1000), logs: logs, cancel: cancel, done: make(chan error, 1)}
	f := errlog.NewFollower(path, store, log)
	go func() {
		fl.done <- f.Run(ctx, func(es []monitor.LogEntry) error {
			for _, e := range es {
				fl.entries <- e
			}
			return nil
		})
	}()
	t.Cleanup(func() { fl.stop(t) })
	return fl
}

// stop cancels the follower and waits for Run to return. It may be
// called more than once.
func (fl *following) stop(tb testing.TB) {
	tb.Helper()
	fl.once.Do(func() {
		fl.cancel()
		select {
		case err := <-fl.done:
			if err != nil {
				tb.Errorf("Run returned %v", err)
			}
		case <-time.After(5 * time.Second):
			tb.Fatal("Run did not return after cancel")
		}
	})
}

// next waits for the next entry.
func (fl *following) next(tb testing.TB) monitor.LogEntry {
	tb.Helper()
	select {
	case e := <-fl.entries:
		return e
	case <-time.After(emitDeadline):
		tb.Fatalf("no entry within %s; log:\n%s", emitDeadline, fl.logs)
		return monitor.LogEntry{}
	}
}

// expect waits for entries with the given messages, in order.
func (fl *following) expect(tb testing.TB, messages ...string) {
	tb.Helper()
	for _, want := range messages {
		if got := fl.next(tb); got.Message != want {
			tb.Fatalf("got entry %q, want %q", got.Message, want)
		}
	}
}

func errLine(n int, msg string) string {
	return fmt.Sprintf("2024-01-15 10:%02d:%02d  ERROR   OGG-01668  Oracle GoldenGate Delivery for Oracle, rep1.prm:  %s\n", n/60%60, n%60, msg)
}

func appendFile(tb testing.TB, path, s string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		tb.Fatal(err)
	}
}

// startedAt waits until the follower has positioned itself in path
// (it saves the offset as it opens the file).
func startedAt(tb testing.TB, store *memOffsetStore, path string) monitor.ErrLogOffset {
	tb.Helper()
	var off monitor.ErrLogOffset
	testutil.Eventually(tb, 5*time.Second, "the follower to open "+path, func() bool {
		var ok bool
		off, ok = store.get(path)
		return ok && off.Inode != 0
	})
	return off
}

func TestFollowerAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	old := errLine(0, "old news") + "    old continuation\n"
	appendFile(t, path, old)
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	if off := startedAt(t, store, path); off.Offset != int64(len(old)) {
		t.Errorf("started at %d, want the end of the file (%d): history is not news", off.Offset, len(old))
	}

	for i := 1; i <= 3; i++ {
		msg := fmt.Sprintf("abend %d", i)
		appendFile(t, path, errLine(i, msg))
		got := fl.next(t)
		if got.Message != msg || got.Severity != "ERROR" || got.Group != "REP1" || got.Program != "REPLICAT" {
			t.Fatalf("got %+v, want ERROR %q of REPLICAT REP1", got, msg)
		}
	}

	// Continuation lines written with their entry join it.
	appendFile(t, path, errLine(4, "with more")+"    second line\n")
	fl.expect(t, "with more\nsecond line")

	// A partial last line is neither emitted nor consumed until its newline.
	full := errLine(5, "complete")
	partial := errLine(6, "half written")
	appendFile(t, path, full+partial[:20])
	fl.expect(t, "complete")
	sizeBefore := fileSize(t, path) - 20
	testutil.Eventually(t, emitDeadline, "the offset to stop before the partial line", func() bool {
		off, _ := store.get(path)
		return off.Offset == sizeBefore
	})
	appendFile(t, path, partial[20:])
	fl.expect(t, "half written")
	testutil.Eventually(t, emitDeadline, "the offset to reach the end", func() bool {
		off, _ := store.get(path)
		return off.Offset == fileSize(t, path)
	})
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

func TestFollowerRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ggserr.log")
	appendFile(t, path, errLine(0, "before start"))
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	first := startedAt(t, store, path)

	appendFile(t, path, errLine(1, "in the old file"))
	fl.expect(t, "in the old file")

	// Rename and recreate. The writer still appends to the old file (its
	// last line without a newline) before the new one appears.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", strings.TrimSuffix(errLine(2, "last words of the old file"), "\n"))
	if err := os.WriteFile(path, []byte(errLine(3, "first of the new file")), 0o644); err != nil {
		t.Fatal(err)
	}
	fl.expect(t, "last words of the old file", "first of the new file")

	appendFile(t, path, errLine(4, "more in the new file"))
	fl.expect(t, "more in the new file")
	testutil.Eventually(t, emitDeadline, "the offset of the new file", func() bool {
		off, _ := store.get(path)
		return off.Inode != first.Inode && off.Offset == fileSize(t, path)
	})
}

func TestFollowerTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	appendFile(t, path, strings.Repeat(errLine(0, "a long history line"), 5))
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	startedAt(t, store, path)

	appendFile(t, path, errLine(1, "before truncation"))
	fl.expect(t, "before truncation")

	// copytruncate: same file, emptied, then written again (shorter than before).
	if err := os.WriteFile(path, []byte(errLine(2, "after")), 0o644); err != nil {
		t.Fatal(err)
	}
	fl.expect(t, "after")
	appendFile(t, path, errLine(3, "and on"))
	fl.expect(t, "and on")
}

func TestFollowerMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	testutil.Eventually(t, 5*time.Second, "the follower to wait for the file", func() bool {
		return fl.logs.Contains("waiting for the file to appear")
	})

	// A file that appears after the follower started is new from its first byte.
	if err := os.WriteFile(path, []byte(errLine(1, "first ever")+errLine(2, "second ever")), 0o644); err != nil {
		t.Fatal(err)
	}
	fl.expect(t, "first ever", "second ever")

	// Deleted, then back again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(errLine(3, "reborn")), 0o644); err != nil {
		t.Fatal(err)
	}
	fl.expect(t, "reborn")
}

func TestFollowerMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	path := filepath.Join(dir, "ggserr.log")
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	testutil.Eventually(t, 5*time.Second, "the follower to wait for the file", func() bool {
		return fl.logs.Contains("waiting for the file to appear")
	})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(errLine(1, "found by polling")), 0o644); err != nil {
		t.Fatal(err)
	}
	// No watch could be set on a missing directory: the 1 s poll finds it.
	select {
	case e := <-fl.entries:
		if e.Message != "found by polling" {
			t.Fatalf("got %q", e.Message)
		}
	case <-time.After(errlog.DefaultFollowerPoll + emitDeadline):
		t.Fatal("the poll did not find the file")
	}
	// From now on the directory is watched again.
	appendFile(t, path, errLine(2, "and watched"))
	fl.expect(t, "and watched")
}

func TestFollowerRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	appendFile(t, path, errLine(0, "history"))
	store := newMemOffsetStore()

	fl := follow(t, path, store)
	startedAt(t, store, path)
	appendFile(t, path, errLine(1, "seen before the restart"))
	fl.expect(t, "seen before the restart")
	testutil.Eventually(t, emitDeadline, "the offset to be saved", func() bool {
		off, _ := store.get(path)
		return off.Offset == fileSize(t, path)
	})
	fl.stop(t)

	appendFile(t, path, errLine(2, "written while stopped"))
	fl2 := follow(t, path, store)
	fl2.expect(t, "written while stopped") // and nothing before it
	appendFile(t, path, errLine(3, "after the restart"))
	fl2.expect(t, "after the restart")
}

func TestFollowerRestartAfterRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	appendFile(t, path, errLine(0, "history"))
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	startedAt(t, store, path)
	fl.stop(t)

	// Rotated while SyncMon was down: the new file is all new.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, errLine(1, "new file while stopped"))
	fl2 := follow(t, path, store)
	fl2.expect(t, "new file while stopped")
}

func TestFollowerStopsCleanly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	path := filepath.Join(t.TempDir(), "ggserr.log")
	store := newMemOffsetStore()
	fl := follow(t, path, store)
	testutil.Eventually(t, 5*time.Second, "the follower to wait for the file", func() bool {
		return fl.logs.Contains("waiting for the file to appear")
	})
	if err := os.WriteFile(path, []byte(errLine(1, "one")), 0o644); err != nil {
		t.Fatal(err)
	}
	fl.expect(t, "one")
	fl.stop(t)
}

// A batch the recorder cannot take (the database busy) is retried, and the
// offset never moves past a line that was not recorded: a follower stopped
// while failing reads the line again after a restart.
func TestFollowerRetriesAndNeverSkipsAnUnrecordedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ggserr.log")
	appendFile(t, path, errLine(0, "history"))
	store := newMemOffsetStore()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	var fails atomic.Int32
	fails.Store(2)
	got := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- errlog.NewFollower(path, store, log).Run(ctx, func(es []monitor.LogEntry) error {
			if fails.Add(-1) >= 0 {
				return errors.New("database is locked")
			}
			for _, e := range es {
				got <- e.Message
			}
			return nil
		})
	}()
	startedAt(t, store, path)
	appendFile(t, path, errLine(1, "recorded on the third try"))
	select {
	case m := <-got:
		if !strings.Contains(m, "recorded on the third try") {
			t.Fatalf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the entry was never recorded")
	}
	cancel()
	<-done

	// Now a recorder that always fails, stopped while failing.
	before, _ := store.get(path)
	ctx2, cancel2 := context.WithCancel(context.Background())
	attempted := make(chan struct{}, 100)
	go func() {
		done <- errlog.NewFollower(path, store, log).Run(ctx2, func([]monitor.LogEntry) error {
			attempted <- struct{}{}
			return errors.New("database is locked")
		})
	}()
	appendFile(t, path, errLine(2, "must survive a restart"))
	<-attempted
	cancel2()
	<-done
	if after, _ := store.get(path); after.Offset != before.Offset {
		t.Fatalf("offset moved from %d to %d past an unrecorded line", before.Offset, after.Offset)
	}
	fl := follow(t, path, store)
	fl.expect(t, "must survive a restart")
}
