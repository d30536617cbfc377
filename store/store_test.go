package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

func mustOpen(tb testing.TB, path string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func abended(target, group string) monitor.Observation {
	return monitor.Observation{Target: target, Kind: "simulator", ObservedAt: time.Now(), Processes: []monitor.Process{
		{Program: "MANAGER", Status: monitor.StatusRunning},
		{Program: "REPLICAT", Group: group, Status: monitor.StatusAbended},
	}}
}

func running(target, group string) monitor.Observation {
	return monitor.Observation{Target: target, Kind: "simulator", ObservedAt: time.Now(), Processes: []monitor.Process{
		{Program: "MANAGER", Status: monitor.StatusRunning},
		{Program: "REPLICAT", Group: group, Status: monitor.StatusRunning},
	}}
}

func targetNamed(name string) monitor.Target {
	p := monitor.DefaultPolicy()
	p.ResolveAfter = map[string]int{monitor.RuleProcessStatus: 1}
	return monitor.Target{Name: name, Kind: "simulator", Thresholds: monitor.DefaultThresholds(), Policy: p}
}

func record(tb testing.TB, s *store.Store, obs monitor.Observation) {
	tb.Helper()
	if err := s.Record(context.Background(), targetNamed(obs.Target), obs); err != nil {
		tb.Fatalf("record: %v", err)
	}
}

func TestMigrationsOnEmptyAndExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Migrations(context.Background())
	if err != nil || len(got) == 0 || got[0] != "migrations/0001_init.sql" {
		t.Fatalf("applied migrations = %v, %v; want 0001_init first", got, err)
	}
	record(t, s, abended("t1", "REP1"))
	s.Close()

	// Reopening an existing database applies nothing twice and keeps the data.
	s2 := mustOpen(t, path)
	again, _ := s2.Migrations(context.Background())
	if len(again) != len(got) {
		t.Fatalf("migrations after reopen = %v, want %v", again, got)
	}
	alerts, err := s2.Alerts(context.Background(), store.AlertFilter{State: "open"})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("open alerts after reopen = %v, %v; want 1", alerts, err)
	}
	// Pragmas hold on every pooled connection, not just one.
	db, err := sql.Open("sqlite3", store.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(3)
	ctx := context.Background()
	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var fk int
		var mode string
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("conn %d: foreign_keys = %d, %v; want 1", i, fk, err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("conn %d: journal_mode = %q, %v; want wal", i, mode, err)
		}
		c.Close()
	}
}

func TestSeqStrictlyIncreasesAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seq.db")
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, abended("t1", "REP1"))
	record(t, s, running("t1", "REP1"))
	first := s.Head()
	if first < 3 {
		t.Fatalf("head after open+resolve = %d, want >= 3 (status, opened, resolved…)", first)
	}
	s.Close()

	s2 := mustOpen(t, path)
	if s2.Head() != first {
		t.Fatalf("head after restart = %d, want %d", s2.Head(), first)
	}
	record(t, s2, abended("t1", "REP1"))
	evs, err := s2.EventsAfter(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("seq not strictly increasing: %d after %d", evs[i].Seq, evs[i-1].Seq)
		}
	}
	if last := evs[len(evs)-1].Seq; last <= first {
		t.Fatalf("seq after restart = %d, want > %d", last, first)
	}
}

func TestRecordOpensUpdatesResolvesOneAlert(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "a.db"))
	record(t, s, abended("t1", "REP1"))
	record(t, s, abended("t1", "REP1")) // ongoing: no second alert
	open, _ := s.Alerts(context.Background(), store.AlertFilter{State: "active"})
	if len(open) != 1 || open[0].Rule != monitor.RuleProcessStatus || open[0].Severity != monitor.SeverityCritical {
		t.Fatalf("active alerts = %+v, want one critical process_status", open)
	}
	record(t, s, running("t1", "REP1"))
	open, _ = s.Alerts(context.Background(), store.AlertFilter{State: "active"})
	if len(open) != 0 {
		t.Fatalf("active alerts after recovery = %+v, want none", open)
	}
	resolved, _ := s.Alerts(context.Background(), store.AlertFilter{State: "resolved"})
	if len(resolved) != 1 || resolved[0].ResolvedAt == nil {
		t.Fatalf("resolved = %+v", resolved)
	}
}

func TestAckUnackAndTestAlert(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "ack.db"))
	record(t, s, abended("t1", "REP1"))
	open, _ := s.Alerts(ctx, store.AlertFilter{State: "open"})
	id := open[0].ID
	a, err := s.Ack(ctx, store.Actor{Name: "alice"}, id, "on it")
	if err != nil || a.State != monitor.StateAcked || *a.AckedBy != "alice" || *a.Comment != "on it" {
		t.Fatalf("ack = %+v, %v", a, err)
	}
	if _, err := s.Ack(ctx, store.Actor{Name: "bob"}, id, "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second ack err = %v, want ErrConflict", err)
	}
	if _, err := s.Ack(ctx, store.Actor{Name: "bob"}, 9999, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ack missing err = %v, want ErrNotFound", err)
	}
	if a, err := s.Unack(ctx, store.Actor{Name: "alice"}, id); err != nil || a.State != monitor.StateOpen || a.AckedBy != nil {
		t.Fatalf("unack = %+v, %v", a, err)
	}
	hist, _ := s.History(ctx, id)
	if len(hist) != 3 || hist[1].Actor != "alice" || hist[1].Action != "acked" || hist[1].Detail != "on it" {
		t.Fatalf("history = %+v", hist)
	}
	ta, seq, err := s.CreateTestAlert(ctx, store.Actor{Name: "admin"}, "hello <b>")
	if err != nil || !ta.Test || ta.Message != "hello <b>" || ta.Rule != "test" || seq != s.Head() {
		t.Fatalf("test alert = %+v seq %d, %v", ta, seq, err)
	}
	// An observation of the same target never resolves a test alert.
	record(t, s, running("syncmon", ""))
	if a, _ := s.Alert(ctx, ta.ID); a.State != monitor.StateOpen {
		t.Fatalf("test alert state = %s, want open", a.State)
	}
}

func TestExpireTestAlerts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "exp.db"), store.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	state := func(id int64) string {
		t.Helper()
		if err := s.ExpireTestAlerts(ctx); err != nil {
			t.Fatal(err)
		}
		a, err := s.Alert(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.State
	}
	open, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "admin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	acked, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "admin"}, "acked one")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * time.Minute)
	if _, err := s.Ack(ctx, store.Actor{Name: "admin"}, acked.ID, "seen"); err != nil {
		t.Fatal(err)
	}
	if got := state(open.ID); got != monitor.StateOpen {
		t.Fatalf("after 4 min: %s, want open", got)
	}
	now = now.Add(2 * time.Minute)
	if got := state(open.ID); got != monitor.StateResolved {
		t.Fatalf("unacknowledged after 6 min: %s, want resolved", got)
	}
	// Acknowledged first: not resolved at the 5-minute mark; it stays
	// visible as acknowledged and resolves 5 minutes after the ack.
	if got := state(acked.ID); got != monitor.StateAcked {
		t.Fatalf("acked test alert 2 min after its ack: %s, want acked", got)
	}
	now = now.Add(4 * time.Minute)
	if got := state(acked.ID); got != monitor.StateResolved {
		t.Fatalf("acked test alert 6 min after its ack: %s, want resolved", got)
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	s := mustOpen(t, path)
	s.Close()
	db, err := sql.Open("sqlite3", store.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ('migrations/9999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(context.Background(), path); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("open = %v, want ErrNewerSchema", err)
	}
}
