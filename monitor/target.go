package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Target kinds.
const (
	KindGGSCI     = "ggsci"
	KindREST      = "rest"
	KindSimulator = "simulator"
)

// Target is one monitored GoldenGate deployment, as configured.
type Target struct {
	Name     string
	Kind     string
	Schedule string        // cron spec with a seconds field, or "@every 10s"
	Timeout  time.Duration // deadline of one check

	// ggsci
	Command []string // argv: ["/u01/ogg/ggsci"] or ["ssh", "ogg@east", "/u01/ogg/ggsci"]

	// rest
	URL                string
	Username           string
	Password           Secret // resolved from password_env; never logged or rendered
	CAFile             string
	InsecureSkipVerify bool

	// any kind
	ErrLog     string // ggserr.log to follow; empty for none
	Thresholds Thresholds
}

// Thresholds are the limits the rules compare observations with.
type Thresholds struct {
	LagWarning         time.Duration
	LagCritical        time.Duration
	CheckpointWarning  time.Duration
	CheckpointCritical time.Duration
}

// DefaultThresholds are the limits used where the config names none.
func DefaultThresholds() Thresholds {
	return Thresholds{
		LagWarning:         60 * time.Second,
		LagCritical:        300 * time.Second,
		CheckpointWarning:  300 * time.Second,
		CheckpointCritical: 900 * time.Second,
	}
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

// NewCollector builds the collector for t's kind.
func NewCollector(t Target, now func() time.Time) (Collector, error) {
	switch t.Kind {
	case KindSimulator:
		return NewSimulator(t.Name, now), nil
	case KindGGSCI:
		return NewGGSCICollector(t), nil
	case KindREST:
		return NewRESTCollector(t)
	default:
		return nil, fmt.Errorf("target %s: unknown kind %q", t.Name, t.Kind)
	}
}
