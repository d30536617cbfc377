package store

import (
	"context"
	"fmt"

	"github.com/syncmon/syncmon/monitor"
)

// SyncMon's own trouble as an alert like any other (DESIGN.md): rule
// "syncmon", program "SYNCMON", target "syncmon", group = the component.
// RaiseSelf and ClearSelf are the one path for it, so that a general
// self-monitoring mechanism can take them over without callers changing.
const (
	RuleSelf    = "syncmon"
	ProgramSelf = "SYNCMON"
	TargetSelf  = "syncmon"
)

// RaiseSelf opens a critical syncmon/component alert with msg and speech,
// unless one is already active (then nothing happens: it keeps being
// shown and spoken until cleared). It reports whether it opened one.
func (s *Store) RaiseSelf(ctx context.Context, component, msg string, speech monitor.Speech) (bool, error) {
	opened := false
	err := s.write(ctx, func(w *writeTx) error {
		active, err := queryAlerts(ctx, w, `WHERE target = ? AND rule = ? AND grp = ? AND state IN ('open', 'acked')`,
			TargetSelf, RuleSelf, component)
		if err != nil {
			return err
		}
		if len(active) > 0 {
			return nil
		}
		a := monitor.Alert{Target: TargetSelf, Program: ProgramSelf, Group: component, Rule: RuleSelf,
			Severity: monitor.SeverityCritical, State: monitor.StateOpen, Message: msg, Speech: speech,
			OpenedAt: w.now, UpdatedAt: w.now}
		opened = true
		return w.applyTransition(ctx, monitor.Transition{Type: monitor.AlertOpened, Alert: a}, "syncmon")
	})
	if err != nil {
		return false, fmt.Errorf("raise syncmon/%s: %w", component, err)
	}
	return opened, nil
}

// ClearSelf resolves the active syncmon/component alerts, if any.
func (s *Store) ClearSelf(ctx context.Context, component string) error {
	err := s.write(ctx, func(w *writeTx) error {
		active, err := queryAlerts(ctx, w, `WHERE target = ? AND rule = ? AND grp = ? AND state IN ('open', 'acked')`,
			TargetSelf, RuleSelf, component)
		if err != nil {
			return err
		}
		return w.resolveBySyncMon(ctx, active)
	})
	if err != nil {
		return fmt.Errorf("clear syncmon/%s: %w", component, err)
	}
	return nil
}
