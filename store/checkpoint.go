package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// WAL checkpoints happen off the writers' path. By default SQLite runs a
// checkpoint inside whichever commit pushes the WAL past 1000 pages: that
// commit (a test alert, a check whose alert screens wait for) then copies
// the WAL into the database before returning, tens of milliseconds on a
// busy disk. The write pool's connections turn that off (writerDriver), and
// a checkpointer of its own connection runs a PASSIVE checkpoint every
// checkpointEvery instead: it waits for no reader or writer, and writers go
// on appending to the WAL while it copies.
const (
	writerDriver    = "sqlite3_syncmon_writer"
	checkpointEvery = time.Second
)

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if _, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil); err != nil {
			return fmt.Errorf("turn off automatic checkpoints: %w", err)
		}
		return nil
	}})
}

type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// startCheckpointer checkpoints the database at path until stopped.
func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open(writerDriver, DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open the checkpointer's connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			// A busy or failed pass is retried at the next tick; the WAL
			// only grows meanwhile.
			_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			cancel()
		}
	}
}

// close stops the checkpointer, with a last pass of its own. Later calls
// do nothing.
func (c *checkpointer) close() {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		c.db.Close()
	})
}
