package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// The pure half of the REST collector: JSON bodies of the Microservices
// Administration Service in, typed values out. No HTTP, no clock.
//
// Every body is the standard envelope
//
//	{"$schema":"api:standardResponse","links":[…],"messages":[…],"response":{…}}
//
// (ogg-facts.md 3.2). Numbers may arrive as JSON numbers or as strings
// ("lag":"0" in the 23ai docs), null, or not at all; all of these are read.
// Bodies that are not JSON (a proxy's HTML page, a truncated body) are a
// *ParseError, which matches ErrUnreadable.

// Envelope is what every Microservices response carries besides its payload.
type Envelope struct {
	// Schema is response.$schema ("ogg:collection", "ogg:replicatStatus" …),
	// empty when the response has none.
	Schema string `json:"schema"`
	// HasResponse is false for bodies that carry only messages, such as
	// most POST answers and error bodies.
	HasResponse bool `json:"has_response"`
	// Messages are the envelope's own messages about the request.
	Messages []monitor.LogEntry `json:"messages"`
}

// ParseEnvelope reads the envelope of any Microservices response.
func ParseEnvelope(r io.Reader) (Envelope, error) {
	env, err := readEnvelope(r, "rest envelope")
	if err != nil {
		return Envelope{}, err
	}
	out := Envelope{
		HasResponse: hasValue(env.Response),
		Messages:    messagesToEntries(env.Messages),
	}
	if out.HasResponse {
		var s struct {
			Schema string `json:"$schema"`
		}
		// A response that is not an object (or a $schema that is not a
		// string) has no schema to report; that is not an error here.
		_ = json.Unmarshal(env.Response, &s)
		out.Schema = s.Schema
	}
	return out, nil
}

// ParseList reads a collection (GET /services/v2/extracts, /replicats,
// /deployments, …/services) and returns the names of its items, in order.
// An empty collection gives an empty, non-nil slice. A body without a
// response is an error: a monitor must not mistake it for "no groups".
func ParseList(r io.Reader) ([]string, error) {
	const what = "rest list"
	env, err := readEnvelope(r, what)
	if err != nil {
		return nil, err
	}
	if !hasValue(env.Response) {
		return nil, noResponse(what, env)
	}
	var coll struct {
		Items *[]struct {
			Name any `json:"name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(env.Response, &coll); err != nil {
		return nil, &monitor.ParseError{What: what, Reason: "response is not a collection: " + err.Error()}
	}
	if coll.Items == nil {
		return nil, &monitor.ParseError{What: what, Reason: "response has no items"}
	}
	names := make([]string, 0, len(*coll.Items))
	for i, it := range *coll.Items {
		name, ok := it.Name.(string)
		if !ok || strings.TrimSpace(name) == "" {
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("item %d has no name", i)}
		}
		names = append(names, strings.TrimSpace(name))
	}
	return names, nil
}

// ParseStatus reads GET /services/v2/{extracts|replicats}/{name}/info/status.
// It fills Status (upper-case, one of the Status constants; values SyncMon does
// not know become UNKNOWN), LagSeconds (lag) and CheckpointAgeSeconds
// (sinceLagReported). Program and Group are left for the caller.
func ParseStatus(r io.Reader) (monitor.Process, error) {
	const what = "rest status"
	env, err := readEnvelope(r, what)
	if err != nil {
		return monitor.Process{}, err
	}
	if !hasValue(env.Response) {
		return monitor.Process{}, noResponse(what, env)
	}
	var st struct {
		Status           any     `json:"status"`
		Lag              flexInt `json:"lag"`
		SinceLagReported flexInt `json:"sinceLagReported"`
	}
	if err := json.Unmarshal(env.Response, &st); err != nil {
		return monitor.Process{}, &monitor.ParseError{What: what, Reason: "response is not a status object: " + err.Error()}
	}
	s, ok := st.Status.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return monitor.Process{}, &monitor.ParseError{What: what, Reason: "response has no status"}
	}
	return monitor.Process{
		Status:               restStatus(s),
		LagSeconds:           st.Lag.v,
		CheckpointAgeSeconds: st.SinceLagReported.v,
	}, nil
}

// ParseMessages reads GET /services/v2/messages: response.items of
// ogg:message objects, one LogEntry each (title → Message, issued → At).
// The 12.3 documentation shows a single message object as the response
// (severity "GGInfo", text in "text"); that shape is read too. A body
// without a response has no messages of this kind; the envelope's own
// messages are ParseEnvelope's business.
func ParseMessages(r io.Reader) ([]monitor.LogEntry, error) {
	const what = "rest messages"
	env, err := readEnvelope(r, what)
	if err != nil {
		return nil, err
	}
	out := []monitor.LogEntry{}
	if !hasValue(env.Response) {
		return out, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(env.Response, &probe); err != nil {
		return nil, &monitor.ParseError{What: what, Reason: "response is not an object: " + err.Error()}
	}
	if items, ok := probe["items"]; ok {
		var msgs []json.RawMessage
		if err := json.Unmarshal(items, &msgs); err != nil {
			return nil, &monitor.ParseError{What: what, Reason: "items is not a list: " + err.Error()}
		}
		return append(out, messagesToEntries(msgs)...), nil
	}
	// The 12.3 single-object shape.
	return append(out, messagesToEntries([]json.RawMessage{env.Response})...), nil
}

// envelope is the standard response with its parts left raw, so that one
// odd part does not spoil the others.
type envelope struct {
	Messages []json.RawMessage
	Response json.RawMessage
}

// readEnvelope reads r whole and decodes the envelope (parseEnvelope).
func readEnvelope(r io.Reader, what string) (envelope, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return envelope{}, fmt.Errorf("%s: read: %w", what, err)
	}
	return parseEnvelope(b, what)
}

// parseEnvelope decodes the envelope of body. A body that is not JSON is a
// ParseError that says what it looked like (notJSON).
func parseEnvelope(body []byte, what string) (envelope, error) {
	var raw struct {
		Messages json.RawMessage `json:"messages"`
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return envelope{}, notJSON(what, body, err)
	}
	env := envelope{Response: raw.Response}
	if hasValue(raw.Messages) {
		// A messages field of the wrong shape is ignored rather than fatal:
		// the payload is what the monitor needs.
		_ = json.Unmarshal(raw.Messages, &env.Messages)
	}
	return env, nil
}

// hasValue reports whether a raw JSON field was present and not null.
func hasValue(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// notJSON turns a JSON decoding failure into a ParseError that says what
// the body looked like: empty, HTML (with its title), a raw HTTP response,
// truncated, invalid, or JSON that is not an envelope.
func notJSON(what string, b []byte, err error) error {
	t := bytes.TrimSpace(b)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(t) == 0:
		return &monitor.ParseError{What: what, Reason: "empty body where JSON was expected"}
	case t[0] == '<':
		reason := "HTML where JSON was expected"
		if m := htmlTitle.FindSubmatch(t); m != nil {
			if title := cleanSnippet(string(m[1]), 80); title != "" {
				reason += fmt.Sprintf(" (%q)", title)
			}
		}
		return &monitor.ParseError{What: what, Reason: reason}
	case bytes.HasPrefix(t, []byte("HTTP/")):
		line, _, _ := bytes.Cut(t, []byte("\n"))
		return &monitor.ParseError{What: what, Reason: fmt.Sprintf("raw HTTP response where JSON was expected (%q)", cleanSnippet(string(line), 80))}
	case errors.As(err, &syn) && strings.Contains(syn.Error(), "end of JSON input"):
		return &monitor.ParseError{What: what, Reason: fmt.Sprintf("truncated JSON (body ends after %d bytes)", len(b))}
	case errors.As(err, &syn):
		return &monitor.ParseError{What: what, Reason: fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, cleanSnippet(err.Error(), 160))}
	case errors.As(err, &typ):
		return &monitor.ParseError{What: what, Reason: "body is not a response envelope but a JSON " + typ.Value}
	default:
		return &monitor.ParseError{What: what, Reason: "body is not a response envelope: " + cleanSnippet(err.Error(), 160)}
	}
}

// noResponse describes a body that carries only messages.
func noResponse(what string, env envelope) error {
	reason := "body has no response"
	if msgs := messagesToEntries(env.Messages); len(msgs) > 0 {
		reason += ": " + messageSummary(msgs)
	}
	return &monitor.ParseError{What: what, Reason: reason}
}

// messageSummary joins the first few messages into one line for an error.
func messageSummary(msgs []monitor.LogEntry) string {
	var parts []string
	for i, m := range msgs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(msgs)-i))
			break
		}
		s := cleanSnippet(m.Message, 200)
		if m.Code != "" {
			s = m.Code + " " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// cleanSnippet makes untrusted text safe to put into an error message:
// one line, valid UTF-8, at most max runes.
func cleanSnippet(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// messagesToEntries converts ogg:message objects. Entries that are not
// objects are skipped: they carry nothing to show.
func messagesToEntries(raw []json.RawMessage) []monitor.LogEntry {
	out := []monitor.LogEntry{}
	for _, r := range raw {
		var m struct {
			Title    any `json:"title"`
			Text     any `json:"text"`
			Code     any `json:"code"`
			Severity any `json:"severity"`
			Issued   any `json:"issued"`
			Process  any `json:"process"`
		}
		if err := json.Unmarshal(r, &m); err != nil {
			continue
		}
		e := monitor.LogEntry{
			Severity: restSeverity(str(m.Severity)),
			Code:     strings.TrimSpace(str(m.Code)),
			Program:  restProgram(str(m.Process)),
			Message:  strings.TrimSpace(strings.ToValidUTF8(str(m.Title), "\uFFFD")),
		}
		if e.Message == "" {
			e.Message = strings.TrimSpace(strings.ToValidUTF8(str(m.Text), "\uFFFD"))
		}
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str(m.Issued))); err == nil {
			e.At = t
		}
		out = append(out, e)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// restStatus maps the REST status values (lower-case) to SyncMon's.
func restStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "running":
		return monitor.StatusRunning
	case "stopped":
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

// restSeverity maps message severities to INFO, WARNING, ERROR. The 12.3
// documentation example says "GGInfo"; others are kept upper-cased.
func restSeverity(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "GG")
	switch u {
	case "WARN":
		return "WARNING"
	case "FATAL", "SEVERE":
		return "ERROR"
	}
	return u
}

// restProgram maps the 12.3 "process" field; "MGR" is the Manager.
func restProgram(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "MGR" {
		return "MANAGER"
	}
	return monitor.CleanName(u)
}

// flexInt is a count of seconds that OGG sends as a JSON number, a string
// ("0", "12", "00:05:12"), null, or not at all. Values it cannot read are
// nil ("OGG gave none") rather than an error, so that one odd field does
// not hide a process's status.
type flexInt struct{ v *int64 }

func (f *flexInt) UnmarshalJSON(b []byte) error {
	f.v = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
	} else if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		s = string(b)
	} else {
		return nil // true, {}, [] …: not a number of seconds
	}
	f.v = parseSeconds(s)
	return nil
}

// parseSeconds reads "12", "12.7" (truncated), "1,234" or "h+:mm:ss".
func parseSeconds(s string) *int64 {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f >= math.MaxInt64 || f <= math.MinInt64 {
			return nil
		}
		n := int64(f)
		return &n
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil
	}
	var total int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || (i > 0 && n > 59) || n >= math.MaxInt64/3600-1 {
			return nil
		}
		total = total*60 + n
	}
	return &total
}
