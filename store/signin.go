package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// AuditUserUnlock records a sign-in lock lifted from the host.
const AuditUserUnlock = "user.unlock"

// UnlockSignIn lifts the sign-in locks of an account: a running server
// forgets the failures it counted for that name (from every address) on
// the account's next sign-in attempt. The account need not exist (a lock
// counts attempts for any name).
func (s *Store) UnlockSignIn(ctx context.Context, by Actor, name string) error {
	key := strings.ToLower(strings.TrimSpace(name))
	err := s.write(ctx, func(w *writeTx) error {
		if _, err := w.ExecContext(ctx, `INSERT INTO signin_unlocks (name, generation) VALUES (?, 1)
			ON CONFLICT(name) DO UPDATE SET generation = generation + 1`, key); err != nil {
			return err
		}
		return w.audit(ctx, by, AuditUserUnlock, "user "+name, "sign-in lock lifted")
	})
	if err != nil {
		return fmt.Errorf("unlock %s: %w", name, err)
	}
	return nil
}

// UnlockGeneration counts the unlocks of an account so far (0: never).
func (s *Store) UnlockGeneration(ctx context.Context, name string) (int64, error) {
	var g int64
	err := s.db.QueryRowContext(ctx, `SELECT generation FROM signin_unlocks WHERE name = ?`,
		strings.ToLower(strings.TrimSpace(name))).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read unlocks of %s: %w", name, err)
	}
	return g, nil
}

// ServerKey returns the 32-byte key of that name, drawn and kept on first
// use. Keys never leave the database and the process.
func (s *Store) ServerKey(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh) // crypto/rand.Read does not fail (it panics on a broken system)
	var key []byte
	err := s.write(ctx, func(w *writeTx) error {
		if _, err := w.ExecContext(ctx, `INSERT INTO server_keys (name, key) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return w.QueryRowContext(ctx, `SELECT key FROM server_keys WHERE name = ?`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, err)
	}
	return key, nil
}
