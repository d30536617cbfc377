package monitor

import "time"

// The domain types of the deeper sources (issues 14 and 15): what a
// Microservices deployment's services, paths and heartbeats look like, and
// what GGSCI's SHOWTRANS and SHOWCH tell about transactions and recovery.
// Their JSON is the check --once format of DESIGN.md.

// Path kinds.
const (
	PathDistribution = "distribution"
	PathReceiver     = "receiver"
)

// Heartbeat directions, as GG_LAG names its columns.
const (
	HeartbeatIncoming = "incoming"
	HeartbeatOutgoing = "outgoing"
)

// Service is one Microservices service of a deployment, as the Service
// Manager lists it: ADMINSRVR, DISTSRVR, RECVSRVR, PMSRVR.
type Service struct {
	Deployment string `json:"deployment"`
	Name       string `json:"name"`   // upper-case program name: ADMINSRVR, DISTSRVR …
	Status     string `json:"status"` // one of the Status constants
	// Port is config.network.serviceListeningPort; 0 when the config gave none.
	Port int `json:"port,omitempty"`
}

// Path is a distribution path (Distribution Service, /sources) or a
// receiver path (Receiver Service, /targets).
type Path struct {
	Deployment string `json:"deployment"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`   // PathDistribution or PathReceiver
	Status     string `json:"status"` // one of the Status constants; "" when only listed
	// Source is the Extract feeding the path (sourceExtractName), or the
	// source trail URI when the Extract is not known.
	Source string `json:"source"`
	// Target is the target URI (wss://host:port/services/v2/targets?trail=rt).
	Target string `json:"target"`
	// LagSeconds is the path's lag (trail write → path processed); nil when OGG gave none.
	LagSeconds *int64 `json:"lag_seconds"`
	// CheckpointAgeSeconds is sinceLagReported; nil when OGG gave none.
	CheckpointAgeSeconds *int64 `json:"checkpoint_age_seconds"`
}

// Heartbeat is one end-to-end heartbeat-table measurement of one path.
type Heartbeat struct {
	Deployment string  `json:"deployment"`
	Direction  string  `json:"direction"` // HeartbeatIncoming or HeartbeatOutgoing
	From       string  `json:"from"`      // source database
	To         string  `json:"to"`        // target database
	Path       string  `json:"path"`      // "EXT1 ==> DPEAST ==> REP1", or the heartbeat's name
	LagSeconds float64 `json:"lag_seconds"`
	AgeSeconds float64 `json:"age_seconds"` // time since the last heartbeat arrived
}

// Transaction is one open (in-flight) transaction of an Extract.
type Transaction struct {
	Process string `json:"process"` // the Extract group, upper-case
	XID     string `json:"xid"`
	// StartedAt is when the transaction started, by the source's clock; nil
	// when the source does not say (a WARNLONGTRANS log line).
	StartedAt *time.Time `json:"started_at"`
	// AgeSeconds is now − StartedAt, never negative; nil when StartedAt is.
	AgeSeconds *int64 `json:"age_seconds"`
	// Items is the number of operations in the transaction; nil when unknown.
	Items      *int64 `json:"items"`
	RedoThread int    `json:"redo_thread,omitempty"`
	Status     string `json:"status,omitempty"` // as printed: "Running", "Pending COMMIT"
}

// Recovery is an Extract's recovery checkpoint: the position of its oldest
// unprocessed transaction. A restart needs the redo from there on.
type Recovery struct {
	Process      string    `json:"process"`
	Thread       int       `json:"thread,omitempty"` // redo thread (RAC); 0 when not printed
	CheckpointAt time.Time `json:"checkpoint_at"`
	AgeSeconds   int64     `json:"age_seconds"` // now − CheckpointAt, never negative
	Sequence     *int64    `json:"sequence,omitempty"`
}

// OldestRecovery returns the recovery checkpoint furthest behind: the one a
// restart depends on (with RAC, one per redo thread).
func OldestRecovery(rs []Recovery) (Recovery, bool) {
	if len(rs) == 0 {
		return Recovery{}, false
	}
	oldest := rs[0]
	for _, r := range rs[1:] {
		if r.CheckpointAt.Before(oldest.CheckpointAt) {
			oldest = r
		}
	}
	return oldest, true
}

// Activity is what one check saw of a running process's progress: the
// totals of STATS … TOTALSONLY and the position of SEND … STATUS. The
// stalled and discards rules compare two of them with DiffActivity.
type Activity struct {
	Program string `json:"program"`
	Group   string `json:"group"`
	// Operations is "Total operations" (or inserts+updates+deletes); nil when not read.
	Operations *int64 `json:"operations"`
	// Discards is "Total discards"; nil when not read.
	Discards *int64 `json:"discards"`
	// Position is an opaque checkpoint position ("seq 37 rba 2218455"); "" when not read.
	Position string `json:"position,omitempty"`
	// Since is when the counters started ("Total statistics since …"); a
	// different Since means the process restarted and the counters reset.
	Since *time.Time `json:"since,omitempty"`
}

// ActivityDelta is the change between two Activity readings of one process.
type ActivityDelta struct {
	Program string `json:"program"`
	Group   string `json:"group"`
	// Operations and Discards are the increases; nil when either reading lacks the counter.
	Operations *int64 `json:"operations"`
	Discards   *int64 `json:"discards"`
	// Moved is true when the checkpoint position changed; false when either is unknown.
	Moved bool `json:"moved"`
	// Reset is true when the counters went back (a restart): the increases
	// are then counted from zero.
	Reset bool `json:"reset"`
}

// DiffActivity compares the previous reading with the current one.
func DiffActivity(prev, cur Activity) ActivityDelta {
	d := ActivityDelta{Program: cur.Program, Group: cur.Group}
	d.Reset = prev.Since != nil && cur.Since != nil && !prev.Since.Equal(*cur.Since)
	diff := func(a, b *int64) *int64 {
		if a == nil || b == nil {
			return nil
		}
		v := *b - *a
		if v < 0 || d.Reset {
			d.Reset = true
			v = *b
		}
		return &v
	}
	d.Operations = diff(prev.Operations, cur.Operations)
	d.Discards = diff(prev.Discards, cur.Discards)
	d.Moved = prev.Position != "" && cur.Position != "" && prev.Position != cur.Position
	return d
}

// StatusChange is one entry of the Performance Metrics Service's status
// change log (/services/v2/monitoring/statusChanges).
type StatusChange struct {
	ID         int64     `json:"id"`
	Deployment string    `json:"deployment,omitempty"`
	Process    string    `json:"process"`        // group or service name as OGG gave it, upper-case
	Type       string    `json:"type,omitempty"` // "Extract", "Replicat", "DistServer" …
	At         time.Time `json:"at"`
	Status     string    `json:"status"`     // one of the Status constants
	OGGStatus  string    `json:"ogg_status"` // as OGG gave it: "Abend", "NotResponsive" …
}

// EventMessage is one message of a deployment's message log (PM
// /monitoring/messages, or the Administration Service's /messages).
type EventMessage struct {
	// ID is the message's identifier; 0 when the endpoint gives none (the
	// Administration Service list), in which case order is the list's.
	ID         int64     `json:"id"`
	Deployment string    `json:"deployment,omitempty"`
	Process    string    `json:"process"`  // named by the message, upper-case; may be empty
	At         time.Time `json:"at"`       // zero when not given
	Severity   string    `json:"severity"` // INFO, WARNING, ERROR
	Code       string    `json:"code"`     // OGG-nnnnn, empty when none
	Message    string    `json:"message"`
}
