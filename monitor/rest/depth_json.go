package rest

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Helpers of the issue-14 parsers (deployments.go, paths.go, heartbeat.go,
// inflight.go, events.go). They read the envelope, and describe bodies
// that are not one, with parse.go's parseEnvelope, notJSON and noResponse.
// The depth* value readers are kept apart from parse.go's on purpose: they
// are more lenient (numeric strings, "1,234", several time layouts) and
// the first-wave goldens pin the stricter readings.
//
// Every body is the standard envelope
//
//	{"$schema":"api:standardResponse","links":[…],"messages":[…],"response":{…}}
//
// Bodies that are not JSON (an HTML error page, a truncated body, a bare
// 401) are a *monitor.ParseError that says what the body looked like; so is
// JSON of the wrong shape. No parser panics on any input.

// depthResponse decodes body's response into v, which must be a pointer to
// a struct. A body without a response, or whose response is not an object,
// is an error.
func depthResponse(body []byte, what string, v any) (envelope, error) {
	env, err := parseEnvelope(body, what)
	if err != nil {
		return env, err
	}
	if !hasValue(env.Response) {
		return env, noResponse(what, env)
	}
	if t := bytes.TrimSpace(env.Response); len(t) == 0 || t[0] != '{' {
		return env, &monitor.ParseError{What: what, Reason: "response is not an object"}
	}
	if err := json.Unmarshal(env.Response, v); err != nil {
		return env, &monitor.ParseError{What: what, Reason: "unexpected response shape: " + cleanSnippet(err.Error(), 160)}
	}
	return env, nil
}

// depthMaxText bounds any one text field taken from a body.
const depthMaxText = 2000

var depthCodeRE = regexp.MustCompile(`\bOGG-\d{5}\b`)

// depthMessages converts ogg:message (and monitoring message) objects;
// entries that are not objects are skipped.
func depthMessages(raw []json.RawMessage) []monitor.EventMessage {
	out := []monitor.EventMessage{}
	for _, r := range raw {
		var m struct {
			ID       depthNumber `json:"identifier"`
			Title    any         `json:"title"`
			Text     any         `json:"text"`
			Code     any         `json:"code"`
			Severity any         `json:"severity"`
			Issued   any         `json:"issued"`
			Process  any         `json:"process"`
		}
		if t := bytes.TrimSpace(r); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &m) != nil {
			continue
		}
		e := monitor.EventMessage{
			Severity: depthSeverity(str(m.Severity)),
			Code:     cleanSnippet(str(m.Code), 20),
			Process:  depthProcess(str(m.Process)),
			Message:  cleanSnippet(str(m.Title), depthMaxText),
		}
		if id, ok := m.ID.int(); ok {
			e.ID = id
		}
		if e.Message == "" {
			e.Message = cleanSnippet(str(m.Text), depthMaxText)
		}
		if e.Code == "" {
			e.Code = depthCodeRE.FindString(e.Message)
		}
		if e.Process == "" {
			e.Process = depthGroupIn(e.Message)
		}
		if t, ok := depthTime(str(m.Issued), time.UTC); ok {
			e.At = t
		}
		out = append(out, e)
	}
	return out
}

var depthGroupRE = regexp.MustCompile(`(?i)\b(?:extract|replicat)(?: group)? ([A-Za-z][A-Za-z0-9_]{0,7})\b`)

// depthGroupIn finds the group a message text names: "Extract group EXT1
// starting." → EXT1, "Lag for REPLICAT REP1 is …" → REP1. Only a name
// written in upper case or holding a digit counts, so that "The Extract
// process …" names no group.
func depthGroupIn(s string) string {
	for _, m := range depthGroupRE.FindAllStringSubmatch(s, 4) {
		name := m[1]
		if name == strings.ToUpper(name) || strings.ContainsAny(name, "0123456789") {
			return strings.ToUpper(name)
		}
	}
	return ""
}

// depthSeverity maps severities to INFO, WARNING, ERROR ("GGInfo" → INFO),
// as restSeverity does, on at most 20 runes of one line.
func depthSeverity(s string) string { return restSeverity(cleanSnippet(s, 20)) }

// depthProcess upper-cases a process name; "MGR" is the Manager.
func depthProcess(s string) string {
	u := strings.ToUpper(cleanSnippet(s, 64))
	if u == "MGR" {
		return "MANAGER"
	}
	return u
}

// depthStatus maps REST statuses of services and paths (lower-case in
// OGG) to SyncMon's. uninitialized (created, never started), paused and
// stopping are STOPPED: no data moves. Anything else is UNKNOWN.
func depthStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "running":
		return monitor.StatusRunning
	case "stopped", "uninitialized", "paused", "stopping":
		return monitor.StatusStopped
	case "abended", "abend":
		return monitor.StatusAbended
	case "killed":
		return monitor.StatusKilled
	case "starting":
		return monitor.StatusStarting
	default:
		return monitor.StatusUnknown
	}
}

// depthTimeLayouts are the times OGG REST bodies carry: RFC 3339, and the
// GGSCI-style "2024-05-14:07:58:02" of in-flight transactions.
var depthTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02:15:04:05",
	"2006-01-02 15:04:05.999999999",
}

// depthTime reads a time; one without a zone is read in loc.
func depthTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range depthTimeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// depthNumber is a number OGG sends as a JSON number, a numeric string
// ("3175", "1,234", "4.5"), null, or not at all. Other values read as
// absent rather than failing the whole body.
type depthNumber struct {
	v  float64
	ok bool
}

func (n *depthNumber) UnmarshalJSON(b []byte) error {
	*n = depthNumber{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var s string
	switch {
	case b[0] == '"':
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		s = string(b)
	default:
		return nil // null, true, {}, []
	}
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<62 {
		return nil
	}
	n.v, n.ok = f, true
	return nil
}

// int returns the number truncated to an integer.
func (n depthNumber) int() (int64, bool) {
	if !n.ok {
		return 0, false
	}
	return int64(n.v), true
}

// ptr returns the integer as a pointer, nil when absent.
func (n depthNumber) ptr() *int64 {
	v, ok := n.int()
	if !ok {
		return nil
	}
	return &v
}

// depthAge is now − t in whole seconds, never negative (the OGG host's
// clock may run ahead of ours).
func depthAge(now, t time.Time) int64 {
	d := now.Sub(t)
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}
