package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Session kinds.
const (
	SessionUser  = "user"  // a browser signed in with a password
	SessionKiosk = "kiosk" // a wall display paired with a kiosk token
)

// Session is a signed-in browser or a paired wall display. The token the
// client holds is never stored; the store keeps its SHA-256.
type Session struct {
	ID         int64
	Kind       string
	UserID     int64  // SessionUser only
	KioskID    int64  // SessionKiosk only
	Name       string // the user's name or the kiosk's display name
	Role       string // the user's current role; RoleViewer for a kiosk
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time     // the absolute end
	Idle       time.Duration // the inactivity timeout; 0: none
	Address    string        // where it started
}

// Lifetime is how long a session may live: Idle without being used (0: no
// limit) and Max in all.
type Lifetime struct {
	Idle time.Duration
	Max  time.Duration
}

// newToken returns a fresh secret from the CSPRNG (256 bits) and its hash.
func newToken(prefix string) (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("random token: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// insertSession creates a session row for the token whose SHA-256 is hash.
func (w *writeTx) insertSession(ctx context.Context, kind string, userID, kioskID int64, hash string, life Lifetime, address string) (Session, error) {
	var uid, kid any
	if kind == SessionUser {
		uid = userID
	} else {
		kid = kioskID
	}
	sess := Session{Kind: kind, UserID: userID, KioskID: kioskID, CreatedAt: w.now, LastSeenAt: w.now,
		ExpiresAt: w.now.Add(life.Max), Idle: life.Idle, Address: clip(address, 100)}
	res, err := w.ExecContext(ctx, `INSERT INTO sessions (token_hash, kind, user_id, kiosk_id, created_at, last_seen_at,
		expires_at, idle_seconds, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hash, kind, uid, kid, formatTime(w.now), formatTime(w.now), formatTime(sess.ExpiresAt), int64(life.Idle/time.Second), sess.Address)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	if sess.ID, err = res.LastInsertId(); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, w.putRow(ctx, "sessions", sess.ID)
}

// endTokenSession ends the session whose token has this SHA-256, if any.
func (w *writeTx) endTokenSession(ctx context.Context, hash string) error {
	if hash == "" {
		return nil
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("end previous session: %w", err)
	}
	w.delRows("sessions", "token_hash", hash)
	return nil
}

// hashOrEmpty is the SHA-256 of a token the client may not have.
func hashOrEmpty(token string) string {
	if token == "" {
		return ""
	}
	return hashToken(token)
}

// StartSession signs a user in: a new session with a new token. replace is
// the session token the browser held before, if any; that session ends in
// the same transaction, so a token known before sign-in (fixation) or a
// previous account's token is dead from now on. The login is audited.
// In a cluster the token is drawn here and only its hash goes to the writer.
func (s *Store) StartSession(ctx context.Context, u User, life Lifetime, address, replace string) (string, Session, error) {
	token, hash, err := newToken("")
	if err != nil {
		return "", Session{}, err
	}
	var sess Session
	if f := s.forwarding(); f != nil {
		var res CommandResult
		res, err = s.forwardCmd(ctx, f, Command{Op: OpStartSession, ID: u.ID, Name: u.Name, Session: hash,
			Replace: hashOrEmpty(replace), Life: &life, Address: address})
		if err == nil {
			sess, err = res.session()
		}
	} else {
		sess, err = s.startSession(ctx, u, hash, life, address, hashOrEmpty(replace))
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("start session for %s: %w", u.Name, err)
	}
	return token, sess, nil
}

func (s *Store) startSession(ctx context.Context, u User, hash string, life Lifetime, address, replaceHash string) (Session, error) {
	var sess Session
	err := s.write(ctx, func(w *writeTx) error {
		if err := w.endTokenSession(ctx, replaceHash); err != nil {
			return err
		}
		var err error
		if sess, err = w.insertSession(ctx, SessionUser, u.ID, 0, hash, life, address); err != nil {
			return err
		}
		sess.Name, sess.Role = u.Name, u.Role
		return w.audit(ctx, Actor{Name: u.Name, Address: address}, AuditLogin, "user "+u.Name, "")
	})
	return sess, err
}

const sessionColumns = `s.id, s.kind, COALESCE(s.user_id, 0), COALESCE(s.kiosk_id, 0), COALESCE(u.name, k.name, ''),
	COALESCE(u.role, 'viewer'), s.created_at, s.last_seen_at, s.expires_at, s.idle_seconds, s.address`

const sessionFrom = ` FROM sessions s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN kiosk_tokens k ON k.id = s.kiosk_id `

func scanSession(r scanner) (Session, error) {
	var (
		sess                   Session
		created, seen, expires string
		idle                   int64
	)
	if err := r.Scan(&sess.ID, &sess.Kind, &sess.UserID, &sess.KioskID, &sess.Name, &sess.Role, &created, &seen, &expires,
		&idle, &sess.Address); err != nil {
		return sess, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = parseTime(created), parseTime(seen), parseTime(expires)
	sess.Idle = time.Duration(idle) * time.Second
	return sess, nil
}

// live reports whether the session is still within both of its limits at now.
func (sess Session) live(now time.Time) bool {
	if !now.Before(sess.ExpiresAt) {
		return false
	}
	return sess.Idle <= 0 || now.Sub(sess.LastSeenAt) < sess.Idle
}

// touchEvery bounds how often a session's last use is written: a screen
// polling every few seconds costs one write a minute, not one per request.
func touchEvery(idle time.Duration) time.Duration {
	if idle > 0 && idle/10 < time.Minute {
		return idle / 10
	}
	return time.Minute
}

// Session returns the live session that token names, and counts this as a
// use (for the inactivity timeout). ErrNotFound: unknown, ended, expired,
// idle too long, or its kiosk token revoked.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	sess, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionColumns+sessionFrom+
		`WHERE s.token_hash = ? AND (s.kind = 'user' OR k.revoked_at IS NULL)`, hashToken(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	now := s.now().UTC()
	if !sess.live(now) {
		return Session{}, fmt.Errorf("session expired: %w", ErrNotFound)
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery(sess.Idle) {
		err := s.write(ctx, func(w *writeTx) error {
			_, err := w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, formatTime(w.now), sess.ID)
			return err
		})
		if err != nil {
			return Session{}, fmt.Errorf("session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// SessionLive reports whether the session with this id is still live,
// without counting a use: long-lived streams re-check their session with it.
func (s *Store) SessionLive(ctx context.Context, id int64) (bool, error) {
	sess, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionColumns+sessionFrom+
		`WHERE s.id = ? AND (s.kind = 'user' OR k.revoked_at IS NULL)`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("session %d: %w", id, err)
	}
	return sess.live(s.now().UTC()), nil
}

// EndSession ends the session that token names (sign-out) and returns it.
// ErrNotFound when there was none.
func (s *Store) EndSession(ctx context.Context, token string) (Session, error) {
	var (
		sess Session
		err  error
	)
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpEndSession, Hash: hashToken(token)}); err == nil {
			sess, err = res.session()
		}
	} else {
		sess, err = s.endSession(ctx, hashToken(token))
	}
	if err != nil {
		return Session{}, fmt.Errorf("end session: %w", err)
	}
	return sess, nil
}

func (s *Store) endSession(ctx context.Context, hash string) (Session, error) {
	var sess Session
	err := s.write(ctx, func(w *writeTx) error {
		var err error
		sess, err = scanSession(w.QueryRowContext(ctx, `SELECT `+sessionColumns+sessionFrom+`WHERE s.token_hash = ?`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, sess.ID); err != nil {
			return err
		}
		w.delRows("sessions", "id", sess.ID)
		if sess.Kind == SessionUser {
			return w.audit(ctx, Actor{Name: sess.Name}, AuditLogout, "user "+sess.Name, "")
		}
		return w.audit(ctx, Actor{Name: "kiosk:" + sess.Name}, AuditLogout, fmt.Sprintf("kiosk token %d (%s)", sess.KioskID, sess.Name), "")
	})
	return sess, err
}

// EndUserSessions ends every session of the named user (an admin signing
// someone out everywhere) and returns the user and how many ended.
func (s *Store) EndUserSessions(ctx context.Context, by Actor, name string) (User, int, error) {
	var (
		u   User
		n   int
		err error
	)
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpEndUserSessions, By: by, Name: name}); err == nil {
			u, err = res.user()
			n = res.Count
		}
	} else {
		u, n, err = s.endUserSessions(ctx, by, name)
	}
	if err != nil {
		return User{}, 0, fmt.Errorf("end sessions of %s: %w", name, err)
	}
	return u, n, nil
}

func (s *Store) endUserSessions(ctx context.Context, by Actor, name string) (User, int, error) {
	var (
		u User
		n int64
	)
	err := s.write(ctx, func(w *writeTx) error {
		var err error
		if u, err = userByName(ctx, w, name); err != nil {
			return err
		}
		res, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		w.delRows("sessions", "user_id", u.ID)
		return w.audit(ctx, by, AuditUserSessions, "user "+u.Name, fmt.Sprintf("%d sessions", n))
	})
	return u, int(n), err
}

// PruneSessions deletes sessions past their absolute end or idle too long,
// and returns how many.
func (s *Store) PruneSessions(ctx context.Context) (int, error) {
	var n int64
	err := s.write(ctx, func(w *writeTx) error {
		now := formatTime(w.now)
		res, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?
			OR (idle_seconds > 0 AND strftime('%s', ?) - strftime('%s', last_seen_at) >= idle_seconds)`, now, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return int(n), nil
}
