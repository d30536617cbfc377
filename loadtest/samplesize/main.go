// Command samplesize measures what a week of samples costs: the size of
// the database holding seven days of N targets checked every 10 s, as the
// housekeeping prune leaves it (downsample.go: raw for 2 h, minute buckets
// to 24 h, 15-minute buckets beyond), and how long the 7-day chart query
// of one target takes at that size.
//
// Seven days of raw checks (180 million rows at 500 targets) would take
// hours to write and are never on disk at once; the tool writes the tiers
// as they stand after seven days instead, with the store's own schema, then
// times store.Samples. The roll-up itself is tested in store/.
//
//	go run ./loadtest/samplesize -targets 500
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
	"github.com/syncmon/syncmon/store"
)

func main() {
	targets := flag.Int("targets", 500, "simulator targets")
	every := flag.Duration("every", 10*time.Second, "check interval")
	days := flag.Int("days", 7, "days of history")
	dir := flag.String("dir", "", "where to put the database (default: a temporary directory, removed after)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "samplesize-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	if err := run(filepath.Join(*dir, "syncmon.db"), *targets, *every, *days); err != nil {
		log.Fatal(err)
	}
}

func run(path string, targets int, every time.Duration, days int) error {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute)
	st, err := store.Open(ctx, path, store.WithClock(func() time.Time { return now }))
	if err != nil {
		return err
	}
	defer st.Close()
	db, err := sql.Open("sqlite3", store.DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	procs := simulator.Processes(0)
	start := time.Now()
	var raw, minutes, quarters int
	for i := range targets {
		name := fmt.Sprintf("sim-%04d", i)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		rawStmt, _ := tx.PrepareContext(ctx, `INSERT INTO samples (target, program, grp, at, status, lag_seconds, checkpoint_age_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		bucketStmt, _ := tx.PrepareContext(ctx, `INSERT INTO sample_buckets (target, program, grp, start, width, status, lag_seconds, checkpoint_age_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		for _, p := range procs {
			lag := func(t time.Time) *int64 {
				return simulator.Processes(t.Sub(now.Add(-time.Duration(days) * 24 * time.Hour)))[slices.Index(procs, p)].LagSeconds
			}
			// raw: the last 2 h
			for t := now.Add(-2 * time.Hour); t.Before(now); t = t.Add(every) {
				l := lag(t)
				if _, err := rawStmt.ExecContext(ctx, name, p.Program, p.Group, t.Format("2006-01-02T15:04:05.000Z"), p.Status, l, l); err != nil {
					return fmt.Errorf("raw: %w", err)
				}
				raw++
			}
			for t := now.Add(-24 * time.Hour); t.Before(now.Add(-2 * time.Hour)); t = t.Add(time.Minute) {
				l := lag(t)
				if _, err := bucketStmt.ExecContext(ctx, name, p.Program, p.Group, t.Unix(), 60, p.Status, l, l); err != nil {
					return fmt.Errorf("minute: %w", err)
				}
				minutes++
			}
			for t := now.Add(-time.Duration(days) * 24 * time.Hour); t.Before(now.Add(-24 * time.Hour)); t = t.Add(15 * time.Minute) {
				l := lag(t)
				if _, err := bucketStmt.ExecContext(ctx, name, p.Program, p.Group, t.Unix(), 900, p.Status, l, l); err != nil {
					return fmt.Errorf("quarter: %w", err)
				}
				quarters++
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	wrote := time.Since(start)
	size := fileSize(path) + fileSize(path+"-wal")
	// A prune pass at this size: nothing (much) to roll up; how long it takes.
	t0 := time.Now()
	if _, err := st.Prune(ctx, store.Retention{Samples: 8 * 24 * time.Hour}); err != nil {
		return err
	}
	prune := time.Since(t0)
	var took []time.Duration
	cpu0 := cpuTime()
	for i := range 21 {
		t0 := time.Now()
		series, err := st.Samples(ctx, fmt.Sprintf("sim-%04d", (i*37)%targets), now.Add(-time.Duration(days)*24*time.Hour))
		if err != nil {
			return err
		}
		if len(series) != len(procs) {
			return fmt.Errorf("chart: %d series, want %d", len(series), len(procs))
		}
		took = append(took, time.Since(t0))
	}
	cpu := (cpuTime() - cpu0) / 21
	took = took[1:] // the first warms the page cache
	slices.Sort(took)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("targets=%d every=%s days=%d processes/target=%d\n", targets, every, days, len(procs))
	fmt.Printf("rows: raw %d, minute %d, 15-minute %d (written in %s)\n", raw, minutes, quarters, wrote.Round(time.Second))
	fmt.Printf("database: %.1f MiB (%.1f KiB per process)\n", float64(size)/(1<<20), float64(size)/1024/float64(targets*len(procs)))
	fmt.Printf("prune pass at this size: %s\n", prune.Round(time.Millisecond))
	fmt.Printf("7-day chart of one target (%d runs): p50 %s, p90 %s, max %s\n", len(took),
		took[len(took)/2].Round(100*time.Microsecond), took[len(took)*9/10].Round(100*time.Microsecond), took[len(took)-1].Round(100*time.Microsecond))
	fmt.Printf("7-day chart CPU time per query (this process, user+system): %s\n", cpu.Round(100*time.Microsecond))
	fmt.Printf("load average: %s", load)
	return nil
}

// cpuTime is this process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

var _ = monitor.StatusRunning
