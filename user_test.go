package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/store"
)

// user runs `syncmon user ARGS…` with stdin and returns stdout, stderr and the error.
func user(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "USER" {
			return "ops"
		}
		return ""
	}
	err := run(context.Background(), append([]string{"user"}, args...), env, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestUserAddPasswdListRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "users.db")
	// The database comes from the config; a secret the config names by
	// environment variable need not be set to manage accounts.
	cfg := filepath.Join(dir, "syncmon.yaml")
	doc := "database: " + db + "\ntargets:\n  - name: ma\n    kind: rest\n    url: https://ogg:9011\n    username: u\n    password_env: OGG_PW_NOT_SET\n" +
		"notifications:\n  - name: chat\n    kind: slack\n    url_env: SLACK_URL_NOT_SET\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	if out, errOut, err := user(t, "alice-password\n", "add", "alice", "--role", "admin", "--config", cfg); err != nil || !strings.Contains(out, "added alice (admin)") {
		t.Fatalf("add: %v %q %q", err, out, errOut)
	}
	if _, _, err := user(t, "bob-password\r\n", "add", "--role", "viewer", "--config", cfg, "bob"); err != nil {
		t.Fatalf("add with the name after the flags, CRLF: %v", err)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"duplicate", "whatever-pw\n", []string{"add", "ALICE", "--role", "viewer", "--config", cfg}, 1, "exists"},
		{"no role", "whatever-pw\n", []string{"add", "carol", "--config", cfg}, 2, "--role"},
		{"bad role", "whatever-pw\n", []string{"add", "carol", "--role", "root", "--config", cfg}, 2, "--role"},
		{"short password", "short\n", []string{"add", "carol", "--role", "viewer", "--config", cfg}, 1, "at least 8"},
		{"no password", "", []string{"add", "carol", "--role", "viewer", "--config", cfg}, 1, "no password on stdin"},
		{"bad name", "whatever-pw\n", []string{"add", "a:b", "--role", "viewer", "--config", cfg}, 1, "user name"},
		{"no name", "", []string{"remove", "--config", cfg}, 2, "usage"},
		{"unknown", "", []string{"rename", "x", "--config", cfg}, 2, "unknown user command"},
		{"last admin", "", []string{"remove", "alice", "--config", cfg}, 1, "last admin"},
		{"no such user", "some-password\n", []string{"passwd", "nobody", "--config", cfg}, 1, "not found"},
	} {
		_, errOut, err := user(t, tc.stdin, tc.args...)
		msg := errOut
		if err != nil {
			msg += err.Error()
		}
		if exitCode(err) != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: exit %d (%v) %q; want exit %d saying %q", tc.name, exitCode(err), err, errOut, tc.code, tc.says)
		}
	}

	out, _, err := user(t, "", "list", "--config", cfg)
	if err != nil || !regexp.MustCompile(`(?m)^alice\s+admin\s`).MatchString(out) || !regexp.MustCompile(`(?m)^bob\s+viewer\s`).MatchString(out) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if _, _, err := user(t, "bob-new-password\n", "passwd", "bob", "--database", db); err != nil {
		t.Fatalf("passwd: %v", err)
	}
	if _, _, err := user(t, "", "remove", "alice", "--config", cfg); exitCode(err) != 1 {
		t.Fatalf("removing the last admin: %v", err)
	}
	if out, _, err := user(t, "", "remove", "bob", "--config", cfg); err != nil || !strings.Contains(out, "removed bob") {
		t.Fatalf("remove: %v %q", err, out)
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(context.Background(), "alice", "alice-password"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	if _, err := st.User(context.Background(), "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob after remove: %v", err)
	}
	entries, _ := st.AuditLog(context.Background(), 10, 0)
	if len(entries) != 4 || entries[0].Action != store.AuditUserRemove || entries[1].Action != store.AuditUserPassword || entries[0].Actor != "cli:ops" {
		t.Fatalf("audit = %+v", entries)
	}
}

var adminPasswordRE = regexp.MustCompile(`created the admin account.* password=(\S+)`)

func TestFirstStartCreatesAdminOnceAndPrintsItsPasswordOnce(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "first.db")
	base, logs, stop := startServer(t, "--database", db)
	pw := logs.WaitFor(t, adminPasswordRE, 30*time.Second)
	if strings.Count(logs.String(), pw) != 1 {
		t.Fatalf("the password appears %d times in the log", strings.Count(logs.String(), pw))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"name": {"admin"}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Fatalf("sign in with the printed password: %d", resp.StatusCode)
	}
	// The demo lets anonymous visitors read, never act.
	if resp, err := http.Get(base + "/api/state"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("anonymous read in the demo: %v %v", resp, err)
	}
	resp, err = http.Post(base+"/api/alerts/test", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous test alert in the demo: %v %v, want 401", resp, err)
	}
	stop()

	_, logs2, _ := startServer(t, "--database", db)
	if strings.Contains(logs2.String(), "created the admin account") {
		t.Fatal("a second start created another admin")
	}
}

// With SYNCMON_ADMIN_PASSWORD set, the first start creates admin with that
// password, which then signs in (HTTP Basic) and is never logged.
func TestFirstStartTakesTheAdminPasswordFromTheEnvironment(t *testing.T) {
	t.Parallel()
	const pw = "from the environment 42"
	getenv := func(k string) string {
		if k == "SYNCMON_ADMIN_PASSWORD" {
			return pw
		}
		return os.Getenv(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testutil.Buffer{}
	done := make(chan error, 1)
	args := []string{"serve", "--listen", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "env.db")}
	go func() { done <- run(ctx, args, getenv, strings.NewReader(""), io.Discard, logs) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	addr := logs.WaitFor(t, listeningRE, 30*time.Second)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/alerts/test", strings.NewReader(`{"message":"env admin"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("test alert as admin with the environment's password: %s, want 201", resp.Status)
	}
	if strings.Contains(logs.String(), pw) || !strings.Contains(logs.String(), "SYNCMON_ADMIN_PASSWORD") {
		t.Fatalf("log shows the password, or does not say where admin's came from:\n%s", logs.String())
	}
}

func TestServeHTTPSWithTLSCertAndKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testutil.NewCA(t, "syncmon test https")
	cert, key, _ := ca.Files(t, dir, "syncmon")
	cfg := filepath.Join(dir, "tls.yaml")
	doc := "tls_cert: " + cert + "\ntls_key: " + key + "\ntargets: [{name: demo, kind: simulator}]\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	base, logs, _ := startServer(t, "--config", cfg)
	pw := logs.WaitFor(t, adminPasswordRE, 30*time.Second)
	if !strings.Contains(logs.String(), "scheme=https") {
		t.Fatalf("log does not say https:\n%s", logs.String())
	}
	pool := ca.Pool()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + strings.TrimPrefix(base, "http://") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("https: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	// A config file turns anonymous viewing off: no credentials, no state.
	resp, err = client.Get("https://" + strings.TrimPrefix(base, "http://") + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous /api/state with a config file: %d, want 401", resp.StatusCode)
	}
	// WebSocket over TLS (wss), with the first admin's Basic credentials.
	// Bounds for a hang, not for speed: a Basic sign-in checks bcrypt, which
	// takes seconds under -race on a loaded machine.
	dialer := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 30 * time.Second}
	hdr := http.Header{}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("admin", pw)
	hdr.Set("Authorization", req.Header.Get("Authorization"))
	ws, _, err := dialer.Dial("wss://"+strings.TrimPrefix(base, "http://")+"/ws", hdr)
	if err != nil {
		t.Fatalf("wss: %v", err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.Contains(string(msg), `"type":"hello"`) {
		t.Fatalf("wss first message %s, %v", msg, err)
	}
}

// Issue 12: `syncmon user unlock NAME` lifts a sign-in lock from the host;
// the running server reads the unlock generation from the database.
func TestUserUnlock(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "unlock.db")
	for i := int64(1); i <= 2; i++ {
		out, stderr, err := user(t, "", "unlock", "Alice", "--database", db)
		if err != nil || !strings.Contains(out, "lifted the sign-in locks of Alice") {
			t.Fatalf("user unlock: %v\n%s%s", err, out, stderr)
		}
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		g, err := st.UnlockGeneration(context.Background(), " alice ")
		st.Close()
		if err != nil || g != i {
			t.Fatalf("unlock generation %d (%v), want %d", g, err, i)
		}
	}
	if _, _, err := user(t, "", "unlock", "--database", db); exitCode(err) != 2 {
		t.Fatalf("user unlock without a name: %v, want exit 2", err)
	}
}
