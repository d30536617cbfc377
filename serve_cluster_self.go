package main

import (
	"context"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// The self-monitor in a cluster (monitor.SelfWatch: syncmon/store, checks,
// notify, clock) runs on every node. On the writer its findings go through
// the log like any check, so every node's screens show them. A node that
// is not the writer cannot append: its own trouble (its store cannot
// write, its clock jumped) is told to its own screens with store.Announce,
// like the quorum alert, repeated at every look so that screens that
// connect later get it too, and resolved when it is over.

// clusterSelf is the self-monitor's recorder on a cluster node.
type clusterSelf struct {
	r    *clusterRun
	told map[string]monitor.Alert // announced and not resolved, by component
}

var _ monitor.SelfRecorder = (*clusterSelf)(nil)

// selfIDs are the announced alerts' ids: negative (in no log), one per
// component, apart from the quorum alert's -1.
var selfIDs = map[string]int64{monitor.ComponentStore: -2, monitor.ComponentCheck: -3, monitor.ComponentNote: -4, monitor.ComponentClock: -5}

// RecordSelf records on the writer, announces elsewhere.
func (s *clusterSelf) RecordSelf(ctx context.Context, findings []monitor.Finding) error {
	if s.r.appending.Load() {
		s.announce(nil) // now in the log: what was only announced is over
		return s.r.st.RecordSelf(ctx, findings)
	}
	s.announce(findings)
	return nil
}

// announce tells this node's screens its findings: each one opened (again),
// and each one told before and found no more resolved.
func (s *clusterSelf) announce(findings []monitor.Finding) {
	now := time.Now().UTC()
	found := map[string]bool{}
	for _, f := range findings {
		found[f.Group] = true
		a, ok := s.told[f.Group]
		if !ok {
			id := selfIDs[f.Group]
			if id == 0 {
				id = -9
			}
			a = monitor.Alert{ID: id, Target: store.TargetSelf, Program: store.ProgramSelf, Group: f.Group, Rule: store.RuleSelf,
				State: monitor.StateOpen, OpenedAt: now}
		}
		a.Severity, a.Speech, a.UpdatedAt = f.Severity, f.Speech, now
		a.Message = "SyncMon node " + s.r.node.Name() + ": " + f.Message
		s.told[f.Group] = a
		s.r.st.Announce(store.Event{Type: monitor.AlertOpened, At: now, Alert: &a})
	}
	for g, a := range s.told {
		if found[g] {
			continue
		}
		a.State, a.ResolvedAt, a.UpdatedAt = monitor.StateResolved, &now, now
		s.r.st.Announce(store.Event{Type: monitor.AlertResolved, At: now, Alert: &a})
		delete(s.told, g)
	}
}

// SelfRecorder is the self-monitor's recorder for this node.
func (r *clusterRun) SelfRecorder() monitor.SelfRecorder {
	return &clusterSelf{r: r, told: map[string]monitor.Alert{}}
}

// ChecksHealth is the running tenure's scheduler's health; none (never
// started) on a node that is not the writer.
func (r *clusterRun) ChecksHealth() monitor.SchedulerHealth {
	r.mu.Lock()
	sched := r.sched
	r.mu.Unlock()
	if sched == nil {
		return monitor.SchedulerHealth{}
	}
	return sched.Health()
}
