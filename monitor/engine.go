package monitor

import (
	"strings"
	"time"
)

// Memory is what the engine remembers of a target between checks: the
// hysteresis counters and the history rules need. It is plain data, kept by
// the store beside the alerts so that a restart changes nothing.
type Memory struct {
	Counters map[string]Counter     `json:"counters,omitempty"` // by finding key
	Status   map[string]string      `json:"status,omitempty"`   // last status, by process key
	Starting map[string]time.Time   `json:"starting,omitempty"` // STARTING since, by process key
	Abends   map[string][]time.Time `json:"abends,omitempty"`   // recent abends, by process key
	Lags     map[string][]int64     `json:"lags,omitempty"`     // last K lags, by process key
	Groups   map[string]time.Time   `json:"groups,omitempty"`   // groups seen, last seen at
	Appeared map[string]time.Time   `json:"appeared,omitempty"` // new groups, first seen at
	ErrLog   map[string]ErrLogMark  `json:"errlog,omitempty"`   // newest ERROR line, by finding key
	Failures int                    `json:"failures,omitempty"` // consecutive failed checks
	// The deeper rules' history (rules_depth.go).
	Activity map[string]ActivityMark `json:"activity,omitempty"`  // last STATS/STATUS reading, by process key
	Oldest   map[string]TxMark       `json:"oldest_tx,omitempty"` // SHOWTRANS's oldest transaction, by Extract
	LongTx   map[string]TxMark       `json:"long_tx,omitempty"`   // the newest WARNLONGTRANS line, by Extract
	// DeploymentOf maps a group or path to its deployment (Service Manager targets, rules_ma.go).
	DeploymentOf map[string]string `json:"deployment_of,omitempty"`
}

// Counter is a finding's run of consecutive breaching or clear checks.
type Counter struct {
	Breaches int `json:"breaches,omitempty"`
	Clears   int `json:"clears,omitempty"`
}

// ErrLogMark is the newest ERROR line behind an ogg_error alert.
type ErrLogMark struct {
	At      time.Time `json:"at"` // when SyncMon read it (not the host's timestamp)
	Finding Finding   `json:"finding"`
}

func (m *Memory) init() {
	if m.Counters == nil {
		m.Counters = map[string]Counter{}
	}
	if m.Status == nil {
		m.Status = map[string]string{}
	}
	if m.Starting == nil {
		m.Starting = map[string]time.Time{}
	}
	if m.Abends == nil {
		m.Abends = map[string][]time.Time{}
	}
	if m.Lags == nil {
		m.Lags = map[string][]int64{}
	}
	if m.Groups == nil {
		m.Groups = map[string]time.Time{}
	}
	if m.Appeared == nil {
		m.Appeared = map[string]time.Time{}
	}
	if m.ErrLog == nil {
		m.ErrLog = map[string]ErrLogMark{}
	}
	if m.Activity == nil {
		m.Activity = map[string]ActivityMark{}
	}
	if m.Oldest == nil {
		m.Oldest = map[string]TxMark{}
	}
	if m.LongTx == nil {
		m.LongTx = map[string]TxMark{}
	}
}

func (m *Memory) forget(processKey string) {
	delete(m.Groups, processKey)
	delete(m.Status, processKey)
	delete(m.Starting, processKey)
	delete(m.Abends, processKey)
	delete(m.Lags, processKey)
	delete(m.Appeared, processKey)
	delete(m.Activity, processKey)
	if group, ok := strings.CutPrefix(processKey, "EXTRACT "); ok {
		delete(m.Oldest, group)
		delete(m.LongTx, group)
	}
}

func (k FindingKey) String() string { return k.Program + "|" + k.Group + "|" + k.Rule }

// Silence is a maintenance window: alerts it matches are recorded and shown
// greyed, never spoken. An empty matcher field matches anything.
type Silence struct {
	ID      int64     `json:"id"`
	Target  string    `json:"target"`
	Group   string    `json:"group"`
	Rule    string    `json:"rule"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Comment string    `json:"comment"`
	Creator string    `json:"creator"`
}

// Matches reports whether the silence covers alert a at now.
func (s Silence) Matches(a Alert, now time.Time) bool {
	if now.Before(s.Start) || !now.Before(s.End) {
		return false
	}
	return (s.Target == "" || s.Target == a.Target) &&
		(s.Group == "" || strings.EqualFold(s.Group, a.Group)) &&
		(s.Rule == "" || s.Rule == a.Rule)
}

func silenced(silences []Silence, a Alert, now time.Time) bool {
	for _, s := range silences {
		if s.Matches(a, now) {
			return true
		}
	}
	return false
}

// Step judges one check of t: the rules' findings pass through hysteresis
// (OpenAfter consecutive breaches to open, ResolveAfter clear checks to
// resolve), group alerts are held while the target cannot be read or a core
// service is down, and silences mark what they cover. It returns the
// memory to keep and the transitions to record. Pure: time comes in as now.
func Step(t Target, mem Memory, obs Observation, active []Alert, silences []Silence, now time.Time) (Memory, []Transition) {
	mem.init()
	ev := Evaluate(t, obs, &mem, now)
	for key, mark := range mem.ErrLog {
		if now.Sub(mark.At) >= t.Policy.ErrLogQuiet {
			delete(mem.ErrLog, key)
			continue
		}
		ev.Findings = append(ev.Findings, mark.Finding)
	}
	raw := map[FindingKey]Finding{}
	for _, f := range ev.Findings {
		if old, ok := raw[f.Key()]; !ok || SeverityRank(f.Severity) > SeverityRank(old.Severity) {
			raw[f.Key()] = f
		}
	}
	byKey := map[FindingKey]Alert{}
	for _, a := range active {
		if !a.Test && a.Active() {
			byKey[a.Key()] = a
		}
	}
	held := func(k FindingKey) bool {
		// Group alerts keep still while nothing true can be said of them.
		return k.Group != "" && k.Rule != RuleOGGError && k.Rule != RuleServiceStatus &&
			(ev.GroupsUnknown || ev.GroupsSuppressed || ev.HeldGroups[k.Group])
	}
	keys := map[FindingKey]bool{}
	for k := range raw {
		keys[k] = true
	}
	for k := range byKey {
		keys[k] = true
	}
	for ks := range mem.Counters {
		if k, ok := parseFindingKey(ks); ok {
			keys[k] = true
		}
	}
	var kept []Finding
	for k := range keys {
		a, isActive := byKey[k]
		carry := func() {
			kept = append(kept, Finding{Rule: a.Rule, Program: a.Program, Group: a.Group, Severity: a.Severity, Message: a.Message, Speech: a.Speech})
		}
		if held(k) || ev.held.has(k) { // the latter: Unread (rules_depth.go)
			if isActive {
				carry()
			}
			continue
		}
		c := mem.Counters[k.String()]
		f, breach := raw[k]
		if breach {
			c.Breaches, c.Clears = c.Breaches+1, 0
			if isActive || c.Breaches >= t.Policy.openAfter(k.Rule) {
				kept = append(kept, f)
			}
		} else {
			c.Breaches, c.Clears = 0, c.Clears+1
			if isActive && c.Clears < t.Policy.resolveAfter(k.Rule) {
				carry()
			}
		}
		if !breach && !isActive {
			delete(mem.Counters, k.String())
		} else {
			mem.Counters[k.String()] = c
		}
	}
	sortFindings(kept)
	trs := Reconcile(t.Name, active, kept, now)
	return mem, applySilences(trs, active, silences, now)
}

// StepLog records ggserr.log entries as they arrive, between checks: each
// ERROR line opens (or escalates) its target's ogg_error alert at once, and
// each WARNLONGTRANS line its Extract's long_transaction alert.
func StepLog(t Target, mem Memory, entries []LogEntry, active []Alert, silences []Silence, now time.Time) (Memory, []Transition) {
	mem.init()
	noteLongTransactions(&mem, entries, now)
	for _, e := range entries {
		f, ok := ErrLogFinding(t, e)
		if !ok {
			continue
		}
		k := f.Key().String()
		if old, ok := mem.ErrLog[k]; ok && SeverityRank(old.Finding.Severity) > SeverityRank(f.Severity) && now.Sub(old.At) < t.Policy.ErrLogQuiet {
			f.Severity = old.Finding.Severity // a later warning does not downgrade a critical
		}
		mem.ErrLog[k] = ErrLogMark{At: now, Finding: f}
	}
	var findings []Finding
	for _, mark := range mem.ErrLog {
		findings = append(findings, mark.Finding)
	}
	var logAlerts []Alert
	byKey := map[FindingKey]Alert{}
	for _, a := range active {
		if (a.Rule == RuleOGGError || a.Rule == RuleLongTransaction) && !a.Test && a.Active() {
			logAlerts = append(logAlerts, a)
			byKey[a.Key()] = a
		}
	}
	for ext, m := range mem.LongTx {
		f, ok := logLongTxFinding(t, ext, m, &mem, now)
		if a, active := byKey[f.Key()]; !ok || active && SeverityRank(a.Severity) >= SeverityRank(f.Severity) {
			continue // a check's SHOWTRANS may know it older than the log can tell
		}
		findings = append(findings, f)
	}
	sortFindings(findings)
	// Only open and escalate here; resolving waits for the quiet period,
	// judged by Step at the next check.
	var trs []Transition
	for _, tr := range Reconcile(t.Name, logAlerts, findings, now) {
		if tr.Type != AlertResolved {
			trs = append(trs, tr)
		}
	}
	return mem, applySilences(trs, active, silences, now)
}

// Resilence returns an update for every active alert whose silence began or
// ended: the store applies it when a silence is made or ended, and now and
// then for windows that open and close by the clock. The one copy of this
// rule, shared with Step and StepLog.
func Resilence(active []Alert, silences []Silence, now time.Time) []Transition {
	return applySilences(nil, active, silences, now)
}

// applySilences marks new and changed alerts by the silences in force, and
// adds an update for every active alert whose silence began or ended.
func applySilences(trs []Transition, active []Alert, silences []Silence, now time.Time) []Transition {
	touched := map[int64]bool{}
	for i := range trs {
		a := &trs[i].Alert
		if a.ID != 0 {
			touched[a.ID] = true
		}
		if trs[i].Type != AlertResolved {
			a.Silenced = silenced(silences, *a, now)
		}
	}
	for _, a := range active {
		if touched[a.ID] || a.Test || !a.Active() {
			continue
		}
		if s := silenced(silences, a, now); s != a.Silenced {
			a.Silenced, a.UpdatedAt = s, now
			trs = append(trs, Transition{Type: AlertUpdated, Alert: a})
		}
	}
	return trs
}

func parseFindingKey(s string) (FindingKey, bool) {
	parts := strings.SplitN(s, "|", 3)
	if len(parts) != 3 {
		return FindingKey{}, false
	}
	return FindingKey{Program: parts[0], Group: parts[1], Rule: parts[2]}, true
}

// Findings returns what the rules find in one observation, without history
// or hysteresis: what `syncmon check --once` reports.
func Findings(t Target, obs Observation, now time.Time) []Finding {
	var mem Memory
	return Evaluate(t, obs, &mem, now).Findings
}
