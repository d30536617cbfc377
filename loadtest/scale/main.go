// Command scale runs N simulator targets checked every 10 s, as serve.go
// schedules them (monitor.Scheduler, the store, the housekeeping prune is
// not run), for a while, and reports for each N: this process's CPU share,
// its RSS, the database's growth per hour and the checks' jitter (how far
// the interval between two checks of a target strays from the schedule).
// No HTTP server and no screens: the cost of checking and recording alone.
//
//	go run ./loadtest/scale -targets 10,100,500,1000 -duration 2m
//	go run ./loadtest/scale -targets 500 -duration 200s -events   # the event log by type, before and after compaction
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
	"github.com/syncmon/syncmon/store"
)

func main() {
	list := flag.String("targets", "10,100,500,1000", "comma-separated numbers of targets")
	duration := flag.Duration("duration", 2*time.Minute, "how long each N runs")
	every := flag.Duration("every", 10*time.Second, "check interval")
	keep = flag.Bool("keep", false, "keep each run's database and print its path")
	events = flag.Bool("events", false, "print the events recorded by type (per hour, bytes each), then compact every superseded target.status as the prune does after an hour, and print them again")
	flag.Parse()
	fmt.Println("| targets | CPU (share of one core) | RSS | DB growth per hour | check jitter p50 / p99 / max | checks | load average |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, f := range strings.Split(*list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("bad number of targets %q", f)
		}
		if err := run(n, *duration, *every); err != nil {
			log.Fatal(err)
		}
	}
}

var keep, events *bool

func run(n int, duration, every time.Duration) error {
	dir, err := os.MkdirTemp("", "scale-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintf(os.Stderr, "kept %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "syncmon.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	checks := make([]monitor.Check, n)
	names := make([]string, n)
	for i := range checks {
		t := monitor.Target{Name: fmt.Sprintf("sim-%04d", i), Kind: monitor.KindSimulator, Schedule: "@every " + every.String(),
			Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
		checks[i] = monitor.Check{Target: t, Collector: simulator.New(t.Name, time.Now)}
		names[i] = t.Name
	}
	if err := st.SyncTargets(ctx, names); err != nil {
		return err
	}
	sched, err := monitor.NewScheduler(checks, st, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	var (
		mu     sync.Mutex
		last   = map[string]time.Time{}
		jitter []time.Duration
		count  int
	)
	sched.OnCheck = func(obs monitor.Observation, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		count++
		// The first interval runs from the look Start takes at once to the
		// first scheduled tick: not jitter. Intervals count from the second look.
		if prev, ok := last[obs.Target]; ok && !prev.IsZero() {
			d := obs.ObservedAt.Sub(prev) - every
			jitter = append(jitter, max(d, -d))
		}
		if _, ok := last[obs.Target]; ok {
			last[obs.Target] = obs.ObservedAt
		} else {
			last[obs.Target] = time.Time{}
		}
	}
	sched.Start()
	warm := min(2*every, duration/4) // past the first look at every target
	time.Sleep(warm)
	size0, cpu0, t0 := dbSize(path), cpuTime(), time.Now()
	time.Sleep(duration - warm)
	size1, cpu1, wall := dbSize(path), cpuTime(), time.Since(t0)
	rss := rssKiB()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = sched.Stop(sctx)
	if *events {
		if err := eventReport(ctx, st, path, time.Since(t0)+warm); err != nil {
			return err
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(jitter)
	q := func(p float64) time.Duration {
		if len(jitter) == 0 {
			return 0
		}
		return jitter[min(len(jitter)-1, int(p*float64(len(jitter))))].Round(time.Millisecond)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("| %d | %.1f %% | %.0f MiB | %.0f MiB | %s / %s / %s | %d | %s |\n", n,
		100*float64(cpu1-cpu0)/float64(wall), float64(rss)/1024,
		float64(size1-size0)/(1<<20)/wall.Hours(), q(0.5), q(0.99), q(1), count, strings.Join(strings.Fields(string(load))[:3], " "))
	runtime.GC()
	return nil
}

func dbSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rssKiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// eventReport prints the event log by type, then compacts every superseded
// target.status (Retention.Superseded of a nanosecond) and prints it again:
// what the log holds per hour before and after the prune's compaction.
func eventReport(ctx context.Context, st *store.Store, path string, over time.Duration) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	print := func(when string) error {
		rows, err := db.QueryContext(ctx, `SELECT type, COUNT(*), AVG(LENGTH(body)) FROM events GROUP BY type ORDER BY type`)
		if err != nil {
			return fmt.Errorf("event report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				typ  string
				n    int64
				size float64
			)
			if err := rows.Scan(&typ, &n, &size); err != nil {
				return fmt.Errorf("event report: %w", err)
			}
			fmt.Fprintf(os.Stderr, "%s: %s %d events (%.0f per hour), %.0f B of body each\n", when, typ, n, float64(n)/over.Hours(), size)
		}
		return rows.Err()
	}
	if err := print("recorded"); err != nil {
		return err
	}
	if _, err := st.Prune(ctx, store.Retention{Superseded: time.Nanosecond}); err != nil {
		return err
	}
	return print("compacted")
}
