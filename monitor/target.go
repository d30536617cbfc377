package monitor

import (
	"context"
	"log/slog"
	"time"
)

// Target kinds.
const (
	KindGGSCI     = "ggsci"
	KindREST      = "rest"
	KindSimulator = "simulator"
	// KindAdminClient is the Microservices Admin Client driven like GGSCI,
	// after a CONNECT with credentials (Target.Connect).
	KindAdminClient = "adminclient"
)

// Target is one monitored GoldenGate deployment, as configured.
type Target struct {
	Name     string
	Kind     string
	Schedule string        // cron spec with a seconds field, or "@every 10s"
	Timeout  time.Duration // deadline of one check

	// ggsci
	Command []string // argv: ["/u01/ogg/ggsci"] or ["ssh", "ogg@east", "/u01/ogg/ggsci"]

	// ggsci and adminclient: the deeper commands of one session (issue 15)
	Collect          []string // CollectShowTrans …; nil: all of them; empty: INFO ALL only
	HeartbeatCommand []string // argv fed HeartbeatQuery on stdin (sqlplus -s /@tns); nil: none
	Connect          *Connect // adminclient: CONNECT … AS user PASSWORD …

	// rest
	URL                string
	Username           string
	Password           Secret // resolved from password_env; never logged or rendered
	CAFile             string
	InsecureSkipVerify bool
	// ServiceManagerURL, when set instead of URL, makes the target a fleet:
	// every deployment the Service Manager lists (or those in Deployments),
	// with their services, paths, heartbeats and open transactions.
	ServiceManagerURL string
	Deployments       []string      // empty: every deployment but the Service Manager's own
	EventsInterval    time.Duration // PM status changes and messages are polled this often
	Rediscover        time.Duration // deployments and their services are listed again this often

	// any kind
	ErrLog     string // ggserr.log to follow; empty for none
	Thresholds Thresholds
	Groups     map[string]Thresholds // per-group thresholds, by upper-case group name
	Policy     Policy
}

// Connect is how the Admin Client logs in to a deployment: the session
// begins with CONNECT URL DEPLOYMENT d AS user PASSWORD pw, written on its
// stdin, never in its argv.
type Connect struct {
	URL        string
	Deployment string
	Username   string
	Password   Secret // resolved from password_env; never logged or rendered
}

// ThresholdsFor returns the thresholds that apply to a group.
func (t Target) ThresholdsFor(group string) Thresholds {
	if th, ok := t.Groups[group]; ok {
		return th
	}
	return t.Thresholds
}

// Thresholds are the limits the rules compare observations with. A target
// has one set, and any group may override it (Target.Groups).
type Thresholds struct {
	DepthThresholds    // transactions, recovery, stalled, discards, heartbeats (rules_depth.go)
	LagWarning         time.Duration
	LagCritical        time.Duration
	CheckpointWarning  time.Duration // time since checkpoint while RUNNING
	CheckpointCritical time.Duration
	StartingLimit      time.Duration // longer in STARTING is "stuck"
	LagGrowingChecks   int           // K: lag rising over K consecutive checks; 0 disables
	PathLagWarning     time.Duration // distribution and receiver paths (rules_ma.go)
	PathLagCritical    time.Duration
}

// DefaultThresholds are the limits used where the config names none.
func DefaultThresholds() Thresholds {
	return Thresholds{
		DepthThresholds:    DefaultDepthThresholds(),
		LagWarning:         60 * time.Second,
		LagCritical:        300 * time.Second,
		CheckpointWarning:  300 * time.Second,
		CheckpointCritical: 900 * time.Second,
		StartingLimit:      5 * time.Minute,
		LagGrowingChecks:   5,
		PathLagWarning:     60 * time.Second,
		PathLagCritical:    300 * time.Second,
	}
}

// Policy is how the rules judge a target beyond its thresholds.
type Policy struct {
	// OpenAfter is how many consecutive breaching checks open an alert, by
	// rule; rules not named open on the first (an ABEND is not a spike).
	OpenAfter map[string]int
	// ResolveAfter is how many consecutive clear checks resolve an alert,
	// by rule; DefaultResolveAfter for rules not named.
	ResolveAfter map[string]int
	// ExpectedStopped lists groups that are STOPPED on purpose.
	ExpectedStopped []string
	// StoppedPaths lists distribution and receiver paths that are stopped
	// on purpose (upper-case names): no path_status alert for them.
	StoppedPaths []string
	// ErrorCodes maps OGG-nnnnn codes in ggserr.log ERROR lines to a
	// severity; ERROR lines with other codes are warnings.
	ErrorCodes map[string]string
	// FlapAbends within FlapWindow make a group "flapping" (AUTORESTART
	// masking a fault).
	FlapAbends int
	FlapWindow time.Duration
	// ErrLogQuiet resolves an ogg_error alert when no new ERROR line for it
	// arrived for this long.
	ErrLogQuiet time.Duration
	// GroupGoneAfter forgets a vanished group (resolving its alert);
	// AppearedHold is how long a "new group" alert stays.
	GroupGoneAfter time.Duration
	AppearedHold   time.Duration
}

// Defaults of a Service Manager target.
const (
	DefaultEventsInterval = 2 * time.Second
	DefaultRediscover     = 5 * time.Minute
)

// DefaultResolveAfter is how many clear checks resolve an alert by default.
const DefaultResolveAfter = 2

// DefaultPolicy is the rule policy where the config names none.
func DefaultPolicy() Policy {
	return Policy{
		OpenAfter:    map[string]int{RuleLag: 2, RuleCheckpointAge: 2, RuleUnreachable: 2, RuleLagGrowing: 1, RulePathLag: 2},
		ResolveAfter: map[string]int{},
		ErrorCodes: map[string]string{
			"OGG-01668": SeverityCritical, "OGG-00446": SeverityCritical, "OGG-00664": SeverityCritical,
			"OGG-01224": SeverityCritical, "OGG-10401": SeverityCritical, "OGG-02091": SeverityCritical,
			"OGG-01296": SeverityCritical,
		},
		FlapAbends:     3,
		FlapWindow:     time.Hour,
		ErrLogQuiet:    15 * time.Minute,
		GroupGoneAfter: time.Hour,
		AppearedHold:   10 * time.Minute,
	}
}

func (p Policy) openAfter(rule string) int {
	if n := p.OpenAfter[rule]; n > 0 {
		return n
	}
	return 1
}

func (p Policy) resolveAfter(rule string) int {
	if n := p.ResolveAfter[rule]; n > 0 {
		return n
	}
	if n := depthResolveAfter[rule]; n > 0 { // rules_depth.go
		return n
	}
	return DefaultResolveAfter
}

// Secret holds a password or token. It never prints itself.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON and YAML output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// LogValue describes the target without its secret.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("kind", t.Kind))
}

// Collector reads the current process table of one target.
// Implementations honour ctx's deadline and wrap failures so that
// errors.Is finds ErrUnreachable, ErrCredentials or ErrUnreadable.
type Collector interface {
	Collect(ctx context.Context) ([]Process, error)
}

// LogCollector is a collector that also reads the target's own message
// log (the Microservices messages list), returning entries new since the
// previous call.
type LogCollector interface {
	CollectLog(ctx context.Context) ([]LogEntry, error)
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc func(ctx context.Context) ([]Process, error)

// Collect calls f.
func (f CollectorFunc) Collect(ctx context.Context) ([]Process, error) { return f(ctx) }
