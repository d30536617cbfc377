package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// BenchmarkRecordWrite measures one check's write (target row, processes,
// samples, memory, and an alert event every other check) with the
// database's synchronous=FULL (fsync on every commit, what SyncMon runs
// with) against NORMAL (the WAL fsynced only at checkpoints). Its result
// is in docs/OPERATIONS.md.
func BenchmarkRecordWrite(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s.db.SetMaxOpenConns(1) // the PRAGMA is per connection
			if _, err := s.db.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
				b.Fatal(err)
			}
			target := monitor.Target{Name: "east", Kind: "ggsci", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
			status := []string{monitor.StatusRunning, monitor.StatusAbended}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				obs := monitor.Observation{Target: "east", Kind: "ggsci", ObservedAt: time.Now(), Processes: []monitor.Process{
					{Program: "MANAGER", Status: monitor.StatusRunning},
					{Program: "REPLICAT", Group: "REP1", Status: status[i%2]},
				}}
				if err := s.Record(ctx, target, obs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
