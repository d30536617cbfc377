package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// Commits never checkpoint (the writer pool has automatic checkpoints off);
// the checkpointer does, on its own connection.
func TestCheckpointsAreOffTheWritersPath(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d on a writer connection, want 0", auto)
	}
	for i := range 50 {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// The checkpointer copies the WAL: a passive checkpoint then finds every frame done.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, logFrames, done int
		if err := s.ckpt.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done); err != nil {
			t.Fatal(err)
		}
		if logFrames > 0 && done == logFrames {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("WAL %d frames, %d checkpointed after 10 s", logFrames, done)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, with a deadline
	}
}
