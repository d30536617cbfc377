package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit actions. The audit log records who did what to accounts, tokens and
// alerts; alert history (History) stays the per-alert view.
const (
	AuditLogin         = "login"
	AuditLoginFailed   = "login.failed"
	AuditLoginLimited  = "login.limited"
	AuditLogout        = "logout"
	AuditAck           = "alert.ack"
	AuditUnack         = "alert.unack"
	AuditTestAlert     = "alert.test"
	AuditSilence       = "silence.create"
	AuditSilenceExpire = "silence.expire"
	AuditTokenCreate   = "kiosk_token.create"
	AuditTokenRevoke   = "kiosk_token.revoke"
	AuditKioskPaired   = "kiosk.paired"
	AuditUserCreate    = "user.create"
	AuditUserPassword  = "user.password"
	AuditUserRemove    = "user.remove"
	AuditUserSessions  = "user.sessions_ended"
)

// Actor is who does something, in what role, and from where. Every change
// a person makes takes one, and its audit row is written in the same
// transaction as the change: both commit, or neither.
type Actor struct {
	Name    string // user name, "kiosk:NAME", or "cli" for the command line
	Role    string // the role held when acting (admin, viewer …); empty on the command line
	Address string // the client's address; empty on the command line
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"` // what was acted on: "alert 42", "user alice", "kiosk token 3 (Lobby)"
	Address string    `json:"address"`
	Detail  string    `json:"detail"`
}

// maxAuditField bounds each free-text field: the log must not become a
// place where anyone can store megabytes (a login form accepts any name).
const maxAuditField = 1000

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Audit records one entry in the audit log on its own, for what changes
// nothing else (a failed sign-in). A change records its entry itself, in
// its own transaction.
func (s *Store) Audit(ctx context.Context, by Actor, action, subject, detail string) error {
	err := s.write(ctx, func(w *writeTx) error { return w.audit(ctx, by, action, subject, detail) })
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// audit records an entry inside a write transaction, so that a change and
// its audit entry commit together.
func (w *writeTx) audit(ctx context.Context, by Actor, action, subject, detail string) error {
	row := map[string]any{"at": formatTime(w.now), "actor": clip(by.Name, 100), "role": clip(by.Role, 20), "action": action,
		"subject": clip(subject, maxAuditField), "address": clip(by.Address, 100), "detail": clip(detail, maxAuditField)}
	if _, err := w.ExecContext(ctx, `INSERT INTO audit (at, actor, role, action, subject, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		row["at"], row["actor"], row["role"], row["action"], row["subject"], row["address"], row["detail"]); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	w.addRow("audit", row) // cluster: goes with a state change, never alone (state.go)
	return nil
}

// AuditLog returns up to limit entries, newest first, with id < before
// (before <= 0: from the newest).
func (s *Store) AuditLog(ctx context.Context, limit int, before int64) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q := `SELECT id, at, actor, role, action, subject, address, detail FROM audit ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if before > 0 {
		q = `SELECT id, at, actor, role, action, subject, address, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`
		args = []any{before, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var (
			e  AuditEntry
			at string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Address, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
