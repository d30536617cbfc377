package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
	"golang.org/x/crypto/bcrypt"
)

// stateCluster is a writer and a non-writer store wired as serve_cluster.go
// wires them, in one process: the writer's commit hook keeps the log (each
// entry's LogJSON), the non-writer forwards commands (through their JSON
// form, which is kept to look for secrets) and applies the log.
type stateCluster struct {
	writer, node *store.Store

	mu       sync.Mutex
	log      [][]byte // the log's entries; seq = index + 1
	commands [][]byte // every command sent, as sent
	down     bool     // no writer answers
}

// newStateCluster wires the two stores; prep, if any, runs first on the
// node's (what it made on its own before it joined).
func newStateCluster(t *testing.T, prep ...func(node *store.Store)) *stateCluster {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c := &stateCluster{writer: mustOpen(t, filepath.Join(dir, "writer.db")), node: mustOpen(t, filepath.Join(dir, "node.db"))}
	for _, p := range prep {
		p(c.node)
	}
	if err := c.node.AdoptEpoch(ctx, c.writer.Epoch()); err != nil {
		t.Fatal(err)
	}
	c.writer.SetCommitHook(func(_ context.Context, events []store.Event) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range events {
			if e.Seq != int64(len(c.log))+1 {
				return errors.New("not the log's next seq")
			}
			c.log = append(c.log, e.LogJSON())
		}
		return nil
	})
	c.node.SetCommitHook(func(context.Context, []store.Event) error {
		return errors.New("this node is not the writer")
	})
	c.node.SetForwarder(func() bool { return false }, c.forward)
	return c
}

func (c *stateCluster) forward(ctx context.Context, cmd store.Command) (store.CommandResult, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return store.CommandResult{}, err
	}
	c.mu.Lock()
	c.commands = append(c.commands, b)
	down := c.down
	c.mu.Unlock()
	if down {
		return store.CommandResult{}, errors.New("nats: no responders available for request")
	}
	var got store.Command
	if err := json.Unmarshal(b, &got); err != nil {
		return store.CommandResult{}, err
	}
	res := c.writer.Execute(ctx, got)
	if err := c.applyAll(ctx); err != nil {
		return res, err
	}
	rb, _ := json.Marshal(res)
	var out store.CommandResult
	return out, json.Unmarshal(rb, &out)
}

// applyAll applies what the node has not applied of the log.
func (c *stateCluster) applyAll(ctx context.Context) error {
	c.mu.Lock()
	entries := append([][]byte(nil), c.log...)
	c.mu.Unlock()
	for i := c.node.Head(); i < int64(len(entries)); i++ {
		if err := c.node.ApplyEvent(ctx, i+1, entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// Every kind of state made through a node that is not the writer is in the
// writer's database and in the node's, the same rows under the same ids:
// users, sessions (sign-in, sign-out, an admin ending a user's sessions),
// kiosk tokens (create, pair, revoke) and silences (create, expire).
func TestStateMadeOnANodeIsAppliedEverywhere(t *testing.T) {
	ctx := context.Background()
	c := newStateCluster(t)
	admin := store.Actor{Name: "root", Role: store.RoleAdmin}
	both := []*store.Store{c.writer, c.node}

	// users: created on the node, both authenticate it
	u, err := c.node.CreateUser(ctx, admin, store.NewUser{Name: "alice", Role: store.RoleViewer, Password: "alice-password", Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.node.CreateUser(ctx, admin, store.NewUser{Name: "bob", Role: store.RoleAdmin, Password: "bob-password", Cost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if got, err := s.Authenticate(ctx, "alice", "alice-password"); err != nil || got.ID != u.ID {
			t.Fatalf("store %d: alice authenticates as %d, %v; want id %d", i, got.ID, err, u.ID)
		}
	}
	if _, err := c.node.CreateUser(ctx, admin, store.NewUser{Name: "ALICE", Role: store.RoleViewer, Password: "x-password"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a taken name through the node: %v, want ErrConflict", err)
	}

	// sessions: signed in through the node, live on both; the browser's
	// previous token ends; sign-out through the node ends it on both
	old, _, err := c.node.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "10.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, sess, err := c.node.StartSession(ctx, u, store.Lifetime{Idle: time.Hour, Max: 8 * time.Hour}, "10.0.0.1", old)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if got, err := s.Session(ctx, tok); err != nil || got.ID != sess.ID || got.Name != "alice" {
			t.Fatalf("store %d: session %+v, %v; want id %d of alice", i, got, err, sess.ID)
		}
		if _, err := s.Session(ctx, old); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("store %d: the replaced session: %v, want ErrNotFound", i, err)
		}
	}
	if _, err := c.node.EndSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := c.node.EndSession(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ending it again: %v, want ErrNotFound", err)
	}
	tok2, _, err := c.node.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := c.node.EndUserSessions(ctx, admin, "alice"); err != nil || n != 1 {
		t.Fatalf("end alice's sessions: %d, %v; want 1", n, err)
	}
	for i, s := range both {
		for _, k := range []string{tok, tok2} {
			if _, err := s.Session(ctx, k); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("store %d: an ended session: %v, want ErrNotFound", i, err)
			}
		}
	}

	// kiosk tokens: made and paired through the node, revoked through it
	kt, secret, err := c.node.CreateKioskToken(ctx, admin, "Lobby")
	if err != nil {
		t.Fatal(err)
	}
	ktok, _, err := c.node.ExchangeKioskToken(ctx, secret, store.Lifetime{Max: time.Hour}, "10.0.0.9", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if got, err := s.Session(ctx, ktok); err != nil || got.Kind != store.SessionKiosk || got.Name != "Lobby" {
			t.Fatalf("store %d: kiosk session %+v, %v", i, got, err)
		}
	}
	if _, err := c.node.RevokeKioskToken(ctx, admin, kt.ID); err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if _, err := s.Session(ctx, ktok); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("store %d: a revoked kiosk's session: %v, want ErrNotFound", i, err)
		}
		if list, err := s.KioskTokens(ctx); err != nil || len(list) != 1 || list[0].RevokedAt == nil {
			t.Fatalf("store %d: kiosk tokens %+v, %v; want one, revoked", i, list, err)
		}
	}
	if _, _, err := c.node.ExchangeKioskToken(ctx, secret, store.Lifetime{Max: time.Hour}, "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pairing a revoked token: %v, want ErrNotFound", err)
	}

	// silences: made through the node, it silences on the writer
	record(t, c.writer, abended("east", "REP1"))
	if err := c.applyAll(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	sl, err := c.node.CreateSilence(ctx, admin, monitor.Silence{Target: "east", Start: now.Add(-time.Minute), End: now.Add(time.Hour), Comment: "maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		list, err := s.Silences(ctx, true)
		if err != nil || len(list) != 1 || list[0].ID != sl.ID || list[0].Creator != "root" {
			t.Fatalf("store %d: silences %+v, %v; want silence %d by root", i, list, err, sl.ID)
		}
		active, err := s.Alerts(ctx, store.AlertFilter{State: "active"})
		if err != nil || len(active) != 1 || !active[0].Silenced {
			t.Fatalf("store %d: active alerts %+v, %v; want one, silenced", i, active, err)
		}
	}
	if err := c.node.ExpireSilence(ctx, admin, sl.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.node.ExpireSilence(ctx, admin, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expire an unknown silence: %v, want ErrNotFound", err)
	}
	for i, s := range both {
		if list, err := s.Silences(ctx, true); err != nil || len(list) != 0 {
			t.Fatalf("store %d: active silences %+v, %v; want none", i, list, err)
		}
	}

	// users: password change and removal through the node
	if err := c.node.SetPassword(ctx, admin, "alice", "new-password", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if _, err := s.Authenticate(ctx, "alice", "new-password"); err != nil {
			t.Fatalf("store %d: the new password: %v", i, err)
		}
	}
	if _, err := c.node.RemoveUser(ctx, admin, "alice"); err != nil {
		t.Fatal(err)
	}
	for i, s := range both {
		if _, err := s.User(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("store %d: a removed user: %v, want ErrNotFound", i, err)
		}
		if audit, err := s.AuditLog(ctx, 100, 0); err != nil || !hasAudit(audit, store.AuditUserRemove, "user alice") {
			t.Fatalf("store %d: audit log without the removal: %v", i, err)
		}
	}
	if c.node.Head() != c.writer.Head() {
		t.Fatalf("node at seq %d, writer at %d", c.node.Head(), c.writer.Head())
	}
	wb, nb := eventBodies(t, c.writer), eventBodies(t, c.node)
	if !bytes.Equal(wb, nb) {
		t.Fatalf("the two event logs differ:\n%s\n%s", wb, nb)
	}
}

func hasAudit(list []store.AuditEntry, action, subject string) bool {
	for _, e := range list {
		if e.Action == action && e.Subject == subject {
			return true
		}
	}
	return false
}

func eventBodies(t *testing.T, s *store.Store) []byte {
	t.Helper()
	events, err := s.EventsAfter(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, e := range events {
		b.Write(e.JSON())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// No secret a client holds leaves the node it reached: not in a command,
// not in the log. Screens (the events table, which /events, /ws and /poll
// serve, and the feed) get a state.changed event with nothing but its seq,
// type and time, not even the hashes the log carries.
func TestStateSecretsNeverOnTheWire(t *testing.T) {
	ctx := context.Background()
	c := newStateCluster(t)
	sub, _, err := c.node.Subscribe(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var (
		mu   sync.Mutex
		told [][]byte
	)
	sub.Start(func(e store.Event) bool { mu.Lock(); told = append(told, e.JSON()); mu.Unlock(); return true })

	admin := store.Actor{Name: "root"}
	u, err := c.node.CreateUser(ctx, admin, store.NewUser{Name: "carol", Role: store.RoleViewer, Password: "carol-secret-pw", Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := c.node.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := c.node.CreateKioskToken(ctx, admin, "Wall")
	if err != nil {
		t.Fatal(err)
	}
	ktok, _, err := c.node.ExchangeKioskToken(ctx, secret, store.Lifetime{Max: time.Hour}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"carol-secret-pw", tok, secret, ktok}

	c.mu.Lock()
	sent := bytes.Join(c.commands, []byte("\n"))
	logged := bytes.Join(c.log, []byte("\n"))
	c.mu.Unlock()
	for _, s := range secrets {
		if bytes.Contains(sent, []byte(s)) || bytes.Contains(logged, []byte(s)) {
			t.Fatalf("secret %q went to the writer or into the log", s)
		}
	}
	if !bytes.Contains(logged, []byte(`"password_hash":"$2a$`)) || !bytes.Contains(logged, []byte(`"token_hash":"`)) {
		t.Fatalf("the log does not carry the hashes the tables keep:\n%s", logged)
	}

	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return int64(len(told)) == c.node.Head() })
	mu.Lock()
	wire := bytes.Join(told, []byte("\n"))
	mu.Unlock()
	for _, s := range []*store.Store{c.writer, c.node} {
		wire = append(append(wire, '\n'), bytes.TrimSpace(eventBodies(t, s))...)
	}
	for _, bad := range []string{`"state"`, "hash", "$2a$", "carol", "Wall", "token"} {
		if bytes.Contains(wire, []byte(bad)) {
			t.Fatalf("the wire form holds %q:\n%s", bad, wire)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(wire)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != store.TypeStateChanged || len(m) != 3 {
			t.Fatalf("wire event %s: want only seq, type %s and at", line, store.TypeStateChanged)
		}
	}
}

// A single node (no commit hook) records no state.changed event: its log
// holds what it held before clusters existed.
func TestSingleNodeRecordsNoStateEvents(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "one.db"))
	u, err := s.CreateUser(ctx, store.Actor{Name: "root"}, store.NewUser{Name: "dave", Role: store.RoleViewer, Password: "dave-password", Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateKioskToken(ctx, store.Actor{Name: "root"}, "Lobby"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := s.CreateSilence(ctx, store.Actor{Name: "root"}, monitor.Silence{Rule: "lag", Start: now, End: now.Add(time.Hour), Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	if s.Head() != 0 {
		t.Fatalf("head %d after account, session, token and silence writes, want 0", s.Head())
	}
}

// With no writer answering, every forwarded command fails with
// ErrUnavailable (handlers answer 503), and nothing changed on the node.
func TestForwardedCommandWithoutWriterIsUnavailable(t *testing.T) {
	ctx := context.Background()
	c := newStateCluster(t)
	c.mu.Lock()
	c.down = true
	c.mu.Unlock()
	admin := store.Actor{Name: "root"}
	now := time.Now()
	calls := map[string]func() error{
		"ack":        func() error { _, err := c.node.Ack(ctx, admin, 1, ""); return err },
		"test alert": func() error { _, _, err := c.node.CreateTestAlert(ctx, admin, "x"); return err },
		"create user": func() error {
			_, err := c.node.CreateUser(ctx, admin, store.NewUser{Name: "eve", Role: "viewer", Password: "eve-password", Cost: bcrypt.MinCost})
			return err
		},
		"sign in": func() error {
			_, _, err := c.node.StartSession(ctx, store.User{ID: 1, Name: "x"}, store.Lifetime{Max: time.Hour}, "", "")
			return err
		},
		"sign out":    func() error { _, err := c.node.EndSession(ctx, "whatever"); return err },
		"kiosk token": func() error { _, _, err := c.node.CreateKioskToken(ctx, admin, "Lobby"); return err },
		"kiosk pair": func() error {
			_, _, err := c.node.ExchangeKioskToken(ctx, "smk_x", store.Lifetime{Max: time.Hour}, "", "")
			return err
		},
		"silence": func() error {
			_, err := c.node.CreateSilence(ctx, admin, monitor.Silence{Rule: "lag", Start: now, End: now.Add(time.Hour), Comment: "x"})
			return err
		},
		"expire":       func() error { return c.node.ExpireSilence(ctx, admin, 1) },
		"remove user":  func() error { _, err := c.node.RemoveUser(ctx, admin, "eve"); return err },
		"revoke kiosk": func() error { _, err := c.node.RevokeKioskToken(ctx, admin, 1); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
	if n, err := c.node.CountUsers(ctx); err != nil || n != 0 || c.node.Head() != 0 {
		t.Fatalf("node changed: %d users (%v), head %d", n, err, c.node.Head())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An account a node made on its own (the command line, its first admin)
// gives way to the log's: the same name under another id is replaced, the
// same id is overwritten, and the node's own sessions of it end.
func TestLogAccountsWinOverLocalOnes(t *testing.T) {
	ctx := context.Background()
	var localTok string
	c := newStateCluster(t, func(node *store.Store) {
		if _, err := node.CreateUser(ctx, store.Actor{Name: "cli"}, store.NewUser{Name: "spare", Role: store.RoleViewer, Password: "spare-password", Cost: bcrypt.MinCost}); err != nil {
			t.Fatal(err)
		}
		u, err := node.CreateUser(ctx, store.Actor{Name: "cli"}, store.NewUser{Name: "ops", Role: store.RoleViewer, Password: "local-password", Cost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		if localTok, _, err = node.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "", ""); err != nil {
			t.Fatal(err)
		}
	})
	// On the writer "ops" becomes id 1, which the node holds as "spare",
	// while the node holds "ops" as id 2.
	if _, err := c.writer.CreateUser(ctx, store.Actor{Name: "root"}, store.NewUser{Name: "ops", Role: store.RoleAdmin, Password: "log-password", Cost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	if err := c.applyAll(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := c.node.Authenticate(ctx, "ops", "log-password")
	if err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("ops on the node: %+v, %v; want the log's admin", u, err)
	}
	if _, err := c.node.Session(ctx, localTok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the local ops's session: %v, want ErrNotFound", err)
	}
	if users, err := c.node.Users(ctx); err != nil || len(users) != 1 {
		t.Fatalf("node's users %+v, %v; want only the log's ops", users, err)
	}
}
