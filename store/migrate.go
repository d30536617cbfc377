package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in name order, every embedded migration not yet recorded
// in schema_migrations, each in its own transaction with its record.
func migrate(ctx context.Context, db *sql.DB, now string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	if err := refuseDowngrade(ctx, db, names); err != nil {
		return err
	}
	for _, name := range names {
		if err := applyMigration(ctx, db, name, now); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, name, now string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, now); err != nil {
		return fmt.Errorf("record migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return nil
}

// Migrations returns the names of the applied migrations, in order.
func (s *Store) Migrations(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list applied migrations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list applied migrations: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PendingMigrations returns the embedded migrations not recorded as applied.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	applied, err := s.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, n := range applied {
		done[n] = true
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var pending []string
	for _, n := range names {
		if !done[n] {
			pending = append(pending, n)
		}
	}
	return pending, nil
}

// refuseDowngrade stops an older binary from running on a database a newer
// one has migrated: it would not know the newer schema.
func refuseDowngrade(ctx context.Context, db *sql.DB, known []string) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for _, n := range known {
		have[n] = true
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("read applied migrations: %w", err)
		}
		if !have[n] {
			return fmt.Errorf("the database was migrated by a newer SyncMon (%s); run that version or restore a backup: %w", n, ErrNewerSchema)
		}
	}
	return rows.Err()
}

// ErrNewerSchema: the database has migrations this binary does not know.
var ErrNewerSchema = errors.New("database schema is newer than this binary")
