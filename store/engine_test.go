package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// A restart in the middle of an ongoing ABEND opens no second alert, and the
// resolve arrives when the group recovers: alerts, counters and memory live
// in the database, not in the process.
func TestRestartMidAbendNoDuplicateThenResolve(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restart.db")
	target := monitor.Target{Name: "east", Kind: "ggsci", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	obs := func(status string) monitor.Observation {
		return monitor.Observation{Target: "east", Kind: "ggsci", ObservedAt: time.Now(), Processes: []monitor.Process{
			{Program: "MANAGER", Status: monitor.StatusRunning},
			{Program: "REPLICAT", Group: "REP1", Status: status},
		}}
	}
	s1, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{monitor.StatusRunning, monitor.StatusAbended, monitor.StatusAbended} {
		if err := s1.Record(ctx, target, obs(st)); err != nil {
			t.Fatal(err)
		}
	}
	headBefore := s1.Head()
	s1.Close()

	s2 := mustOpen(t, path)
	sub, _, err := s2.Subscribe(context.Background(), headBefore)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := make(chan store.Event, 100)
	sub.Start(func(e store.Event) bool { got <- e; return true })
	for _, st := range []string{monitor.StatusAbended, monitor.StatusAbended, monitor.StatusRunning, monitor.StatusRunning} {
		if err := s2.Record(ctx, target, obs(st)); err != nil {
			t.Fatal(err)
		}
	}
	// Delivery follows commit (the publisher hands events on): wait for
	// everything up to the head.
	var types []string
	deadline := time.After(5 * time.Second)
	for seq := headBefore; seq < s2.Head(); {
		select {
		case e := <-got:
			seq = e.Seq
			if e.Alert != nil {
				types = append(types, e.Type)
			}
		case <-deadline:
			t.Fatalf("timed out at seq %d, head %d", seq, s2.Head())
		}
	}
	if len(types) != 1 || types[0] != monitor.AlertResolved {
		t.Fatalf("alert events after restart = %v, want exactly one alert.resolved", types)
	}
	all, _ := s2.Alerts(ctx, store.AlertFilter{})
	if len(all) != 1 || all[0].State != monitor.StateResolved {
		t.Fatalf("alerts = %+v, want the one alert, resolved", all)
	}
}

func TestSilenceMarksActiveAlertsAndExpires(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "sil.db"))
	record(t, s, abended("east", "REP1"))
	now := time.Now()
	if _, err := s.CreateSilence(ctx, store.Actor{Name: "ops"}, monitor.Silence{Target: "east", Comment: "", Start: now, End: now.Add(time.Hour)}); err == nil {
		t.Fatal("a silence without a comment was accepted")
	}
	if _, err := s.CreateSilence(ctx, store.Actor{Name: "ops"}, monitor.Silence{Comment: "x", Start: now, End: now.Add(time.Hour)}); err == nil {
		t.Fatal("a silence matching everything was accepted")
	}
	sl, err := s.CreateSilence(ctx, store.Actor{Name: "alice"}, monitor.Silence{Target: "east", Group: "rep1", Comment: "patching",
		Start: now.Add(-time.Second), End: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Alerts(ctx, store.AlertFilter{State: "open"})
	if len(a) != 1 || !a[0].Silenced {
		t.Fatalf("alert after silence = %+v, want silenced", a)
	}
	if got, err := s.Alerts(ctx, store.AlertFilter{State: "silenced"}); err != nil || len(got) != 1 || got[0].ID != a[0].ID {
		t.Fatalf("silenced filter = %+v, %v; want the silenced alert", got, err)
	}
	list, _ := s.Silences(ctx, true)
	if len(list) != 1 || list[0].Group != "REP1" || list[0].Creator != "alice" {
		t.Fatalf("silences = %+v", list)
	}
	if err := s.ExpireSilence(ctx, store.Actor{Name: "ops"}, sl.ID); err != nil {
		t.Fatal(err)
	}
	a, _ = s.Alerts(ctx, store.AlertFilter{State: "open"})
	if len(a) != 1 || a[0].Silenced {
		t.Fatalf("alert after expiry = %+v, want speaking again", a)
	}
	if got, _ := s.Alerts(ctx, store.AlertFilter{State: "silenced"}); len(got) != 0 {
		t.Fatalf("silenced filter after expiry = %+v, want none", got)
	}
	if list, _ := s.Silences(ctx, true); len(list) != 0 {
		t.Fatalf("active silences after expiry = %+v", list)
	}
}

func TestRecordLogOpensAlertAtOnce(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "log.db"))
	target := targetNamed("east")
	err := s.RecordLog(ctx, target, []monitor.LogEntry{{Severity: "ERROR", Code: "OGG-01668", Group: "REP1", Message: "PROCESS ABENDING <script>"}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Alerts(ctx, store.AlertFilter{State: "open"})
	if len(a) != 1 || a[0].Rule != monitor.RuleOGGError || a[0].Severity != monitor.SeverityCritical || a[0].Group != "REP1" {
		t.Fatalf("alerts = %+v", a)
	}
}

func TestPruneKeepsSeqAndRecentRows(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "prune.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 1200 {
		s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "old")
	}
	now = now.Add(48 * time.Hour)
	s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "new")
	n, err := s.Prune(ctx, store.Retention{Events: 24 * time.Hour, Samples: time.Hour, ResolvedAlerts: time.Hour})
	if err != nil || n != 1200 {
		t.Fatalf("pruned %d, %v; want the 1200 old events", n, err)
	}
	if _, _, err := s.Subscribe(context.Background(), 5); err == nil {
		t.Fatal("since=5 after pruning: want ErrTooOld")
	}
	_, backlog, err := s.Subscribe(context.Background(), 1200)
	if err != nil || len(backlog) != 1 || backlog[0].Seq != 1201 {
		t.Fatalf("backlog after 1200 = %v, %v", backlog, err)
	}
	_, seq, _ := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "next")
	if seq != 1202 {
		t.Fatalf("seq after prune = %d, want 1202 (never reused)", seq)
	}
}

func TestSamplesAreBucketedForLongRanges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := now
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "samples.db"), store.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	target := targetNamed("east")
	// 2000 checks 10 s apart, one lag spike in the middle.
	for i := range 2000 {
		lag := int64(5)
		if i == 1000 {
			lag = 999
		}
		at := now.Add(time.Duration(i-2000) * 10 * time.Second)
		obs := monitor.Observation{Target: "east", Kind: "ggsci", ObservedAt: at, Processes: []monitor.Process{
			{Program: "EXTRACT", Group: "E1", Status: monitor.StatusRunning, LagSeconds: &lag}}}
		if err := s.Record(ctx, target, obs); err != nil {
			t.Fatal(err)
		}
	}
	series, err := s.Samples(ctx, "east", now.Add(-24*time.Hour))
	if err != nil || len(series) != 1 {
		t.Fatalf("series = %v, %v", series, err)
	}
	got := series[0].Samples
	if len(got) > 600 || len(got) < 50 {
		t.Fatalf("%d samples, want bucketed to at most 600", len(got))
	}
	var peak int64
	for _, smp := range got {
		if smp.LagSeconds != nil && *smp.LagSeconds > peak {
			peak = *smp.LagSeconds
		}
	}
	if peak != 999 {
		t.Fatalf("peak lag %d, want the 999 s spike kept", peak)
	}
}
