package monitor

import (
	"slices"
	"strings"
	"time"
)

// The rules of the deeper sources (issue 15): what SHOWTRANS, SHOWCH,
// STATS/SEND STATUS and the heartbeat table tell. The REST collector fills
// the same Observation fields, so these rules serve it too.

// Rule names of the deeper sources.
const (
	RuleLongTransaction = "long_transaction"
	RuleRecoveryAge     = "recovery_age"
	RuleStalled         = "stalled"
	RuleDiscards        = "discards"
	RuleHeartbeatLag    = "heartbeat_lag"
	RuleHeartbeatStale  = "heartbeat_stale"
)

// What Target.Collect may name: the GGSCI commands run after INFO ALL in
// the same session.
const (
	CollectShowTrans = "showtrans" // SEND EXTRACT x, SHOWTRANS per running Extract
	CollectShowCh    = "showch"    // INFO EXTRACT x, SHOWCH per running Extract
	CollectStats     = "stats"     // STATS … TOTALSONLY * and SEND … STATUS per running group
)

// CollectAll is every command Collect may name: the default.
var CollectAll = []string{CollectShowTrans, CollectShowCh, CollectStats}

// Sources an Unread names, one per Observation field.
const (
	SourceTransactions = "transactions"
	SourceRecovery     = "recovery"
	SourceActivity     = "activity"
	SourceHeartbeats   = "heartbeats"
)

// Unread is one thing a check asked for and could not read: a group-level
// command that failed ("EXTRACT EXT9 not currently running."), or a whole
// source (Group "": the heartbeat query failed).
type Unread struct {
	Source  string `json:"source"` // SourceTransactions …
	Program string `json:"program,omitempty"`
	Group   string `json:"group,omitempty"`
	Error   string `json:"error"`
}

// DepthThresholds are the limits of the deeper rules. Zero disables a limit;
// a rule with every limit zero is off, and its command is not run.
type DepthThresholds struct {
	TransactionAgeWarning  time.Duration // oldest open transaction of an Extract
	TransactionAgeCritical time.Duration
	RecoveryAgeWarning     time.Duration // age of an Extract's recovery checkpoint
	RecoveryAgeCritical    time.Duration
	HeartbeatLagWarning    time.Duration // GG_LAG lag
	HeartbeatLagCritical   time.Duration
	HeartbeatAgeWarning    time.Duration // time since the last heartbeat arrived
	HeartbeatAgeCritical   time.Duration
	// StalledChecks is N: a running group that moved nothing for N checks
	// while its lag or checkpoint age grew is stalled (critical at 2N).
	StalledChecks int
	// DiscardsWarning and DiscardsCritical are discards per check.
	DiscardsWarning  int64
	DiscardsCritical int64
}

// DefaultDepthThresholds are the deeper rules' limits where the config names
// none: the one place their defaults live.
func DefaultDepthThresholds() DepthThresholds {
	return DepthThresholds{
		TransactionAgeWarning: time.Hour, TransactionAgeCritical: 4 * time.Hour,
		RecoveryAgeWarning: 4 * time.Hour, RecoveryAgeCritical: 12 * time.Hour,
		HeartbeatLagWarning: 60 * time.Second, HeartbeatLagCritical: 300 * time.Second,
		HeartbeatAgeWarning: 180 * time.Second, HeartbeatAgeCritical: 600 * time.Second,
		StalledChecks:   3,
		DiscardsWarning: 1, DiscardsCritical: 1000,
	}
}

// depthResolveAfter is how many clear checks resolve the deeper rules'
// alerts where the config's resolve_after names none (DefaultResolveAfter
// for rules not listed): discards come in bursts, so their alert stays up
// between them.
var depthResolveAfter = map[string]int{RuleDiscards: 30}

// WarnLongTransAge is how old a transaction is known to be when a
// WARNLONGTRANS line names it: OGG's default WARNLONGTRANS threshold.
const WarnLongTransAge = time.Hour

// Wants reports whether a check of t should run the command what: the
// config's collect list names it (nil names all) and a rule it feeds is on,
// for the target or any group.
func (t Target) Wants(what string) bool {
	if t.Collect != nil && !slices.Contains(t.Collect, what) {
		return false
	}
	on := func(th Thresholds) bool {
		switch what {
		case CollectShowTrans:
			return th.TransactionAgeWarning > 0 || th.TransactionAgeCritical > 0
		case CollectShowCh:
			return th.RecoveryAgeWarning > 0 || th.RecoveryAgeCritical > 0
		case CollectStats:
			return th.StalledChecks > 0 || th.DiscardsWarning > 0 || th.DiscardsCritical > 0
		}
		return false
	}
	if on(t.Thresholds) {
		return true
	}
	for _, th := range t.Groups {
		if on(th) {
			return true
		}
	}
	return false
}

// ActivityMark is what the stalled and discards rules remember of a group.
type ActivityMark struct {
	Last  Activity `json:"last"`
	Still int      `json:"still,omitempty"` // consecutive checks without movement
	// BaseLag and BaseCkpt are the lag and checkpoint age when it stopped moving.
	BaseLag  *int64 `json:"base_lag,omitempty"`
	BaseCkpt *int64 `json:"base_ckpt,omitempty"`
}

// TxMark is a transaction seen at a time: SHOWTRANS's oldest, or the one a
// WARNLONGTRANS line named (FirstAt: when that XID was first named).
type TxMark struct {
	Tx      Transaction `json:"tx"`
	At      time.Time   `json:"at"`
	FirstAt time.Time   `json:"first_at"`
}

// heldKeys is what Unread keeps as it is.
type heldKeys struct {
	keys  map[FindingKey]bool
	rules map[string]bool
}

func (h heldKeys) has(k FindingKey) bool { return h.rules[k.Rule] || h.keys[k] }

var sourceRules = map[string][]string{
	SourceTransactions: {RuleLongTransaction},
	SourceRecovery:     {RuleRecoveryAge},
	SourceActivity:     {RuleStalled, RuleDiscards},
	SourceHeartbeats:   {RuleHeartbeatLag, RuleHeartbeatStale},
}

func unreadHeld(us []Unread) heldKeys {
	h := heldKeys{keys: map[FindingKey]bool{}, rules: map[string]bool{}}
	for _, u := range us {
		for _, r := range sourceRules[u.Source] {
			if u.Group == "" {
				h.rules[r] = true
			} else {
				h.keys[FindingKey{Program: u.Program, Group: u.Group, Rule: r}] = true
			}
		}
	}
	return h
}

// depthFindings applies the deeper rules to one observation.
func depthFindings(t Target, obs Observation, mem *Memory, now time.Time) []Finding {
	held := unreadHeld(obs.Unread)
	var out []Finding
	out = append(out, transactionFindings(t, obs, held, mem, now)...)
	for _, r := range oldestPerProcess(obs.Recovery) {
		th := t.ThresholdsFor(r.Process)
		if sev := overThreshold(r.AgeSeconds, th.RecoveryAgeWarning, th.RecoveryAgeCritical); sev != SeverityOK {
			f := Finding{Rule: RuleRecoveryAge, Program: "EXTRACT", Group: r.Process, Severity: sev}
			f.Message, f.Speech = recoveryText(t.Name, r, sev)
			out = append(out, f)
		}
	}
	out = append(out, activityFindings(t, obs, held, mem)...)
	for _, hb := range obs.Heartbeats {
		group := heartbeatGroup(hb)
		th := t.Thresholds
		if sev := overThreshold(int64(hb.LagSeconds), th.HeartbeatLagWarning, th.HeartbeatLagCritical); sev != SeverityOK {
			f := Finding{Rule: RuleHeartbeatLag, Program: ProgramHeartbeat, Group: group, Severity: sev}
			f.Message, f.Speech = heartbeatLagText(t.Name, hb, sev)
			out = append(out, f)
		}
		if sev := overThreshold(int64(hb.AgeSeconds), th.HeartbeatAgeWarning, th.HeartbeatAgeCritical); sev != SeverityOK {
			f := Finding{Rule: RuleHeartbeatStale, Program: ProgramHeartbeat, Group: group, Severity: sev}
			f.Message, f.Speech = heartbeatStaleText(t.Name, hb, sev)
			out = append(out, f)
		}
	}
	return out
}

// ProgramHeartbeat is the program of heartbeat findings; their group names the path.
const ProgramHeartbeat = "HEARTBEAT"

// heartbeatGroup names a heartbeat path for its alert: "ORCL>PDBWEST EXT1 ==> REP1".
func heartbeatGroup(hb Heartbeat) string {
	g := hb.From + ">" + hb.To
	if hb.Path != "" {
		g += " " + hb.Path
	}
	if hb.Deployment != "" {
		g = hb.Deployment + ":" + g
	}
	return strings.ToUpper(g)
}

// transactionFindings: one long_transaction finding per Extract, naming its
// oldest transaction, from SHOWTRANS and from recent WARNLONGTRANS lines.
func transactionFindings(t Target, obs Observation, held heldKeys, mem *Memory, now time.Time) []Finding {
	oldest := map[string]Transaction{}
	for _, tx := range obs.Transactions {
		if tx.AgeSeconds == nil {
			continue
		}
		if o, ok := oldest[tx.Process]; !ok || *tx.AgeSeconds > *o.AgeSeconds {
			oldest[tx.Process] = tx
		}
	}
	if obs.Transactions != nil {
		// Extracts that were asked (running, not unread) and are not in the list have none open.
		for _, p := range obs.Processes {
			k := FindingKey{Program: p.Program, Group: p.Group, Rule: RuleLongTransaction}
			if p.Program != "EXTRACT" || p.Status != StatusRunning || held.has(k) {
				continue
			}
			if _, open := oldest[p.Group]; !open {
				delete(mem.Oldest, p.Group)
			}
			if m, ok := mem.LongTx[p.Group]; ok && !txOpen(obs.Transactions, p.Group, m.Tx.XID) {
				delete(mem.LongTx, p.Group) // SHOWTRANS no longer lists what the log named
			}
		}
	}
	var out []Finding
	for ext, tx := range oldest {
		mem.Oldest[ext] = TxMark{Tx: tx, At: now}
		th := t.ThresholdsFor(ext)
		if sev := overThreshold(*tx.AgeSeconds, th.TransactionAgeWarning, th.TransactionAgeCritical); sev != SeverityOK {
			out = append(out, longTxFinding(t.Name, ext, tx, *tx.AgeSeconds, sev, false))
		}
	}
	for ext, m := range mem.LongTx {
		if now.Sub(m.At) >= t.Policy.ErrLogQuiet {
			delete(mem.LongTx, ext)
			continue
		}
		if f, ok := logLongTxFinding(t, ext, m, mem, now); ok {
			out = append(out, f)
		}
	}
	return out
}

func txOpen(txs []Transaction, ext, xid string) bool {
	for _, tx := range txs {
		if tx.Process == ext && tx.XID == xid {
			return true
		}
	}
	return false
}

// logLongTxFinding judges a transaction a WARNLONGTRANS line named. The line
// gives no start: the transaction is at least WarnLongTransAge old when
// first named, or as old as SHOWTRANS said when it listed the same XID.
func logLongTxFinding(t Target, ext string, m TxMark, mem *Memory, now time.Time) (Finding, bool) {
	age := int64((WarnLongTransAge + now.Sub(m.FirstAt)) / time.Second)
	if o, ok := mem.Oldest[ext]; ok && o.Tx.XID == m.Tx.XID && o.Tx.AgeSeconds != nil {
		age = max(age, *o.Tx.AgeSeconds+int64(now.Sub(o.At)/time.Second))
	}
	th := t.ThresholdsFor(ext)
	sev := overThreshold(age, th.TransactionAgeWarning, th.TransactionAgeCritical)
	if sev == SeverityOK {
		return Finding{}, false
	}
	return longTxFinding(t.Name, ext, m.Tx, age, sev, true), true
}

func longTxFinding(target, ext string, tx Transaction, age int64, sev string, fromLog bool) Finding {
	f := Finding{Rule: RuleLongTransaction, Program: "EXTRACT", Group: ext, Severity: sev}
	f.Message, f.Speech = longTxText(target, ext, tx, age, sev, fromLog)
	return f
}

// noteLongTransactions records the WARNLONGTRANS lines among entries.
func noteLongTransactions(mem *Memory, entries []LogEntry, now time.Time) {
	for _, e := range entries {
		tx := e.LongTransaction
		if tx == nil || tx.XID == "" {
			continue
		}
		ext := tx.Process
		if ext == "" {
			ext = e.Group
		}
		if ext == "" {
			continue
		}
		m, ok := mem.LongTx[ext]
		if !ok || m.Tx.XID != tx.XID {
			m.FirstAt = now
		}
		m.Tx, m.At = *tx, now
		m.Tx.Process = ext
		mem.LongTx[ext] = m
	}
}

// oldestPerProcess keeps each process's oldest recovery checkpoint.
func oldestPerProcess(rs []Recovery) []Recovery {
	by := map[string][]Recovery{}
	var order []string
	for _, r := range rs {
		if _, ok := by[r.Process]; !ok {
			order = append(order, r.Process)
		}
		by[r.Process] = append(by[r.Process], r)
	}
	out := make([]Recovery, 0, len(order))
	for _, p := range order {
		o, _ := OldestRecovery(by[p])
		out = append(out, o)
	}
	return out
}

// activityFindings compares each group's activity with the previous check's.
func activityFindings(t Target, obs Observation, held heldKeys, mem *Memory) []Finding {
	procs := map[string]Process{}
	for _, p := range obs.Processes {
		procs[p.Key()] = p
	}
	seen := map[string]bool{}
	var out []Finding
	for _, a := range obs.Activity {
		key := Process{Program: a.Program, Group: a.Group}.Key()
		seen[key] = true
		p := procs[key]
		th := t.ThresholdsFor(a.Group)
		m, ok := mem.Activity[key]
		if !ok || p.Status != StatusRunning {
			mem.Activity[key] = ActivityMark{Last: a}
			continue
		}
		d := DiffActivity(m.Last, a)
		if d.Discards != nil && *d.Discards > 0 {
			sev := SeverityOK
			switch {
			case th.DiscardsCritical > 0 && *d.Discards >= th.DiscardsCritical:
				sev = SeverityCritical
			case th.DiscardsWarning > 0 && *d.Discards >= th.DiscardsWarning:
				sev = SeverityWarning
			}
			if sev != SeverityOK {
				f := Finding{Rule: RuleDiscards, Program: a.Program, Group: a.Group, Severity: sev}
				f.Message, f.Speech = discardsText(t.Name, p, *d.Discards, a.Discards, sev)
				out = append(out, f)
			}
		}
		known := d.Operations != nil || (m.Last.Position != "" && a.Position != "")
		still := known && !d.Reset && !d.Moved && (d.Operations == nil || *d.Operations == 0)
		next := ActivityMark{Last: a}
		if still {
			next.Still, next.BaseLag, next.BaseCkpt = m.Still+1, m.BaseLag, m.BaseCkpt
			if m.Still == 0 {
				next.BaseLag, next.BaseCkpt = p.LagSeconds, p.CheckpointAgeSeconds
			}
		}
		mem.Activity[key] = next
		n := th.StalledChecks
		if n <= 0 || next.Still < n || !grew(next.BaseLag, p.LagSeconds) && !grew(next.BaseCkpt, p.CheckpointAgeSeconds) {
			continue
		}
		sev := SeverityWarning
		if next.Still >= 2*n {
			sev = SeverityCritical
		}
		f := Finding{Rule: RuleStalled, Program: a.Program, Group: a.Group, Severity: sev}
		f.Message, f.Speech = stalledText(t.Name, p, next.Still, sev)
		out = append(out, f)
	}
	if obs.Activity != nil {
		for key := range mem.Activity {
			program, group, _ := strings.Cut(key, " ")
			if !seen[key] && !held.has(FindingKey{Program: program, Group: group, Rule: RuleStalled}) {
				delete(mem.Activity, key)
			}
		}
	}
	return out
}

func grew(base, cur *int64) bool { return base != nil && cur != nil && *cur > *base }
