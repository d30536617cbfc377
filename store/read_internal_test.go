package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A snapshot read in progress (what every dashboard, kiosk and /api/state
// request does) must not hold the writer up: alerts are written, and reach
// screens, while screens read.
func TestSnapshotReadDoesNotBlockTheWriter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.CreateTestAlert(ctx, Actor{Name: "a"}, "before"); err != nil {
		t.Fatal(err)
	}
	tx, err := s.rdb.BeginTx(ctx, nil) // as State does
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("read in snapshot: %d, %v", n, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, _, err := s.CreateTestAlert(wctx, Actor{Name: "a"}, "during"); err != nil {
		t.Fatalf("write while a snapshot read is open: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM alerts`); err == nil {
		t.Fatal("the read pool accepted a write")
	}
	if st, err := s.State(ctx); err != nil || len(st.Alerts) != 2 {
		t.Fatalf("state after the write: %d alerts, %v; want 2", len(st.Alerts), err)
	}
}
