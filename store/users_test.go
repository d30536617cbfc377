package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
	"golang.org/x/crypto/bcrypt"
)

// clock is a settable time source for session expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openWithClock(tb testing.TB) (*store.Store, *clock) {
	tb.Helper()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "a.db"), store.WithClock(c.now))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, c
}

var cli = store.Actor{Name: "cli"}

func addUser(tb testing.TB, s *store.Store, name, role, password string) store.User {
	tb.Helper()
	u, err := s.CreateUser(context.Background(), cli, store.NewUser{Name: name, Role: role, Password: password, Cost: bcrypt.MinCost})
	if err != nil {
		tb.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func TestUsersCreateAuthenticateRemove(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithClock(t)
	addUser(t, s, "alice", store.RoleAdmin, "correct horse")
	addUser(t, s, "bob", store.RoleViewer, "battery staple")

	if _, err := s.CreateUser(ctx, cli, store.NewUser{Name: "ALICE", Role: store.RoleViewer, Password: "whatever1", Cost: bcrypt.MinCost}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name (other case): err %v, want ErrConflict", err)
	}
	for _, tc := range []struct{ name, role, pw string }{
		{"", "viewer", "longenough"},
		{"a:b", "viewer", "longenough"},
		{"a b", "viewer", "longenough"},
		{"carol", "root", "longenough"},
		{"carol", "viewer", "short"},
		{"carol", "viewer", strings.Repeat("x", 73)},
	} {
		if _, err := s.CreateUser(ctx, cli, store.NewUser{Name: tc.name, Role: tc.role, Password: tc.pw, Cost: bcrypt.MinCost}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("create %q/%q/%d chars: err %v, want ErrInvalid", tc.name, tc.role, len(tc.pw), err)
		}
	}

	u, err := s.Authenticate(ctx, "alice", "correct horse")
	if err != nil || u.Name != "alice" || u.Role != store.RoleAdmin {
		t.Fatalf("authenticate alice = %+v, %v", u, err)
	}
	for _, tc := range [][2]string{{"alice", "wrong"}, {"nobody", "correct horse"}, {"alice", ""}, {"alice", strings.Repeat("y", 200)}} {
		if _, err := s.Authenticate(ctx, tc[0], tc[1]); !errors.Is(err, store.ErrCredentials) {
			t.Errorf("authenticate %q: err %v, want ErrCredentials", tc[0], err)
		}
	}

	users, err := s.Users(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "alice" || users[1].Name != "bob" {
		t.Fatalf("users = %+v, %v", users, err)
	}
	if _, err := s.RemoveUser(ctx, cli, "alice"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("removing the last admin: err %v, want ErrConflict", err)
	}
	if _, err := s.RemoveUser(ctx, cli, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveUser(ctx, cli, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("remove twice: err %v, want ErrNotFound", err)
	}
	if _, err := s.Authenticate(ctx, "bob", "battery staple"); !errors.Is(err, store.ErrCredentials) {
		t.Fatalf("removed user still authenticates: %v", err)
	}
}

func TestPasswordChangeEndsSessionsAndBumpsVersion(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithClock(t)
	u := addUser(t, s, "alice", store.RoleAdmin, "correct horse")
	tok, _, err := s.StartSession(ctx, u, store.Lifetime{Idle: time.Hour, Max: 24 * time.Hour}, "127.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, cli, "alice", "new password", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after password change: err %v, want ErrNotFound", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "correct horse"); !errors.Is(err, store.ErrCredentials) {
		t.Fatal("old password still works")
	}
	got, err := s.Authenticate(ctx, "alice", "new password")
	if err != nil || got.Version != u.Version+1 {
		t.Fatalf("after change: %+v, %v; want version %d", got, err, u.Version+1)
	}
	if err := s.SetPassword(ctx, cli, "nobody", "new password", bcrypt.MinCost); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: err %v, want ErrNotFound", err)
	}
}

func TestFirstAdminOnlyOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithClock(t)
	pw, err := s.CreateFirstAdmin(ctx, bcrypt.MinCost)
	if err != nil || len(pw) < 20 {
		t.Fatalf("first admin password %q, %v", pw, err)
	}
	if u, err := s.Authenticate(ctx, "admin", pw); err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("first admin cannot sign in: %+v, %v", u, err)
	}
	again, err := s.CreateFirstAdmin(ctx, bcrypt.MinCost)
	if err != nil || again != "" {
		t.Fatalf("second call = %q, %v; want nothing created", again, err)
	}
}

func TestSessionIdleAbsoluteAndRotation(t *testing.T) {
	ctx := context.Background()
	s, clk := openWithClock(t)
	u := addUser(t, s, "alice", store.RoleViewer, "correct horse")
	life := store.Lifetime{Idle: 30 * time.Minute, Max: 2 * time.Hour}

	tok, sess, err := s.StartSession(ctx, u, life, "10.0.0.1", "")
	if err != nil || len(tok) < 40 || sess.Kind != store.SessionUser {
		t.Fatalf("start = %q %+v %v", tok, sess, err)
	}
	// Used every 20 minutes: alive past the idle timeout, until the absolute end.
	for range 5 {
		clk.add(20 * time.Minute)
		if got, err := s.Session(ctx, tok); err != nil || got.Name != "alice" || got.Role != store.RoleViewer {
			t.Fatalf("at %v: %+v, %v", clk.now(), got, err)
		}
	}
	clk.add(20 * time.Minute) // 2 h after start
	if _, err := s.Session(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("past the absolute lifetime: err %v, want ErrNotFound", err)
	}

	// Idle: unused for 30 minutes.
	tok2, _, err := s.StartSession(ctx, u, life, "10.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	clk.add(31 * time.Minute)
	if _, err := s.Session(ctx, tok2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("idle session: err %v, want ErrNotFound", err)
	}
	if n, err := s.PruneSessions(ctx); err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want 2", n, err)
	}

	// Rotation: signing in again with the old token ends it.
	old, _, _ := s.StartSession(ctx, u, life, "10.0.0.1", "")
	fresh, _, err := s.StartSession(ctx, u, life, "10.0.0.1", old)
	if err != nil || fresh == old {
		t.Fatalf("rotation: %q, %v", fresh, err)
	}
	if _, err := s.Session(ctx, old); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old token after rotation: err %v, want ErrNotFound", err)
	}
	if _, err := s.Session(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	ended, err := s.EndSession(ctx, fresh)
	if err != nil || ended.Name != "alice" {
		t.Fatalf("end = %+v, %v", ended, err)
	}
	if _, err := s.Session(ctx, fresh); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after sign-out: err %v, want ErrNotFound", err)
	}
}

func TestKioskTokenExchangeAndRevoke(t *testing.T) {
	ctx := context.Background()
	s, clk := openWithClock(t)
	tk, secret, err := s.CreateKioskToken(ctx, store.Actor{Name: "alice"}, "  Lobby <wall>  ")
	if err != nil || tk.Name != "Lobby <wall>" || !strings.HasPrefix(secret, store.KioskTokenPrefix) || len(secret) < 40 {
		t.Fatalf("create = %+v %q %v", tk, secret, err)
	}
	life := store.Lifetime{Max: 365 * 24 * time.Hour}
	tok, sess, err := s.ExchangeKioskToken(ctx, secret, life, "10.0.0.9", "")
	if err != nil || sess.Kind != store.SessionKiosk || sess.Role != store.RoleViewer || sess.KioskID != tk.ID {
		t.Fatalf("exchange = %+v, %v", sess, err)
	}
	clk.add(30 * 24 * time.Hour) // a month untouched: kiosk sessions have no idle timeout
	if got, err := s.Session(ctx, tok); err != nil || got.Name != "Lobby <wall>" {
		t.Fatalf("kiosk session after a month: %+v, %v", got, err)
	}
	list, err := s.KioskTokens(ctx)
	if err != nil || len(list) != 1 || list[0].Sessions != 1 || list[0].LastUsedAt == nil {
		t.Fatalf("tokens = %+v, %v", list, err)
	}
	if _, _, err := s.ExchangeKioskToken(ctx, "smk_wrong", life, "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong token: err %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeKioskToken(ctx, store.Actor{Name: "alice"}, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("kiosk session after revoke: err %v, want ErrNotFound", err)
	}
	if live, err := s.SessionLive(ctx, sess.ID); err != nil || live {
		t.Fatalf("SessionLive after revoke = %v, %v", live, err)
	}
	if _, _, err := s.ExchangeKioskToken(ctx, secret, life, "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked token exchanged: err %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeKioskToken(ctx, store.Actor{Name: "alice"}, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: err %v, want ErrNotFound", err)
	}
}

func TestAuditLogRecordsAccountChanges(t *testing.T) {
	ctx := context.Background()
	s, _ := openWithClock(t)
	u := addUser(t, s, "alice", store.RoleAdmin, "correct horse")
	tok, _, _ := s.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "10.0.0.1", "")
	tk, _, _ := s.CreateKioskToken(ctx, store.Actor{Name: "alice", Address: "10.0.0.1"}, "Lobby")
	s.RevokeKioskToken(ctx, store.Actor{Name: "alice"}, tk.ID)
	s.EndSession(ctx, tok)
	if err := s.Audit(ctx, store.Actor{Name: "mallory", Address: "10.6.6.6"}, store.AuditLoginFailed, "user "+strings.Repeat("m", 5000), ""); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(ctx, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	want := []string{store.AuditLoginFailed, store.AuditLogout, store.AuditTokenRevoke, store.AuditTokenCreate, store.AuditLogin, store.AuditUserCreate}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("audit actions = %v, want %v", actions, want)
	}
	if n := len([]rune(log[0].Subject)); n > 1001 {
		t.Fatalf("subject of %d characters kept; want it clipped", n)
	}
	if log[3].Actor != "alice" || log[3].Address != "10.0.0.1" || !strings.Contains(log[3].Subject, "Lobby") {
		t.Fatalf("token entry = %+v", log[3])
	}
	older, err := s.AuditLog(ctx, 100, log[1].ID)
	if err != nil || len(older) != 4 || older[0].ID != log[2].ID {
		t.Fatalf("paging before %d = %+v, %v", log[1].ID, older, err)
	}
}
