package monitor

import "time"

// Severities, from least to most urgent.
const (
	SeverityOK       = "ok"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// SeverityRank orders severities: ok < warning < critical.
func SeverityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// Alert states.
const (
	StateOpen     = "open"
	StateAcked    = "acked"
	StateResolved = "resolved"
)

// Speech is an alert's short spoken sentence in each language.
type Speech struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

// Alert is one alert in its lifecycle: open → (acked) → resolved.
type Alert struct {
	ID         int64      `json:"id"`
	Target     string     `json:"target"`
	Program    string     `json:"program"`
	Group      string     `json:"group"`
	Rule       string     `json:"rule"`
	Severity   string     `json:"severity"`
	State      string     `json:"state"`
	Message    string     `json:"message"`
	Speech     Speech     `json:"speech"`
	OpenedAt   time.Time  `json:"opened_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	AckedBy    *string    `json:"acked_by"`
	AckedAt    *time.Time `json:"acked_at"`
	Comment    *string    `json:"comment"`
	ResolvedAt *time.Time `json:"resolved_at"`
	Test       bool       `json:"test"`
	Silenced   bool       `json:"silenced"` // inside a maintenance window: shown greyed, never spoken
}

// Active reports whether the alert is open or acknowledged (not resolved).
func (a Alert) Active() bool { return a.State == StateOpen || a.State == StateAcked }

// Key is what makes an alert unique while it is active.
func (a Alert) Key() FindingKey {
	return FindingKey{Program: a.Program, Group: a.Group, Rule: a.Rule}
}

// Finding is one condition a rule found in an observation.
type Finding struct {
	Rule     string `json:"rule"`
	Program  string `json:"program"`
	Group    string `json:"group"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Speech   Speech `json:"speech"`
}

// FindingKey identifies a condition within a target.
type FindingKey struct {
	Program, Group, Rule string
}

// Key returns the finding's identity within its target.
func (f Finding) Key() FindingKey {
	return FindingKey{Program: f.Program, Group: f.Group, Rule: f.Rule}
}

// Transition types, as they appear on the wire.
const (
	AlertOpened   = "alert.opened"
	AlertUpdated  = "alert.updated"
	AlertAcked    = "alert.acked"
	AlertUnacked  = "alert.unacked"
	AlertResolved = "alert.resolved"
)

// Transition is one change to an alert that must be recorded and announced.
// For AlertOpened the Alert has no ID yet; the store assigns it.
type Transition struct {
	Type  string
	Alert Alert
}

// Reconcile compares a target's active alerts with what its rules found now
// and returns the transitions: a new finding opens an alert, a changed
// severity updates it (an escalation re-opens an acknowledged alert),
// and an active alert whose condition is gone resolves. Test alerts are left
// alone. It is pure: the caller records the transitions.
func Reconcile(target string, active []Alert, findings []Finding, now time.Time) []Transition {
	var out []Transition
	current := make(map[FindingKey]Finding, len(findings))
	for _, f := range findings {
		if old, dup := current[f.Key()]; dup && SeverityRank(old.Severity) >= SeverityRank(f.Severity) {
			continue
		}
		current[f.Key()] = f
	}
	seen := make(map[FindingKey]bool, len(active))
	for _, a := range active {
		if a.Test || !a.Active() {
			continue
		}
		seen[a.Key()] = true
		f, ok := current[a.Key()]
		if !ok {
			a.State = StateResolved
			a.UpdatedAt = now
			a.ResolvedAt = &now
			out = append(out, Transition{Type: AlertResolved, Alert: a})
			continue
		}
		if f.Severity == a.Severity {
			continue // same condition; a changing lag figure is not news
		}
		if SeverityRank(f.Severity) > SeverityRank(a.Severity) && a.State == StateAcked {
			a.State, a.AckedBy, a.AckedAt, a.Comment = StateOpen, nil, nil, nil
		}
		a.Severity, a.Message, a.Speech, a.UpdatedAt = f.Severity, f.Message, f.Speech, now
		out = append(out, Transition{Type: AlertUpdated, Alert: a})
	}
	for _, f := range findings {
		if seen[f.Key()] || current[f.Key()] != f {
			continue
		}
		seen[f.Key()] = true
		out = append(out, Transition{Type: AlertOpened, Alert: Alert{
			Target: target, Program: f.Program, Group: f.Group, Rule: f.Rule,
			Severity: f.Severity, State: StateOpen, Message: f.Message, Speech: f.Speech,
			OpenedAt: now, UpdatedAt: now,
		}})
	}
	return out
}
