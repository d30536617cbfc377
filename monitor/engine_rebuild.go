package monitor

import "time"

// Rebuild returns the engine's memory of target t as a node that did not
// run its checks can know it from its read model (cluster mode: a new
// writer, whose own memory is empty or from an older tenure): the last
// process table recorded (procs, observed at at) and the target's active
// alerts. It starts from mem, what the node last kept itself, and replaces
// what the read model says better:
//   - the last status of each process and the groups seen, so that no
//     process counts as changed (an abend) or as new (a group appeared)
//     merely because another node checked it;
//   - the hysteresis counters: an active alert counts as breached for as
//     long as it takes to open, so a condition that continues keeps its
//     alert (no second alert.opened) and one that cleared resolves it
//     after ResolveAfter clear checks; a breach not yet opened is counted
//     again from zero;
//   - the ggserr.log mark behind an active ogg_error alert, so that it
//     stays open until the log has been quiet for ErrLogQuiet.
//
// The rest (abend times, lag history, depth readings) stays as it was:
// with none, the history rules stay silent until they have seen enough.
// Pure: procs nil means the read model holds no process table.
func Rebuild(t Target, mem Memory, procs []Process, at time.Time, active []Alert) Memory {
	mem.init()
	if procs != nil {
		mem.Status, mem.Groups = map[string]string{}, map[string]time.Time{}
		for _, p := range procs {
			if maService(p) {
				continue
			}
			key := p.Key()
			mem.Status[key] = p.Status
			if p.Group != "" {
				mem.Groups[key] = at
			}
			if p.Status != StatusStarting {
				delete(mem.Starting, key)
			} else if _, ok := mem.Starting[key]; !ok {
				mem.Starting[key] = at
			}
		}
		for key := range mem.Appeared {
			if _, ok := mem.Groups[key]; !ok {
				delete(mem.Appeared, key)
			}
		}
	}
	mem.Counters = map[string]Counter{}
	for _, a := range active {
		if a.Test || !a.Active() {
			continue
		}
		mem.Counters[a.Key().String()] = Counter{Breaches: t.Policy.openAfter(a.Rule)}
		if a.Rule == RuleOGGError {
			k := a.Key().String()
			if _, ok := mem.ErrLog[k]; !ok {
				mem.ErrLog[k] = ErrLogMark{At: a.UpdatedAt, Finding: Finding{Rule: a.Rule, Program: a.Program, Group: a.Group,
					Severity: a.Severity, Message: a.Message, Speech: a.Speech}}
			}
		}
	}
	return mem
}
