package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// KioskTokenPrefix starts every kiosk token, so that secret scanners and
// people recognise one in a pasted URL or log.
const KioskTokenPrefix = "smk_"

// KioskToken is a read-only credential for a wall display. The secret is
// shown once, at creation; the store keeps only its SHA-256.
type KioskToken struct {
	ID         int64
	Name       string // display name, shown on /screens
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time // last exchanged for a session
	RevokedAt  *time.Time
	Sessions   int // live kiosk sessions (filled by KioskTokens)
}

// CheckKioskName reports whether name can name a kiosk: 1 to 64 printable characters.
func CheckKioskName(name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) {
		return fmt.Errorf("kiosk name must be 1 to 64 characters: %w", ErrInvalid)
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("kiosk name must not hold control characters: %w", ErrInvalid)
		}
	}
	return nil
}

// CreateKioskToken creates a kiosk token and returns it with its secret,
// which is never available again. In a cluster the secret is drawn here
// and only its hash goes to the writer.
func (s *Store) CreateKioskToken(ctx context.Context, by Actor, name string) (KioskToken, string, error) {
	name = strings.TrimSpace(name)
	if err := CheckKioskName(name); err != nil {
		return KioskToken{}, "", err
	}
	secret, hash, err := newToken(KioskTokenPrefix)
	if err != nil {
		return KioskToken{}, "", err
	}
	var t KioskToken
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpCreateKioskToken, By: by, Name: name, Hash: hash}); err == nil {
			t, err = res.token()
		}
	} else {
		t, err = s.createKioskToken(ctx, by, name, hash)
	}
	if err != nil {
		return KioskToken{}, "", fmt.Errorf("create kiosk token: %w", err)
	}
	return t, secret, nil
}

func (s *Store) createKioskToken(ctx context.Context, by Actor, name, hash string) (KioskToken, error) {
	var t KioskToken
	err := s.write(ctx, func(w *writeTx) error {
		res, err := w.ExecContext(ctx, `INSERT INTO kiosk_tokens (name, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)`,
			name, hash, by.Name, formatTime(w.now))
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		t.Name, t.CreatedBy, t.CreatedAt = name, by.Name, w.now
		if err := w.putRow(ctx, "kiosk_tokens", t.ID); err != nil {
			return err
		}
		return w.audit(ctx, by, AuditTokenCreate, fmt.Sprintf("kiosk token %d (%s)", t.ID, name), "")
	})
	return t, err
}

// KioskTokens lists every kiosk token, newest first, with its live sessions.
func (s *Store) KioskTokens(ctx context.Context) ([]KioskToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_by, created_at, last_used_at, revoked_at,
		(SELECT COUNT(*) FROM sessions WHERE kiosk_id = kiosk_tokens.id AND expires_at > ?)
		FROM kiosk_tokens ORDER BY id DESC`, s.stamp())
	if err != nil {
		return nil, fmt.Errorf("list kiosk tokens: %w", err)
	}
	defer rows.Close()
	out := []KioskToken{}
	for rows.Next() {
		var (
			t             KioskToken
			created       string
			used, revoked sql.NullString
		)
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedBy, &created, &used, &revoked, &t.Sessions); err != nil {
			return nil, fmt.Errorf("list kiosk tokens: %w", err)
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = parseTime(created), nullTime(used), nullTime(revoked)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list kiosk tokens: %w", err)
	}
	return out, nil
}

// RevokeKioskToken revokes a token and ends every session it opened.
// Revoking a revoked token changes nothing. ErrNotFound: no such token.
func (s *Store) RevokeKioskToken(ctx context.Context, by Actor, id int64) (KioskToken, error) {
	var (
		t   KioskToken
		err error
	)
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpRevokeKioskToken, By: by, ID: id}); err == nil {
			t, err = res.token()
		}
	} else {
		t, err = s.revokeKioskToken(ctx, by, id)
	}
	if err != nil {
		return KioskToken{}, fmt.Errorf("revoke kiosk token %d: %w", id, err)
	}
	return t, nil
}

func (s *Store) revokeKioskToken(ctx context.Context, by Actor, id int64) (KioskToken, error) {
	var t KioskToken
	err := s.write(ctx, func(w *writeTx) error {
		var (
			created       string
			used, revoked sql.NullString
		)
		err := w.QueryRowContext(ctx, `SELECT id, name, created_by, created_at, last_used_at, revoked_at FROM kiosk_tokens WHERE id = ?`, id).
			Scan(&t.ID, &t.Name, &t.CreatedBy, &created, &used, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = parseTime(created), nullTime(used), nullTime(revoked)
		if _, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE kiosk_id = ?`, id); err != nil {
			return err
		}
		w.delRows("sessions", "kiosk_id", id)
		if t.RevokedAt != nil {
			return nil
		}
		now := w.now
		t.RevokedAt = &now
		if _, err := w.ExecContext(ctx, `UPDATE kiosk_tokens SET revoked_at = ? WHERE id = ?`, formatTime(now), id); err != nil {
			return err
		}
		if err := w.putRow(ctx, "kiosk_tokens", id); err != nil {
			return err
		}
		return w.audit(ctx, by, AuditTokenRevoke, fmt.Sprintf("kiosk token %d (%s)", t.ID, t.Name), "")
	})
	return t, err
}

// ExchangeKioskToken trades a kiosk token's secret for a new kiosk session
// (a cookie the display keeps). replace is the session token the display
// held before, if any: it ends. ErrNotFound: unknown or revoked token.
// A token stays usable until revoked, so a display whose browser forgets
// its cookies (incognito kiosk mode, a reinstall) can pair again. In a
// cluster only hashes of the secret and of the tokens go to the writer.
func (s *Store) ExchangeKioskToken(ctx context.Context, secret string, life Lifetime, address, replace string) (string, Session, error) {
	if !strings.HasPrefix(secret, KioskTokenPrefix) || len(secret) > 100 {
		return "", Session{}, fmt.Errorf("kiosk token: %w", ErrNotFound)
	}
	token, hash, err := newToken("")
	if err != nil {
		return "", Session{}, err
	}
	var sess Session
	if f := s.forwarding(); f != nil {
		var res CommandResult
		res, err = s.forwardCmd(ctx, f, Command{Op: OpExchangeKioskToken, Hash: hashToken(secret), Session: hash,
			Replace: hashOrEmpty(replace), Life: &life, Address: address})
		if err == nil {
			sess, err = res.session()
		}
	} else {
		sess, err = s.exchangeKioskToken(ctx, hashToken(secret), hash, life, address, hashOrEmpty(replace))
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("exchange kiosk token: %w", err)
	}
	return token, sess, nil
}

func (s *Store) exchangeKioskToken(ctx context.Context, secretHash, hash string, life Lifetime, address, replaceHash string) (Session, error) {
	var sess Session
	err := s.write(ctx, func(w *writeTx) error {
		var (
			id   int64
			name string
		)
		err := w.QueryRowContext(ctx, `SELECT id, name FROM kiosk_tokens WHERE token_hash = ? AND revoked_at IS NULL`, secretHash).Scan(&id, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := w.endTokenSession(ctx, replaceHash); err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `UPDATE kiosk_tokens SET last_used_at = ? WHERE id = ?`, formatTime(w.now), id); err != nil {
			return err
		}
		if err := w.putRow(ctx, "kiosk_tokens", id); err != nil {
			return err
		}
		if sess, err = w.insertSession(ctx, SessionKiosk, 0, id, hash, life, address); err != nil {
			return err
		}
		sess.Name, sess.Role = name, RoleViewer
		return w.audit(ctx, Actor{Name: "kiosk:" + name, Address: address}, AuditKioskPaired, fmt.Sprintf("kiosk token %d (%s)", id, name), "")
	})
	return sess, err
}
