package monitor

import (
	"errors"
	"time"
)

// Rule names, as they appear in alerts and findings.
const (
	RuleProcessStatus = "process_status"
	RuleLag           = "lag"
	RuleCheckpointAge = "checkpoint_age"
	RuleUnreachable   = "target_unreachable"
	RuleCredentials   = "credentials_refused"
	RuleParserBlind   = "parser_blind"
	RuleTest          = "test"
)

// Evaluate applies the rules to one observation and returns what they found.
// It is pure: no clock, no I/O.
func Evaluate(obs Observation, th Thresholds) []Finding {
	if obs.Err != nil {
		return []Finding{targetFinding(obs.Target, obs.Err)}
	}
	var out []Finding
	for _, p := range obs.Processes {
		if f, ok := statusFinding(obs.Target, p); ok {
			out = append(out, f)
		}
		if f, ok := lagFinding(obs.Target, p, th); ok {
			out = append(out, f)
		}
		if f, ok := checkpointFinding(obs.Target, p, th); ok {
			out = append(out, f)
		}
	}
	return out
}

func targetFinding(target string, err error) Finding {
	f := Finding{Rule: RuleUnreachable, Severity: SeverityCritical}
	switch {
	case errors.Is(err, ErrCredentials):
		f.Rule = RuleCredentials
	case errors.Is(err, ErrUnreadable):
		f.Rule = RuleParserBlind
		f.Severity = SeverityWarning
	}
	f.Message, f.Speech = targetText(target, f.Rule, err)
	return f
}

func statusFinding(target string, p Process) (Finding, bool) {
	var sev string
	switch p.Status {
	case StatusAbended, StatusKilled:
		sev = SeverityCritical
	case StatusStopped:
		sev = SeverityWarning
	default:
		return Finding{}, false
	}
	f := Finding{Rule: RuleProcessStatus, Program: p.Program, Group: p.Group, Severity: sev}
	f.Message, f.Speech = statusText(target, p)
	return f, true
}

func lagFinding(target string, p Process, th Thresholds) (Finding, bool) {
	if p.LagSeconds == nil || p.Status != StatusRunning {
		return Finding{}, false
	}
	sev := overThreshold(*p.LagSeconds, th.LagWarning, th.LagCritical)
	if sev == SeverityOK {
		return Finding{}, false
	}
	f := Finding{Rule: RuleLag, Program: p.Program, Group: p.Group, Severity: sev}
	f.Message, f.Speech = lagText(target, p, sev)
	return f, true
}

func checkpointFinding(target string, p Process, th Thresholds) (Finding, bool) {
	if p.CheckpointAgeSeconds == nil || p.Status != StatusRunning {
		return Finding{}, false
	}
	sev := overThreshold(*p.CheckpointAgeSeconds, th.CheckpointWarning, th.CheckpointCritical)
	if sev == SeverityOK {
		return Finding{}, false
	}
	f := Finding{Rule: RuleCheckpointAge, Program: p.Program, Group: p.Group, Severity: sev}
	f.Message, f.Speech = checkpointText(target, p, sev)
	return f, true
}

func overThreshold(seconds int64, warning, critical time.Duration) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case critical > 0 && d >= critical:
		return SeverityCritical
	case warning > 0 && d >= warning:
		return SeverityWarning
	}
	return SeverityOK
}

// WorstSeverity returns the most urgent severity among findings (ok when none).
func WorstSeverity(findings []Finding) string {
	worst := SeverityOK
	for _, f := range findings {
		if SeverityRank(f.Severity) > SeverityRank(worst) {
			worst = f.Severity
		}
	}
	return worst
}
