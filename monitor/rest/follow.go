package rest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Events follows the near-real-time events of a Fleet's deployments: the
// Performance Metrics Service's status changes and messages, each with a
// cursor (the last id seen), polled every EventsInterval. A status change
// makes the scheduler check the target at once; a message is recorded as
// a ggserr.log line is (an ERROR with an OGG code opens ogg_error).
//
// Cursors are kept in a monitor.OffsetStore, as the errlog offsets are,
// under the key "rest-events:TARGET/DEPLOYMENT/statusChanges" (or
// /messages), with Offset = last id + 1, so that zero means never saved.
// A cursor never saved starts at the service's newest id: the first start
// replays nothing. After a restart, what happened since the saved cursor
// is new. A newest id below the cursor (the deployment was recreated)
// resyncs the cursor without replaying anything.
type Events struct {
	fleet    *Fleet
	store    monitor.OffsetStore
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	cursors map[string]int64 // by store key; -1 when never saved
}

// Events returns the follower of f's deployments.
func (f *Fleet) Events(st monitor.OffsetStore, log *slog.Logger) *Events {
	every := f.target.EventsInterval
	if every <= 0 {
		every = monitor.DefaultEventsInterval
	}
	return &Events{fleet: f, store: st, log: log, interval: every, cursors: map[string]int64{}}
}

// Run polls until ctx ends. A failed poll is retried at the next
// interval, logged as a warning when polls start failing and at debug
// level while they go on failing; the scheduled checks report an
// unreachable target.
func (e *Events) Run(ctx context.Context, sink monitor.EventSink) error {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := e.Poll(ctx, sink)
		switch {
		case ctx.Err() != nil:
		case err != nil && !failing:
			e.log.Warn("cannot follow status changes and messages; checks go on at their schedule", "target", e.fleet.target.Name, "err", err)
		case err != nil:
			e.log.Debug("poll events", "target", e.fleet.target.Name, "err", err)
		case failing:
			e.log.Info("following status changes and messages again", "target", e.fleet.target.Name)
		}
		failing = err != nil
	}
}

// Poll reads every deployment's new status changes and messages once.
func (e *Events) Poll(ctx context.Context, sink monitor.EventSink) error {
	ctx, cancel := context.WithTimeout(ctx, max(e.interval, 5*time.Second))
	defer cancel()
	var errs []error
	changed := false
	for dep, pm := range e.fleet.pmServices() {
		if pm == nil {
			continue
		}
		n, err := e.statusChanges(ctx, dep, pm)
		if err != nil {
			errs = append(errs, err)
		}
		changed = changed || n > 0
		if err := e.messages(ctx, dep, pm, sink); err != nil {
			errs = append(errs, err)
		}
	}
	if changed {
		sink.Changed()
	}
	return errors.Join(errs...)
}

func (e *Events) statusChanges(ctx context.Context, dep string, pm *Collector) (int, error) {
	var news []monitor.StatusChange
	_, err := e.follow(ctx, dep, "statusChanges", pm, func(cursor int64) (int64, error) {
		path := "/v2/monitoring/statusChanges?fromID=" + strconv.FormatInt(cursor+1, 10)
		body, err := pm.get(ctx, path)
		if err != nil {
			return cursor, err
		}
		all, err := ParseStatusChanges(body, time.Now())
		if err != nil {
			return cursor, fmt.Errorf("rest GET %s: %w", pm.endpoint(path), err)
		}
		for _, c := range all {
			if c.ID > cursor {
				c.Deployment = dep
				news = append(news, c)
				cursor = max(cursor, c.ID)
			}
		}
		return cursor, nil
	})
	for _, c := range news {
		e.log.Info("status change", "target", e.fleet.target.Name, "deployment", dep, "process", c.Process, "status", c.OGGStatus)
	}
	return len(news), err
}

func (e *Events) messages(ctx context.Context, dep string, pm *Collector, sink monitor.EventSink) error {
	var entries []monitor.LogEntry
	found, err := e.follow(ctx, dep, "messages", pm, func(cursor int64) (int64, error) {
		path := "/v2/monitoring/messages?fromID=" + strconv.FormatInt(cursor+1, 10)
		body, err := pm.get(ctx, path)
		if err != nil {
			return cursor, err
		}
		all, err := ParseEventMessages(body, time.Now())
		if err != nil {
			return cursor, fmt.Errorf("rest GET %s: %w", pm.endpoint(path), err)
		}
		for _, m := range all {
			if m.ID > cursor {
				entries = append(entries, monitor.LogEntry{At: m.At, Severity: m.Severity, Code: m.Code, Group: m.Process,
					Message: "deployment " + dep + ": " + m.Message})
				cursor = max(cursor, m.ID)
			}
		}
		return cursor, nil
	})
	if !found {
		// A release without the PM message log: the Administration
		// Service's messages, told apart by their last entry (no ids).
		if admin := e.fleet.adminService(dep); admin != nil {
			got, aerr := admin.CollectLog(ctx)
			for _, m := range got {
				m.Message = "deployment " + dep + ": " + m.Message
				entries = append(entries, m)
			}
			err = aerr
		}
	}
	if len(entries) > 0 {
		if serr := sink.Log(ctx, entries); serr != nil {
			return errors.Join(err, fmt.Errorf("record messages of %s: %w", dep, serr))
		}
	}
	return err
}

// follow runs one cursor step of a stream ("statusChanges" or "messages"):
// read the newest id, and when it is past the cursor, fetch what follows
// with read, which returns the new cursor. The cursor is saved after each
// step that moved it. A 404 (a release without the endpoint) is no events.
func (e *Events) follow(ctx context.Context, dep, stream string, pm *Collector, read func(cursor int64) (int64, error)) (found bool, err error) {
	key := "rest-events:" + e.fleet.target.Name + "/" + dep + "/" + stream
	lastPath := "/v2/monitoring/lastStatusChangeId"
	if stream == "messages" {
		lastPath = "/v2/monitoring/lastMessageId"
	}
	body, err := pm.get(ctx, lastPath)
	if nf := (*notFound)(nil); errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	lastID, err := ParseLastID(body, time.Now())
	if err != nil {
		return true, fmt.Errorf("rest GET %s: %w", pm.endpoint(lastPath), err)
	}
	cursor, err := e.cursor(ctx, key)
	if err != nil {
		return true, err
	}
	next := cursor
	switch {
	case cursor < 0 || lastID < cursor: // never saved, or the source was reset: start at its head
		next = lastID
	case lastID > cursor:
		next, err = read(cursor)
		if err != nil {
			return true, err
		}
	}
	if next == cursor {
		return true, nil
	}
	e.mu.Lock()
	e.cursors[key] = next
	e.mu.Unlock()
	if err := e.store.SaveOffset(ctx, key, monitor.ErrLogOffset{Offset: next + 1}); err != nil {
		return true, fmt.Errorf("save event cursor %s: %w", key, err)
	}
	return true, nil
}

func (e *Events) cursor(ctx context.Context, key string) (int64, error) {
	e.mu.Lock()
	c, ok := e.cursors[key]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	off, err := e.store.LoadOffset(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("load event cursor %s: %w", key, err)
	}
	c = off.Offset - 1 // -1: never saved
	e.mu.Lock()
	e.cursors[key] = c
	e.mu.Unlock()
	return c, nil
}
