// Package monitor is SyncMon's domain: what a GoldenGate deployment looks like
// (targets, processes, observations), the collectors that read it, and the
// rules that turn what was observed into alerts. It imports nothing of ours.
package monitor

import (
	"errors"
	"strconv"
	"time"
)

// Process statuses as SyncMon reports them (upper-case, as GGSCI prints them).
const (
	StatusRunning  = "RUNNING"
	StatusStopped  = "STOPPED"
	StatusAbended  = "ABENDED"
	StatusStarting = "STARTING"
	StatusKilled   = "KILLED"
	StatusUnknown  = "UNKNOWN"
)

// Process is one row of a deployment's process table: MANAGER, an EXTRACT
// group, a REPLICAT group, or a Microservices service (ADMINSRVR …).
type Process struct {
	Program string `json:"program"` // as OGG prints it: MANAGER, EXTRACT, REPLICAT, JAGENT, PMSRVR, ADMINSRVR …
	Group   string `json:"group"`   // empty for programs without one
	Status  string `json:"status"`  // one of the Status constants
	// LagSeconds is "Lag at Chkpt" (REST: lag); nil when OGG gave none.
	LagSeconds *int64 `json:"lag_seconds"`
	// CheckpointAgeSeconds is "Time Since Chkpt" (REST: sinceLagReported); nil when OGG gave none.
	CheckpointAgeSeconds *int64 `json:"checkpoint_age_seconds"`
	// Deployment names the Microservices deployment the process belongs to
	// when one target covers several (Service Manager discovery).
	Deployment string `json:"deployment,omitempty"`
}

// Key identifies the process within its target.
func (p Process) Key() string {
	if p.Group == "" {
		return p.Program
	}
	return p.Program + " " + p.Group
}

// LogEntry is one entry of ggserr.log (or of the Microservices messages list).
type LogEntry struct {
	At       time.Time `json:"at"`       // as the OGG host wrote it; not trusted for ordering
	Severity string    `json:"severity"` // INFO, WARNING, ERROR
	Code     string    `json:"code"`     // OGG-01668, empty when none
	Program  string    `json:"program"`  // e.g. "OGG", "GGSCI", "REPLICAT"; may be empty
	Group    string    `json:"group"`    // group named by the entry (from "rep1.prm"), upper-case; may be empty
	Message  string    `json:"message"`  // the whole text, continuation lines joined with "\n"
	// Meaning is what the message says in a few words ("archive log
	// missing"), when the source knows it (errlog.Annotate); nil otherwise.
	Meaning *LogMeaning `json:"meaning,omitempty"`
	// LongTransaction is the transaction a WARNLONGTRANS line names; nil otherwise.
	LongTransaction *Transaction `json:"long_transaction,omitempty"`
}

// LogMeaning is a log message classified: its kind and a short phrase in
// each language, for the alert's text and speech.
type LogMeaning struct {
	Kind     string `json:"kind"`     // archive_log_missing, discard_limit …
	Severity string `json:"severity"` // at least this severe, whatever the line's own
	En       string `json:"en"`
	Ko       string `json:"ko"`
}

// Observation is what one check of one target saw.
type Observation struct {
	Target     string     `json:"target"`
	Kind       string     `json:"kind"`
	ObservedAt time.Time  `json:"observed_at"`
	Processes  []Process  `json:"processes"`
	Log        []LogEntry `json:"log,omitempty"`
	// Services and Paths are what a Service Manager target saw of its
	// deployments (rules_ma.go); nil when the source was not asked.
	Services []Service `json:"services,omitempty"`
	Paths    []Path    `json:"paths,omitempty"`
	// Heartbeats and Transactions: end-to-end heartbeat lag and open
	// transactions; nil when the source was not asked.
	Heartbeats   []Heartbeat   `json:"heartbeats,omitempty"`
	Transactions []Transaction `json:"transactions,omitempty"`
	// Recovery (SHOWCH: each Extract's oldest recovery checkpoint) and
	// Activity (STATS … TOTALSONLY and SEND … STATUS); nil when not asked.
	Recovery []Recovery `json:"recovery,omitempty"`
	Activity []Activity `json:"activity,omitempty"`
	// Unread is what was asked and could not be read: rules keep such
	// alerts as they are rather than resolve them.
	Unread []Unread `json:"unread,omitempty"`
	// Err is why the target could not be (fully) read; nil when it could.
	// Classify it with errors.Is against ErrUnreachable, ErrCredentials, ErrUnreadable.
	Err error `json:"-"`
	// LogErr is why the target's message log could not be read (the
	// process table may still be fine).
	LogErr error `json:"-"`
}

// Errors a collector returns, wrapped with context. Rules tell them apart.
var (
	// ErrUnreachable: the target did not answer (command failed or timed out, connection refused, 5xx).
	ErrUnreachable = errors.New("target unreachable")
	// ErrCredentials: the target refused our credentials (HTTP 401/403).
	ErrCredentials = errors.New("credentials refused")
	// ErrUnreadable: the target answered, but not in a form SyncMon can read.
	ErrUnreadable = errors.New("monitor cannot read OGG output")
)

// ParseError is returned by the pure parsers for output they cannot read.
// It matches ErrUnreadable with errors.Is.
type ParseError struct {
	What   string // which parser: "info all", "lag", "ggserr" …
	Line   int    // 1-based line number of the offending input, 0 when not line-bound
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return "parse " + e.What + ": line " + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return "parse " + e.What + ": " + e.Reason
}

// Is makes errors.Is(err, ErrUnreadable) true for every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrUnreadable }
