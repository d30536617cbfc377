package monitor

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Rule names, as they appear in alerts and findings.
const (
	RuleUnreachable   = "target_unreachable"
	RuleCredentials   = "credentials_refused"
	RuleParserBlind   = "parser_blind"
	RuleManagerDown   = "manager_down"
	RuleProcessStatus = "process_status"
	RuleStarting      = "process_starting"
	RuleLag           = "lag"
	RuleCheckpointAge = "checkpoint_age"
	RuleLagGrowing    = "lag_growing"
	RuleFlapping      = "abend_flapping"
	RuleGroupGone     = "group_disappeared"
	RuleGroupNew      = "group_appeared"
	RuleOGGError      = "ogg_error"
	RuleTest          = "test"
)

// coreProgram: the deployment's own services. When one is down the group
// alerts of that deployment are suppressed: they would only repeat it.
func coreProgram(program string) bool {
	switch program {
	case "MANAGER", "ADMINSRVR", "DISTSRVR", "RECVSRVR":
		return true
	}
	return false
}

// Evaluation is what the rules found in one observation.
type Evaluation struct {
	// held: alerts of what the observation could not read (Unread).
	held heldKeys

	Findings []Finding
	// GroupsUnknown: the check failed, so nothing is known of the groups;
	// their alerts stay as they are.
	GroupsUnknown bool
	// GroupsSuppressed: a core service is down; group alerts neither open
	// nor resolve while it lasts.
	GroupsSuppressed bool
	// HeldGroups: groups and paths of a deployment whose core service is
	// down (Service Manager targets); held like GroupsSuppressed, for
	// that deployment alone.
	HeldGroups map[string]bool
}

// Evaluate applies the rules to one observation. mem carries what earlier
// checks saw (abends, lags, groups); Evaluate updates it. It is pure: time
// comes in as now. With a fresh Memory the history rules stay silent.
func Evaluate(t Target, obs Observation, mem *Memory, now time.Time) Evaluation {
	mem.init()
	if obs.Err != nil {
		mem.Failures++
		return Evaluation{Findings: []Finding{targetFinding(t.Name, obs.Err)}, GroupsUnknown: true}
	}
	mem.Failures = 0
	var ev Evaluation
	expected := map[string]bool{}
	for _, g := range t.Policy.ExpectedStopped {
		expected[strings.ToUpper(g)] = true
	}
	seen := map[string]bool{}
	firstCheck := len(mem.Groups) == 0
	for _, p := range obs.Processes {
		if maService(p) {
			// Judged by service_status (rules_ma.go); a deployment that goes
			// away is a target.status event, not a "group" disappearing.
			continue
		}
		key := p.Key()
		seen[key] = true
		th := t.ThresholdsFor(p.Group)
		prev := mem.Status[key]
		mem.Status[key] = p.Status
		if p.Group != "" {
			if _, known := mem.Groups[key]; !known && !firstCheck {
				mem.Appeared[key] = now
			}
			mem.Groups[key] = now
		}
		if coreProgram(p.Program) {
			if p.Status != StatusRunning {
				ev.GroupsSuppressed = true
				f := Finding{Rule: RuleManagerDown, Program: p.Program, Severity: SeverityCritical}
				f.Message, f.Speech = statusText(t.Name, p)
				ev.Findings = append(ev.Findings, f)
			}
			continue
		}
		if p.Group == "" {
			continue // JAGENT, PMSRVR: monitoring agents, not replication
		}
		ev.Findings = append(ev.Findings, groupFindings(t, p, th, prev, expected[p.Group], mem, now)...)
	}
	maF, held := maFindings(t, obs, mem)
	ev.Findings = append(ev.Findings, maF...)
	ev.HeldGroups = held
	for key, at := range mem.Groups {
		if seen[key] {
			continue
		}
		if now.Sub(at) >= t.Policy.GroupGoneAfter && t.Policy.GroupGoneAfter > 0 {
			mem.forget(key)
			continue
		}
		program, group, _ := strings.Cut(key, " ")
		f := Finding{Rule: RuleGroupGone, Program: program, Group: group, Severity: SeverityWarning}
		f.Message, f.Speech = goneText(t.Name, Process{Program: program, Group: group})
		ev.Findings = append(ev.Findings, f)
	}
	for key, at := range mem.Appeared {
		if now.Sub(at) >= t.Policy.AppearedHold || !seen[key] {
			delete(mem.Appeared, key)
			continue
		}
		program, group, _ := strings.Cut(key, " ")
		f := Finding{Rule: RuleGroupNew, Program: program, Group: group, Severity: SeverityWarning}
		f.Message, f.Speech = newGroupText(t.Name, Process{Program: program, Group: group})
		ev.Findings = append(ev.Findings, f)
	}
	ev.Findings = append(ev.Findings, depthFindings(t, obs, mem, now)...) // rules_depth.go
	ev.held = unreadHeld(obs.Unread)
	sortFindings(ev.Findings)
	return ev
}

// groupFindings applies the per-group rules to one EXTRACT or REPLICAT.
func groupFindings(t Target, p Process, th Thresholds, prev string, expectedStopped bool, mem *Memory, now time.Time) []Finding {
	var out []Finding
	key := p.Key()
	add := func(rule, sev string, text func() (string, Speech)) {
		f := Finding{Rule: rule, Program: p.Program, Group: p.Group, Severity: sev}
		f.Message, f.Speech = text()
		out = append(out, f)
	}
	switch p.Status {
	case StatusAbended, StatusKilled:
		add(RuleProcessStatus, SeverityCritical, func() (string, Speech) { return statusText(t.Name, p) })
	case StatusStopped:
		if !expectedStopped {
			add(RuleProcessStatus, SeverityWarning, func() (string, Speech) { return statusText(t.Name, p) })
		}
	}

	// Abends within the flap window: AUTORESTART may be hiding a fault.
	if p.Status == StatusAbended && prev != "" && prev != StatusAbended {
		mem.Abends[key] = append(mem.Abends[key], now)
	}
	var recent []time.Time
	for _, at := range mem.Abends[key] {
		if now.Sub(at) < t.Policy.FlapWindow {
			recent = append(recent, at)
		}
	}
	mem.Abends[key] = recent
	if len(recent) == 0 {
		delete(mem.Abends, key)
	}
	if t.Policy.FlapAbends > 0 && len(recent) >= t.Policy.FlapAbends {
		add(RuleFlapping, SeverityCritical, func() (string, Speech) { return flappingText(t.Name, p, len(recent)) })
	}

	if p.Status == StatusStarting {
		if _, ok := mem.Starting[key]; !ok {
			mem.Starting[key] = now
		}
		if since := now.Sub(mem.Starting[key]); th.StartingLimit > 0 && since >= th.StartingLimit {
			add(RuleStarting, SeverityWarning, func() (string, Speech) { return startingText(t.Name, p, since) })
		}
	} else {
		delete(mem.Starting, key)
	}

	if p.Status != StatusRunning {
		delete(mem.Lags, key)
		return out
	}
	if p.LagSeconds != nil {
		if sev := overThreshold(*p.LagSeconds, th.LagWarning, th.LagCritical); sev != SeverityOK {
			add(RuleLag, sev, func() (string, Speech) { return lagText(t.Name, p, sev) })
		}
		if k := th.LagGrowingChecks; k > 1 {
			lags := append(mem.Lags[key], *p.LagSeconds)
			if len(lags) > k {
				lags = lags[len(lags)-k:]
			}
			mem.Lags[key] = lags
			if growing(lags, k) && *p.LagSeconds < int64(th.LagWarning/time.Second) {
				add(RuleLagGrowing, SeverityWarning, func() (string, Speech) { return growingText(t.Name, p, k) })
			}
		}
	}
	if p.CheckpointAgeSeconds != nil {
		if sev := overThreshold(*p.CheckpointAgeSeconds, th.CheckpointWarning, th.CheckpointCritical); sev != SeverityOK {
			add(RuleCheckpointAge, sev, func() (string, Speech) { return checkpointText(t.Name, p, sev) })
		}
	}
	return out
}

// growing: k samples, each above the one before, rising by at least k seconds in all.
func growing(lags []int64, k int) bool {
	if len(lags) < k {
		return false
	}
	for i := 1; i < len(lags); i++ {
		if lags[i] <= lags[i-1] {
			return false
		}
	}
	return lags[len(lags)-1]-lags[0] >= int64(k)
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

// ErrLogFinding turns one ggserr.log entry into a finding: ERROR lines only,
// critical for the policy's codes, a warning otherwise.
func ErrLogFinding(t Target, e LogEntry) (Finding, bool) {
	m := e.Meaning
	if e.Severity != "ERROR" && (m == nil || m.Severity != SeverityCritical) {
		return Finding{}, false
	}
	sev := SeverityWarning
	if s, ok := t.Policy.ErrorCodes[e.Code]; ok {
		sev = s
	}
	if m != nil && SeverityRank(m.Severity) > SeverityRank(sev) {
		sev = m.Severity
	}
	f := Finding{Rule: RuleOGGError, Group: e.Group, Severity: sev}
	f.Message, f.Speech = errLogText(t.Name, e)
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

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Program != b.Program {
			return a.Program < b.Program
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Rule < b.Rule
	})
}
