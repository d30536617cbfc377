package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
)

func TestNotifyCursorStartsAtHeadAndOnlyMovesForward(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "n.db"))
	record(t, s, abended("east", "REP1"))
	head := s.Head()
	if head == 0 {
		t.Fatal("no events recorded")
	}
	got, err := s.NotifyCursor(ctx, "chat")
	if err != nil || got != head {
		t.Fatalf("new cursor = %d, %v; want the head %d", got, err, head)
	}
	record(t, s, running("east", "REP1"))
	if got, _ := s.NotifyCursor(ctx, "chat"); got != head {
		t.Fatalf("cursor after new events = %d, want it to stay at %d", got, head)
	}
	if err := s.NotifyDone(ctx, "chat", head+1, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyDone(ctx, "chat", head, nil); err != nil { // a late, older report
		t.Fatal(err)
	}
	if got, _ := s.NotifyCursor(ctx, "chat"); got != head+1 {
		t.Fatalf("cursor = %d, want %d (never moved back)", got, head+1)
	}
	if got, _ := s.NotifyCursor(ctx, "other"); got != s.Head() {
		t.Fatalf("second channel's cursor = %d, want the head %d", got, s.Head())
	}
}

func TestNotifyAttemptsSurviveReopenAndFailuresAreListed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "n.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 11, 24, 12, 0, 30, 0, time.UTC)
	d := store.NotifyDelivery{Channel: "chat", Seq: 7, EventType: "alert.opened", AlertID: 3, Attempts: 1,
		FirstAttemptAt: next.Add(-30 * time.Second), NextAttemptAt: next, LastError: "post to hooks.example: 503"}
	if err := s.NotifyRetry(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Attempts, d.LastError = 2, "post to hooks.example: timeout"
	if err := s.NotifyRetry(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, path)
	got, err := s.NotifyPending(ctx, "chat", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != 2 || got.LastError != d.LastError || !got.NextAttemptAt.Equal(next) || !got.FirstAttemptAt.Equal(d.FirstAttemptAt) {
		t.Fatalf("after reopen got %+v, want %+v", got, d)
	}
	if _, err := s.NotifyPending(ctx, "chat", 8); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("untried event: got %v, want ErrNotFound", err)
	}
	if fs, err := s.NotifyFailures(ctx, 10); err != nil || len(fs) != 0 {
		t.Fatalf("failures before giving up = %v, %v; want none", fs, err)
	}

	if err := s.NotifyGiveUp(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	fs, err := s.NotifyFailures(ctx, 10)
	if err != nil || len(fs) != 1 {
		t.Fatalf("failures = %v, %v; want one", fs, err)
	}
	if f := fs[0]; f.Channel != "chat" || f.Seq != 7 || f.AlertID != 3 || f.Attempts != 2 || f.GaveUpAt == nil || f.LastError != d.LastError {
		t.Fatalf("failure = %+v", f)
	}
	if _, err := s.NotifyPending(ctx, "chat", 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("given-up event still pending: %v", err)
	}
	if cur, _ := s.NotifyCursor(ctx, "chat"); cur != 7 {
		t.Fatalf("cursor after giving up = %d, want 7", cur)
	}
	// Delivered later (a restart replays it): the failure stays on record.
	if err := s.NotifyDone(ctx, "chat", 7, nil); err != nil {
		t.Fatal(err)
	}
	if fs, _ := s.NotifyFailures(ctx, 10); len(fs) != 1 {
		t.Fatalf("failures after done = %d, want 1", len(fs))
	}
}

func TestNotifyDoneClearsAttemptsAndKeepsAlertState(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "n.db"))
	if err := s.NotifyRetry(ctx, store.NotifyDelivery{Channel: "chat", Seq: 5, EventType: "alert.opened", AlertID: 9, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	change := &store.NotifyChange{AlertID: 9, NotifyAlert: store.NotifyAlert{Seen: "critical", Told: "critical"}}
	if err := s.NotifyDone(ctx, "chat", 5, change); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NotifyPending(ctx, "chat", 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("attempts after delivery: got %v, want ErrNotFound", err)
	}
	if k, err := s.NotifyKnown(ctx, "chat", 9); err != nil || k != change.NotifyAlert {
		t.Fatalf("known = %+v, %v; want %+v", k, err, change.NotifyAlert)
	}
	if k, _ := s.NotifyKnown(ctx, "other", 9); k != (store.NotifyAlert{}) {
		t.Fatalf("another channel knows %+v, want nothing", k)
	}
	if err := s.NotifyDone(ctx, "chat", 6, &store.NotifyChange{AlertID: 9, Forget: true}); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.NotifyKnown(ctx, "chat", 9); k != (store.NotifyAlert{}) {
		t.Fatalf("after forget: %+v, want nothing", k)
	}
}

func TestPruneDropsOldNotifyFailuresAndStateOfResolvedAlerts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "n.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	gone, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "admin"}, "resolves")
	if err != nil {
		t.Fatal(err)
	}
	told := &store.NotifyChange{AlertID: gone.ID, NotifyAlert: store.NotifyAlert{Seen: "critical", Told: "critical"}}
	if err := s.NotifyGiveUp(ctx, store.NotifyDelivery{Channel: "chat", Seq: 1, EventType: "alert.opened", AlertID: gone.ID, Attempts: 3}, told); err != nil {
		t.Fatal(err)
	}
	now = now.Add(store.TestAlertLifetime + time.Minute)
	if err := s.ExpireTestAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "admin"}, "still open")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyDone(ctx, "chat", 3, &store.NotifyChange{AlertID: kept.ID, NotifyAlert: store.NotifyAlert{Seen: "critical", Told: "critical"}}); err != nil {
		t.Fatal(err)
	}

	now = now.Add(2 * time.Hour)
	if _, err := s.Prune(ctx, store.Retention{Events: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := s.NotifyFailures(ctx, 10); len(fs) != 0 {
		t.Errorf("failures older than the event log kept: %+v", fs)
	}
	if k, _ := s.NotifyKnown(ctx, "chat", gone.ID); k != (store.NotifyAlert{}) {
		t.Errorf("state of a long-resolved alert kept: %+v", k)
	}
	if k, _ := s.NotifyKnown(ctx, "chat", kept.ID); k.Told != "critical" {
		t.Errorf("state of an open alert pruned: %+v", k)
	}
}
