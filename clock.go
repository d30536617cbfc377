package main

import (
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// clockOffsetEnv names a file holding a duration ("-1h", "0s") added to the
// wall clock SyncMon stamps events with and judges by. It exists for fault
// drills and the end-to-end test of a clock set back: Go reads the time
// through the vDSO, so libfaketime's LD_PRELOAD does not reach it, and
// setting the machine's real clock would disturb everything else on it.
// Unset (the normal case): time.Now.
const clockOffsetEnv = "SYNCMON_CLOCK_OFFSET_FILE"

// newClock returns SyncMon's wall clock: time.Now, shifted by the offset in
// the file named by SYNCMON_CLOCK_OFFSET_FILE (re-read every 500 ms) when set.
func newClock(getenv func(string) string, log *slog.Logger, stop <-chan struct{}) func() time.Time {
	path := getenv(clockOffsetEnv)
	if path == "" {
		return time.Now
	}
	var off atomic.Int64
	read := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
			off.Store(int64(d))
		}
	}
	read()
	log.Warn("the wall clock is shifted by the file in "+clockOffsetEnv+" (fault drill)", "file", path, "offset", time.Duration(off.Load()))
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
	// Round(0): a shifted reading must not carry the monotonic clock, or
	// differences between readings would hide the shift.
	return func() time.Time { return time.Now().Add(time.Duration(off.Load())).Round(0) }
}
