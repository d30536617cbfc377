package main

import (
	"context"
	"sort"
	"sync"
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
var selfIDs = map[string]int64{monitor.ComponentStore: -2, monitor.ComponentCheck: -3, monitor.ComponentNote: -4, monitor.ComponentClock: -5, monitor.ComponentNodes: -6}

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

// lostNodes is the writer's memory of the nodes it does not hear from:
// since when each has been unheard, look after look.
type lostNodes struct {
	after time.Duration // cluster.lost_after
	mu    sync.Mutex
	since map[string]time.Time
}

// LostNodes is the self-monitor's view of the other nodes (syncmon/nodes):
// on the writer, every replica of the log that this node has no route to,
// or that the log's leader counts offline or behind, for lost_after or
// longer. Elsewhere none: only the writer judges, through the log, and a
// node cut off is told by its own quorum check.
func (r *clusterRun) LostNodes(ctx context.Context) []monitor.LostNode {
	now := time.Now()
	if !r.appending.Load() {
		r.lost.judge(nil, now)
		return nil
	}
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	info, err := r.node.Info(ictx)
	cancel()
	if err != nil { // no news: those already lost stay lost
		return r.lost.over(now)
	}
	routed := r.node.Routed()
	unheard := map[string]bool{}
	for _, p := range info.Peers {
		if p.Name != r.node.Name() && (!routed[p.Name] || p.Offline || !p.Current) {
			unheard[p.Name] = true
		}
	}
	return r.lost.judge(unheard, now)
}

// judge notes which nodes are unheard now and returns those unheard for
// lost_after or longer, by name.
func (l *lostNodes) judge(unheard map[string]bool, now time.Time) []monitor.LostNode {
	l.mu.Lock()
	for name := range l.since {
		if !unheard[name] {
			delete(l.since, name)
		}
	}
	for name := range unheard {
		if _, ok := l.since[name]; !ok {
			l.since[name] = now
		}
	}
	l.mu.Unlock()
	return l.over(now)
}

func (l *lostNodes) over(now time.Time) []monitor.LostNode {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []monitor.LostNode
	for name, since := range l.since {
		if d := now.Sub(since); d >= l.after {
			out = append(out, monitor.LostNode{Name: name, Since: d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
