package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// Old samples are rolled up into minute and then 15-minute buckets that keep
// the highest lag, and the chart reads every tier.
func TestPruneRollsSamplesUpKeepingThePeaks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, path, store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tg := targetNamed("east")
	// Every 10 s: 3 days ago (15-minute tier), 12 hours ago (minute tier), 1
	// hour ago (raw); one spike in each.
	for _, from := range []time.Duration{72 * time.Hour, 12 * time.Hour, time.Hour} {
		for i := range 180 { // 30 minutes
			lag := int64(5)
			if i == 77 {
				lag = 900 + int64(from/time.Hour)
			}
			obs := monitor.Observation{Target: "east", Kind: "simulator", ObservedAt: now.Add(-from + time.Duration(i)*10*time.Second),
				Processes: []monitor.Process{{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusRunning, LagSeconds: &lag}}}
			if err := s.Record(ctx, tg, obs); err != nil {
				t.Fatal(err)
			}
		}
	}
	peaks := func() map[int64]bool {
		series, err := s.Samples(ctx, "east", now.Add(-4*24*time.Hour))
		if err != nil || len(series) != 1 {
			t.Fatalf("samples: %v, %v", series, err)
		}
		got := map[int64]bool{}
		for _, smp := range series[0].Samples {
			if smp.LagSeconds != nil && *smp.LagSeconds > 100 {
				got[*smp.LagSeconds] = true
			}
		}
		return got
	}
	before := peaks()
	if _, err := s.Prune(ctx, store.Retention{Samples: 8 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	after := peaks()
	for _, p := range []int64{972, 912, 901} {
		if !before[p] || !after[p] {
			t.Errorf("peak %d: in the chart before %v, after %v; want both", p, before[p], after[p])
		}
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) (n int) {
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// 30 minutes of raw rows stay; 30 minute buckets; 30 minutes at 15
	// minutes a bucket is 2 or 3 buckets.
	if n := count(`SELECT COUNT(*) FROM samples`); n != 180 {
		t.Errorf("%d raw samples after the roll-up, want the last hour's 180", n)
	}
	if n := count(`SELECT COUNT(*) FROM sample_buckets WHERE width = 60`); n < 30 || n > 31 {
		t.Errorf("%d minute buckets, want 30 or 31", n)
	}
	if n := count(`SELECT COUNT(*) FROM sample_buckets WHERE width = 900`); n < 2 || n > 3 {
		t.Errorf("%d 15-minute buckets, want 2 or 3", n)
	}
	// Past the retention, buckets go too.
	now = now.Add(6 * 24 * time.Hour)
	if _, err := s.Prune(ctx, store.Retention{Samples: 8 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM sample_buckets WHERE start < ` + strconv.FormatInt(now.Add(-8*24*time.Hour).Unix(), 10)); n != 0 {
		t.Errorf("%d buckets older than the retention remain", n)
	}
}
