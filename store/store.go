// Package store keeps SyncMon's state in SQLite: targets, processes, samples,
// alerts and the event log, and the feed that tells subscribers about every
// event after it is committed. All SQL lives here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Errors the store returns; handlers map them to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid input")
)

// InvalidError says what is wrong with an input, in fixed wording written
// for the person who sent it (never an internal error's text). It matches
// ErrInvalid.
type InvalidError struct {
	Problems []string
}

func (e *InvalidError) Error() string {
	return strings.Join(e.Problems, "; ") + ": " + ErrInvalid.Error()
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Store is SyncMon's SQLite database and its event feed.
type Store struct {
	db   *sql.DB
	rdb  *sql.DB // snapshot reads: no write lock
	ckpt *checkpointer
	now  func() time.Time
	feed *feed

	observe Observer

	// mu serialises writers, so that seq order is commit order is the order
	// of the hand-off queue is publish order. Held only for the transaction
	// and the enqueue: never while a subscriber or transport is called.
	mu     sync.Mutex
	closed bool // under mu: writes refused, the hand-off queue closed
	head   atomic.Int64

	epoch epochCache // the log's identity, read once (epoch.go)
	// commitHook, when set, must accept a transaction's events before it
	// commits (cluster mode: appended to the shared log; apply.go).
	commitHook func(context.Context, []Event) error
	fwd        atomic.Pointer[forwarder] // cluster: commands go to the writer (forward.go)
	path       string                    // the database file, and its identity at open (file.go)
	file       fileID
	// fault, set only by this package's tests, fails writes before commit.
	fault func() error
	// outage: what was judged in memory while writes failed (outage.go).
	outage outage
}

// Option changes how Open sets up the store.
type Option func(*Store)

// WithClock makes the store read time from now (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Observer is told how long things took, for metrics.
type Observer struct {
	Write    func(time.Duration) // one write transaction, lock wait included
	Delivery func(time.Duration) // from an event's commit to its hand-off to a subscriber
}

// WithObserver reports write and delivery latencies to o.
func WithObserver(o Observer) Option { return func(s *Store) { s.observe = o } }

// DSN returns the data source name for the database at path: every pooled
// connection gets WAL, foreign keys, a busy timeout and immediate write
// transactions (a PRAGMA run once would set only one connection), and
// synchronous=FULL: each commit is fsynced before it returns, and the
// feed publishes only after commit, so an event any screen has seen
// survives a power loss (docs/OPERATIONS.md; cost: BenchmarkRecordWrite).
func DSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "FULL")
	q.Set("mode", "rw") // never create: Open made the file (see createFile)
	return "file:" + url.PathEscape(path) + "?" + q.Encode()
}

// readDSN is the pool for snapshot reads: deferred transactions that take
// no write lock (in WAL mode readers never wait for the writer, nor it for
// them), and refuse to write.
func readDSN(path string) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	q.Set("mode", "rw") // a pooled connection opened after the file was deleted must not create another
	return "file:" + url.PathEscape(path) + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if err := createFile(path); err != nil {
		return nil, err
	}
	db, err := sql.Open(writerDriver, DSN(path)) // checkpoint.go
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, now: time.Now, feed: newFeed()}
	for _, o := range opts {
		o(s)
	}
	s.feed.delivered = s.observe.Delivery
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := migrate(ctx, db, s.stamp()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	head, err := s.readHead(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.head.Store(head)
	s.path = path
	s.file, _ = statID(path) // ":memory:" and the like have none: not checked
	if s.rdb, err = sql.Open("sqlite3", readDSN(path)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	if s.ckpt, err = startCheckpointer(path); err != nil {
		s.rdb.Close()
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// Close closes the feed (ending every subscription, once the events already
// committed are handed out) and the database.
func (s *Store) Close() error {
	s.mu.Lock() // no writer is between commit and enqueue
	if !s.closed {
		s.closed = true
		close(s.feed.handoff)
	}
	s.mu.Unlock()
	<-s.feed.stopped
	s.feed.closeAll()
	if s.rdb != nil {
		s.rdb.Close()
	}
	if s.ckpt != nil {
		s.ckpt.close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Ping checks that the database answers and takes writes.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO health (id, at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at`, s.stamp())
	s.noteWrite(err)
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func (s *Store) stamp() string { return formatTime(s.now()) }

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(v string) time.Time {
	t, err := time.Parse(timeFormat, v)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, v)
	}
	return t
}

func nullTime(v sql.NullString) *time.Time {
	if !v.Valid || v.String == "" {
		return nil
	}
	t := parseTime(v.String)
	return &t
}

func nullString(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

// write runs fn in one write transaction; after commit, still holding the
// writer lock, it puts the events fn recorded on the hand-off queue (seq
// order). The publisher goroutine delivers them: the writer never calls
// into a subscriber, so a slow transport cannot hold up a write.
func (s *Store) write(ctx context.Context, fn func(w *writeTx) error) error {
	return s.writeOr(ctx, fn, nil)
}

// writeOr is write, calling fallback (still under the writer lock, with the
// transaction's now) when the transaction failed for a storage fault, so
// that the caller can judge in memory without another writer in between.
func (s *Store) writeOr(ctx context.Context, fn func(w *writeTx) error, fallback func(now time.Time)) (err error) {
	if s.observe.Write != nil {
		start := time.Now()
		defer func() { s.observe.Write(time.Since(start)) }()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("store closed")
	}
	now := s.now().UTC()
	defer func() {
		s.noteWrite(err)
		if err != nil && fallback != nil && storageFault(err) {
			fallback(now)
		}
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	w := &writeTx{Tx: tx, now: now}
	if s.commitHook != nil {
		w.state = &StateChange{} // cluster: the rows this write changes go into the log (state.go)
	}
	if err := fn(w); err != nil {
		return err
	}
	if !w.applied && w.state.changes() {
		if err := w.appendEvent(ctx, Event{Type: TypeStateChanged, State: w.state}); err != nil {
			return err
		}
	}
	if s.fault != nil {
		if err := s.fault(); err != nil {
			return err
		}
	}
	if err := s.beforeCommit(ctx, w); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if w.onCommit != nil {
		w.onCommit()
	}
	if n := len(w.events); n > 0 {
		s.head.Store(w.events[n-1].Seq)
		s.feed.enqueue(w.events)
	}
	return nil
}

// writeTx is a write transaction with a fixed "now" and the events it recorded.
type writeTx struct {
	*sql.Tx
	now    time.Time
	events []Event
	// applied: the events came from the shared log (ApplyEvent), so they
	// are not offered to the commit hook.
	applied bool
	// onCommit, when set, runs after commit under the writer lock.
	onCommit func()
	// state, set when the store replicates state (cluster mode), collects
	// the rows of accounts, sessions, tokens and silences this write
	// changes; they go into the log as one state.changed event (state.go).
	state *StateChange
}

// createFile creates the database file when it is missing. It is the only
// place that creates it: every connection opens it with mode=rw, so a file
// deleted under the running server is told as deleted (file.go) and never
// silently replaced by an empty one that a pooled connection made.
func createFile(path string) error {
	if path == "" || strings.HasPrefix(path, ":") || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	return f.Close()
}
