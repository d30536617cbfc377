// Package errlog reads ggserr.log: parse.go turns its lines into
// monitor.LogEntry values (Parse, or Parser fed as the file grows), and
// follower.go follows the file through growth, rotation and truncation,
// keeping its offset in a monitor.OffsetStore.
package errlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/syncmon/syncmon/monitor"

	"github.com/fsnotify/fsnotify"
)

// Follower defaults.
const (
	DefaultFollowerPoll     = time.Second
	DefaultFollowerMaxBatch = 256 << 10
)

// Follower follows one ggserr.log as it grows and emits its entries in
// file order. New entries are whatever follows the stored offset,
// whatever their timestamps say.
//
// Where it starts:
//   - the stored offset, when the file there is the one it was saved for
//     (same inode) and is at least that long;
//   - 0, when the stored inode differs (the file was rotated while SyncMon
//     was stopped) or the file is shorter (truncated), or when the file did
//     not exist when Run began and appeared later;
//   - the end of the last complete line, for a file never followed before
//     (nothing stored): years of old ERRORs are history, not alerts.
//
// While running it notices growth through fsnotify (a watch on the
// directory, which survives renames) and by polling every Poll, which
// also covers file systems and failures fsnotify cannot report. It
// survives:
//   - rotation by rename and recreate: the old file, still open, is read to
//     its end (its last line counts even without a newline), then the new
//     file is read from 0. Rotation is a change of the file (inode and
//     device, os.SameFile) behind the path;
//   - truncation (copytruncate): a file shorter than what was read is read
//     again from 0. A file truncated and regrown past the old offset
//     between two looks cannot be told from growth; its first bytes are missed;
//   - a missing file, or one deleted: it waits for the path to appear.
//
// Delivery is at least once: entries are emitted, then the offset after
// them is saved, so a crash in between emits them again after the restart.
// Only complete entries are emitted and counted; a partial last line waits
// for its newline. An entry is complete when the next one starts or when
// the reader reaches the end of the file: OGG writes an entry and its
// continuation lines at once, and waiting longer would delay every alert.
type Follower struct {
	// Poll is the polling interval. Zero means DefaultFollowerPoll.
	Poll time.Duration
	// MaxBatch caps the bytes read before the entries found are emitted and
	// the offset saved. Zero means DefaultFollowerMaxBatch.
	MaxBatch int

	path    string
	offsets monitor.OffsetStore
	log     *slog.Logger
}

// NewFollower returns a Follower of path that keeps its offset in offsets.
// log may be nil.
func NewFollower(path string, offsets monitor.OffsetStore, log *slog.Logger) *Follower {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Follower{path: filepath.Clean(path), offsets: offsets, log: log.With(slog.String("errlog", path))}
}

// Run follows the file until ctx is done, calling emit (from Run's own
// goroutine) with each batch of new entries. It returns nil when ctx is
// done, and an error only when the stored offset cannot be loaded.
func (f *Follower) Run(ctx context.Context, emit func([]monitor.LogEntry) error) error {
	stored, err := f.offsets.LoadOffset(ctx, f.path)
	if err != nil {
		return fmt.Errorf("errlog %s: load offset: %w", f.path, err)
	}
	poll := f.Poll
	if poll <= 0 {
		poll = DefaultFollowerPoll
	}
	batch := f.MaxBatch
	if batch <= 0 {
		batch = DefaultFollowerMaxBatch
	}
	t := &tail{f: f, emit: emit, stored: stored, saved: stored, buf: make([]byte, batch)}
	defer t.close()

	dir := filepath.Dir(f.path)
	var (
		events   <-chan fsnotify.Event
		werrs    <-chan error
		watching bool
	)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		f.log.Warn("errlog: fsnotify unavailable, polling only", slog.Any("err", err))
	} else {
		defer w.Close()
		events, werrs = w.Events, w.Errors
		watching = w.Add(dir) == nil
	}

	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		t.step(ctx)
		for woke := false; !woke; {
			select {
			case <-ctx.Done():
				return nil
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				name := filepath.Clean(ev.Name)
				if name == dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
					watching = false // the watch went with the directory
				}
				woke = name == f.path
			case err, ok := <-werrs:
				if !ok {
					werrs = nil
					continue
				}
				f.log.Warn("errlog: fsnotify", slog.Any("err", err))
			case <-ticker.C:
				if w != nil && !watching {
					watching = w.Add(dir) == nil
				}
				woke = true
			}
		}
	}
}

// tail is the state of one Run.
type tail struct {
	f      *Follower
	emit   func([]monitor.LogEntry) error
	stored monitor.ErrLogOffset // what LoadOffset said when Run began
	saved  monitor.ErrLogOffset // the last offset saved
	buf    []byte

	tried   bool // the first open has been attempted
	waiting bool // "waiting for the file" was logged
	file    *os.File
	inode   uint64
	base    int64 // file offset where parser began
	pos     int64 // file offset read up to
	parser  *Parser
	readErr string // the last read error logged, to log each once
}

// step reads whatever is new, then handles truncation and rotation.
func (t *tail) step(ctx context.Context) {
	if t.file == nil && !t.open(ctx) {
		return
	}
	for ctx.Err() == nil {
		t.drain(ctx)
		fi, err := t.file.Stat()
		if err != nil {
			t.f.log.Warn("errlog: stat", slog.Any("err", err))
			return
		}
		if fi.Size() < t.pos {
			t.f.log.Info("errlog: file truncated, reading from the start",
				slog.Int64("size", fi.Size()), slog.Int64("offset", t.pos))
			if err := t.restart(ctx, 0); err != nil {
				t.f.log.Warn("errlog: seek", slog.Any("err", err))
				t.close()
				return
			}
			continue
		}
		now, err := os.Stat(t.f.path)
		if err != nil || os.SameFile(fi, now) {
			// Unchanged, or gone (renamed or deleted): keep the old file
			// open, its writer may still append, until a new one appears.
			return
		}
		t.f.log.Info("errlog: file rotated, finishing the old one")
		t.drain(ctx)
		t.publish(ctx, t.parser.Finish())
		t.close()
		if !t.open(ctx) {
			return
		}
	}
}

// open opens the path and positions the reader (see Follower).
func (t *tail) open(ctx context.Context) bool {
	first := !t.tried
	t.tried = true
	file, err := os.Open(t.f.path)
	if err != nil {
		if !t.waiting {
			t.waiting = true
			if errors.Is(err, fs.ErrNotExist) {
				t.f.log.Info("errlog: waiting for the file to appear")
			} else {
				t.f.log.Warn("errlog: cannot open, retrying", slog.Any("err", err))
			}
		}
		return false
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		t.f.log.Warn("errlog: stat", slog.Any("err", err))
		return false
	}
	t.waiting = false
	t.file, t.inode = file, fileInode(fi)

	var start int64
	switch st := t.stored; {
	case !first:
		// Appeared after Run began, or replaced the file we followed: all new.
	case st.Inode != 0 && st.Inode == t.inode && fi.Size() >= st.Offset:
		start = st.Offset
	case st.Inode != 0:
		t.f.log.Info("errlog: file replaced or truncated while stopped, reading from the start")
	default:
		start = lastLineEnd(file, fi.Size())
	}
	if err := t.restart(ctx, start); err != nil {
		t.f.log.Warn("errlog: seek", slog.Any("err", err))
		t.close()
		return false
	}
	t.f.log.Debug("errlog: following", slog.Int64("offset", start))
	return true
}

// restart makes the reader start at off with a fresh parser, and saves off.
func (t *tail) restart(ctx context.Context, off int64) error {
	if _, err := t.file.Seek(off, io.SeekStart); err != nil {
		return err
	}
	t.parser, t.base, t.pos = &Parser{}, off, off
	t.save(ctx)
	return nil
}

// drain reads to the end of the file, MaxBatch bytes at a time, emitting
// and saving after each batch.
func (t *tail) drain(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := io.ReadFull(t.file, t.buf)
		t.pos += int64(n)
		entries := t.parser.Feed(t.buf[:n])
		if err != nil {
			// The end of the file for now: what is open is complete.
			entries = append(entries, t.parser.Flush()...)
		}
		t.publish(ctx, entries)
		if err == nil {
			continue // a full batch: there may be more
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			if msg := err.Error(); msg != t.readErr {
				t.readErr = msg
				t.f.log.Warn("errlog: read", slog.Any("err", err))
			}
		} else {
			t.readErr = ""
		}
		return
	}
}

// publish emits entries, then saves the offset after them. An emit that
// fails (the database busy, say) is retried with backoff; the offset moves
// only past entries that were recorded, so a line is never lost: if Run ends
// first, the next start reads it again.
func (t *tail) publish(ctx context.Context, entries []monitor.LogEntry) {
	if len(entries) > 0 {
		Annotate(entries)
		wait := 100 * time.Millisecond
		for {
			err := t.emit(entries)
			if err == nil {
				break
			}
			t.f.log.Warn("errlog: record entries; will retry", slog.Any("err", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 10*time.Second)
		}
	}
	t.save(ctx)
}

func (t *tail) save(ctx context.Context) {
	off := monitor.ErrLogOffset{Offset: t.base + t.parser.Consumed(), Inode: t.inode, Size: t.pos}
	if off == t.saved {
		return
	}
	// Save even while Run is being cancelled: the entries were emitted.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := t.f.offsets.SaveOffset(sctx, t.f.path, off); err != nil {
		t.f.log.Warn("errlog: save offset", slog.Any("err", err))
		return
	}
	t.saved = off
}

func (t *tail) close() {
	if t.file != nil {
		t.file.Close()
		t.file = nil
	}
}

// lastLineEnd returns the offset just past the last newline among the
// final 64 KiB of file, or size when there is none: where to start
// following a file never followed before without cutting a line in two.
func lastLineEnd(file *os.File, size int64) int64 {
	from := max(size-errLogMaxLine, 0)
	b := make([]byte, size-from)
	n, _ := file.ReadAt(b, from)
	for i := n - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return from + int64(i) + 1
		}
	}
	if n < len(b) || from > 0 {
		return size
	}
	return 0 // a file of one unfinished line: it is all new
}

// fileInode returns the inode number where the platform has one (the
// Stat_t of Unix systems), 0 elsewhere. Reflection keeps this file free of
// build tags; rotation itself is detected with os.SameFile everywhere.
func fileInode(fi os.FileInfo) uint64 {
	v := reflect.ValueOf(fi.Sys())
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0
	}
	f := v.FieldByName("Ino")
	switch f.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return f.Uint()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uint64(f.Int())
	}
	return 0
}
