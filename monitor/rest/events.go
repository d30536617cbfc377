package rest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Near-real-time events (ogg-depth.md §6), followed with a cursor:
//
//	PM GET /services/v2/monitoring/lastStatusChangeId   → ParseLastID
//	PM GET /services/v2/monitoring/statusChanges?fromID → ParseStatusChanges
//	PM GET /services/v2/monitoring/lastMessageId        → ParseLastID
//	PM GET /services/v2/monitoring/messages?fromID      → ParseEventMessages
//	admin GET /services/v2/messages                     → ParseEventMessages (no ids)
//
// The documentation's examples return one object where the schema says a
// list, and ids as numbers or strings; every form is read. Entries come
// back sorted by id; EventsAfter keeps those past a cursor.

// ParseLastID reads lastStatusChangeId / lastMessageId: {"lastId": 123} or
// {"lastId": "12345"}. A missing or non-numeric id is an error.
func ParseLastID(body []byte, now time.Time) (int64, error) {
	const what = "last id"
	var resp struct {
		LastID depthNumber `json:"lastId"`
	}
	if _, err := depthResponse(body, what, &resp); err != nil {
		return 0, err
	}
	id, ok := resp.LastID.int()
	if !ok || id < 0 {
		return 0, &monitor.ParseError{What: what, Reason: "response has no numeric lastId"}
	}
	return id, nil
}

// ParseStatusChanges reads a status change list. Status maps OGG's
// processState (Running, Abend, NotResponsive …) to SyncMon's: Stopping
// and StoppingForced are still RUNNING, Stopped/StoppedForced/Registered
// STOPPED, Abend ABENDED, Killed KILLED, anything else UNKNOWN; OGGStatus
// keeps OGG's word. An entry without an id or a process is an error.
func ParseStatusChanges(body []byte, now time.Time) ([]monitor.StatusChange, error) {
	const what = "status changes"
	raws, err := depthEntries(body, what, "statusChange", "statusChanges", "items")
	if err != nil {
		return nil, err
	}
	out := make([]monitor.StatusChange, 0, len(raws))
	for i, r := range raws {
		var c struct {
			ID      depthNumber `json:"identifier"`
			Process any         `json:"process"`
			Type    any         `json:"type"`
			Date    any         `json:"date"`
			Status  any         `json:"status"`
		}
		if err := json.Unmarshal(r, &c); err != nil {
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("entry %d is not an object", i)}
		}
		id, ok := c.ID.int()
		proc := depthProcess(str(c.Process))
		if !ok || id < 0 || proc == "" {
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("entry %d has no identifier or process", i)}
		}
		sc := monitor.StatusChange{
			ID:        id,
			Process:   proc,
			Type:      cleanSnippet(str(c.Type), 64),
			OGGStatus: cleanSnippet(str(c.Status), 64),
		}
		sc.Status = depthStateStatus(sc.OGGStatus)
		if t, ok := depthTime(str(c.Date), time.UTC); ok {
			sc.At = t
		}
		out = append(out, sc)
	}
	slices.SortStableFunc(out, func(a, b monitor.StatusChange) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ParseEventMessages reads a message list: the PM service's
// monitoring/messages (entries with identifier, process, issued, code,
// severity, text) or the Administration Service's /messages (ogg:message
// items with code, severity, issued, title; no ids). Code is the code
// field, else the first OGG-nnnnn in the text; Process is the process
// field, else a group the text names ("REPLICAT REP1"). A body without a
// response carries no messages of this kind: an empty, non-nil slice.
func ParseEventMessages(body []byte, now time.Time) ([]monitor.EventMessage, error) {
	const what = "event messages"
	env, err := parseEnvelope(body, what)
	if err != nil {
		return nil, err
	}
	if !hasValue(env.Response) {
		return []monitor.EventMessage{}, nil
	}
	raws, err := depthEntries(body, what, "items", "messages", "message")
	if err != nil {
		return nil, err
	}
	out := depthMessages(raws)
	// Stable: the Administration Service gives no ids (all 0), so its order stays.
	slices.SortStableFunc(out, func(a, b monitor.EventMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// EventsAfter returns the entries whose id is past the cursor last, and
// whether the source was reset: its newest id (lastID, from ParseLastID)
// is below the cursor, as when the deployment was recreated. A caller that
// sees reset resyncs its cursor to lastID without replaying anything.
func EventsAfter[T monitor.StatusChange | monitor.EventMessage](entries []T, last, lastID int64) (after []T, reset bool) {
	if lastID < last {
		return []T{}, true
	}
	after = []T{}
	for _, e := range entries {
		var id int64
		switch v := any(e).(type) {
		case monitor.StatusChange:
			id = v.ID
		case monitor.EventMessage:
			id = v.ID
		}
		if id > last {
			after = append(after, e)
		}
	}
	return after, false
}

// depthEntries returns the entries of a list response: an array under one
// of keys, the response itself when it is an array, or the response as the
// only entry when it is one object (the documentation examples).
func depthEntries(body []byte, what string, keys ...string) ([]json.RawMessage, error) {
	env, err := parseEnvelope(body, what)
	if err != nil {
		return nil, err
	}
	if !hasValue(env.Response) {
		return nil, noResponse(what, env)
	}
	t := bytes.TrimSpace(env.Response)
	var list []json.RawMessage
	switch t[0] {
	case '[':
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, &monitor.ParseError{What: what, Reason: "response is not a list"}
		}
		return list, nil
	case '{':
	default:
		return nil, &monitor.ParseError{What: what, Reason: "response is neither a list nor an object"}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(t, &obj); err != nil {
		return nil, &monitor.ParseError{What: what, Reason: "response is not an object"}
	}
	for _, k := range keys {
		v, ok := obj[k]
		if !ok {
			continue
		}
		if !hasValue(v) {
			return []json.RawMessage{}, nil
		}
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, &monitor.ParseError{What: what, Reason: k + " is not a list"}
		}
		return list, nil
	}
	if _, ok := obj["identifier"]; ok {
		return []json.RawMessage{t}, nil
	}
	return nil, &monitor.ParseError{What: what, Reason: "response has no " + strings.Join(keys, ", ") + " list"}
}

// depthStateStatus maps a processState of the PM service.
func depthStateStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "running", "stopping", "stoppingforced":
		return monitor.StatusRunning
	case "starting":
		return monitor.StatusStarting
	case "stopped", "stoppedforced", "registered":
		return monitor.StatusStopped
	case "abend", "abended":
		return monitor.StatusAbended
	case "killed":
		return monitor.StatusKilled
	default:
		return monitor.StatusUnknown
	}
}
