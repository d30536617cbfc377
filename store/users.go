package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Roles a user holds. A kiosk session always reads as RoleViewer.
const (
	RoleViewer = "viewer"
	RoleAdmin  = "admin"
)

// ErrCredentials is returned when a user name and password do not match an
// account. It does not say which of the two was wrong.
var ErrCredentials = errors.New("wrong user name or password")

// Password limits. bcrypt reads at most 72 bytes; a longer password would be
// silently truncated by older libraries, so it is refused instead.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// User is an account. It never carries the password or its hash.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version changes with every password or role change.
	Version int64 `json:"-"`
	// Sessions is the number of live browser sessions (filled by Users).
	Sessions int `json:"sessions"`
}

// NewUser is an account to create.
type NewUser struct {
	Name     string
	Role     string
	Password string
	Cost     int // bcrypt work factor; 0: bcrypt.DefaultCost (tests pass bcrypt.MinCost)
}

// CheckUserName reports whether name can be an account name: 1 to 64
// letters, digits, '.', '_', '-' or '@'. No colon (HTTP Basic splits at it),
// no space, nothing that needs escaping in a log line.
func CheckUserName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) {
		return fmt.Errorf("user name must be 1 to 64 characters: %w", ErrInvalid)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r) {
			return fmt.Errorf("user name may hold letters, digits, '.', '_', '-' and '@' only: %w", ErrInvalid)
		}
	}
	return nil
}

// CheckPassword reports whether password is acceptable as a new password.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return fmt.Errorf("password must have at least %d characters: %w", MinPasswordLen, ErrInvalid)
	}
	if len(password) > MaxPasswordLen {
		return fmt.Errorf("password must be at most %d bytes: %w", MaxPasswordLen, ErrInvalid)
	}
	return nil
}

func checkRole(role string) error {
	if role != RoleViewer && role != RoleAdmin {
		return fmt.Errorf("role must be viewer or admin, not %q: %w", role, ErrInvalid)
	}
	return nil
}

func hashPassword(password string, cost int) (string, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so that a
// wrong name costs as much time as a wrong password (no user enumeration
// by timing).
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("syncmon-no-such-user"), bcrypt.DefaultCost)
	return h
})

const userColumns = `id, name, role, version, created_at, updated_at`

func scanUser(r scanner) (User, error) {
	var (
		u                User
		created, updated string
	)
	if err := r.Scan(&u.ID, &u.Name, &u.Role, &u.Version, &created, &updated); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
	return u, nil
}

// CreateUser adds an account. ErrConflict: the name is taken (names are
// compared without case); ErrInvalid: a bad name, role or password.
func (s *Store) CreateUser(ctx context.Context, by Actor, in NewUser) (User, error) {
	if err := CheckUserName(in.Name); err != nil {
		return User{}, err
	}
	if err := checkRole(in.Role); err != nil {
		return User{}, err
	}
	if err := CheckPassword(in.Password); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(in.Password, in.Cost) // slow: outside the writer lock
	if err != nil {
		return User{}, err
	}
	var u User
	if f := s.forwarding(); f != nil { // the writer gets the hash, never the password
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpCreateUser, By: by, Name: in.Name, Role: in.Role, Hash: hash}); err == nil {
			u, err = res.user()
		}
	} else {
		u, err = s.createUser(ctx, by, in.Name, in.Role, hash)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", in.Name, err)
	}
	return u, nil
}

func (s *Store) createUser(ctx context.Context, by Actor, name, role, hash string) (User, error) {
	var u User
	err := s.write(ctx, func(w *writeTx) error {
		var err error
		u, err = w.insertUser(ctx, name, role, hash)
		if err != nil {
			return err
		}
		return w.audit(ctx, by, AuditUserCreate, "user "+u.Name, "role "+u.Role)
	})
	return u, err
}

func (w *writeTx) insertUser(ctx context.Context, name, role, hash string) (User, error) {
	var n int
	if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = ?`, name).Scan(&n); err != nil {
		return User{}, err
	}
	if n > 0 {
		return User{}, fmt.Errorf("user name is taken: %w", ErrConflict)
	}
	now := formatTime(w.now)
	res, err := w.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		name, role, hash, now, now)
	if err != nil {
		return User{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return User{}, err
	}
	if err := w.putRow(ctx, "users", id); err != nil {
		return User{}, err
	}
	return User{ID: id, Name: name, Role: role, Version: 1, CreatedAt: w.now, UpdatedAt: w.now}, nil
}

// CreateFirstAdmin creates the account "admin" with a random password when
// there is no account at all, and returns that password; it returns "" when
// accounts exist. The check and the insert are one transaction, so two
// starts at once create one admin.
func (s *Store) CreateFirstAdmin(ctx context.Context, cost int) (string, error) {
	if n, err := s.CountUsers(ctx); err != nil || n > 0 {
		return "", err
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("first admin: %w", err)
	}
	password := base64.RawURLEncoding.EncodeToString(b)
	hash, err := hashPassword(password, cost)
	if err != nil {
		return "", fmt.Errorf("first admin: %w", err)
	}
	created := false
	err = s.write(ctx, func(w *writeTx) error {
		var n int
		if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := w.insertUser(ctx, "admin", RoleAdmin, hash); err != nil {
			return err
		}
		created = true
		return w.audit(ctx, Actor{Name: "syncmon"}, AuditUserCreate, "user admin", "first start: role admin, random password")
	})
	if err != nil || !created {
		return "", err
	}
	return password, nil
}

// SetPassword changes a user's password and ends all of that user's
// sessions: whoever knew the old password is signed out everywhere.
func (s *Store) SetPassword(ctx context.Context, by Actor, name, password string, cost int) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password, cost)
	if err != nil {
		return err
	}
	if f := s.forwarding(); f != nil {
		_, err = s.forwardCmd(ctx, f, Command{Op: OpSetPassword, By: by, Name: name, Hash: hash})
	} else {
		err = s.setPassword(ctx, by, name, hash)
	}
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

func (s *Store) setPassword(ctx context.Context, by Actor, name, hash string) error {
	return s.write(ctx, func(w *writeTx) error {
		u, err := userByName(ctx, w, name)
		if err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `UPDATE users SET password_hash = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			hash, formatTime(w.now), u.ID); err != nil {
			return err
		}
		if err := w.putRow(ctx, "users", u.ID); err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		w.delRows("sessions", "user_id", u.ID)
		return w.audit(ctx, by, AuditUserPassword, "user "+name, "password changed; sessions ended")
	})
}

// RemoveUser deletes an account and (by cascade) its sessions. The last
// admin cannot be removed (ErrConflict): nobody could act any more.
func (s *Store) RemoveUser(ctx context.Context, by Actor, name string) (User, error) {
	var (
		u   User
		err error
	)
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpRemoveUser, By: by, Name: name}); err == nil {
			u, err = res.user()
		}
	} else {
		u, err = s.removeUser(ctx, by, name)
	}
	if err != nil {
		return User{}, fmt.Errorf("remove user %s: %w", name, err)
	}
	return u, nil
}

func (s *Store) removeUser(ctx context.Context, by Actor, name string) (User, error) {
	var u User
	err := s.write(ctx, func(w *writeTx) error {
		var err error
		if u, err = userByName(ctx, w, name); err != nil {
			return err
		}
		if u.Role == RoleAdmin {
			var admins int
			if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
				return err
			}
			if admins <= 1 {
				return fmt.Errorf("%s is the last admin: %w", u.Name, ErrConflict)
			}
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
			return err
		}
		w.delRows("users", "id", u.ID)
		return w.audit(ctx, by, AuditUserRemove, "user "+u.Name, "role "+u.Role)
	})
	return u, err
}

// User returns one account by name (without regard to case).
func (s *Store) User(ctx context.Context, name string) (User, error) {
	u, err := userByName(ctx, s.db, name)
	if err != nil {
		return u, fmt.Errorf("user %s: %w", name, err)
	}
	return u, nil
}

// userByName reads one account, in a transaction or not; ErrNotFound when
// there is none.
func userByName(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, name string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// Users lists every account by name, with its number of live sessions.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+`,
		(SELECT COUNT(*) FROM sessions WHERE user_id = users.id AND expires_at > ?)
		FROM users ORDER BY name`, s.stamp())
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		var (
			u                User
			created, updated string
		)
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Version, &created, &updated, &u.Sessions); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CountUsers returns the number of accounts.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// Authenticate checks a user name and password. It returns ErrCredentials
// for an unknown name and a wrong password alike, after the same bcrypt work.
func (s *Store) Authenticate(ctx context.Context, name, password string) (User, error) {
	var (
		u    User
		hash string
	)
	var created, updated string
	if len(password) > MaxPasswordLen {
		// No account has such a password; bcrypt would look at 72 bytes only.
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password[:MaxPasswordLen]))
		return User{}, ErrCredentials
	}
	err := s.db.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`, name).
		Scan(&u.ID, &u.Name, &u.Role, &u.Version, &created, &updated, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate %s: %w", name, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, ErrCredentials
	}
	u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
	return u, nil
}
