package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Accounts, sessions, kiosk tokens and silences made through any node of
// three real processes: each is forwarded to the writer, carried on the
// log and applied by every node (docs/CLUSTER.md). The routes go over TLS
// (cluster.tls_cert, tls_key, tls_ca), so this is also the test that the
// log, the lease and forwarded commands work over them.
func TestClusterStateFromAnyNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	nodes := startClusterWith(t, 3, clusterOpts{routeTLS: true})
	writer := agreedWriter(t, nodes, 90*time.Second)
	// TLS from the first byte: a plain TCP peer gets nothing in clear.
	for _, n := range nodes {
		c, err := net.DialTimeout("tcp", n.route, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		_, _ = c.Write([]byte("CONNECT {}\r\nPING\r\n"))
		got, _ := io.ReadAll(c)
		c.Close()
		if strings.Contains(string(got), "INFO") || strings.Contains(string(got), "PONG") {
			t.Fatalf("%s's routes answered a plain TCP peer in clear: %q", n.name, got)
		}
	}
	var others []*clusterNode
	for _, n := range nodes {
		if n != writer {
			others = append(others, n)
		}
	}
	a, b, c := others[0], others[1], writer

	// A silence made on a node that is not the writer: listed on every
	// node, and the writer's engine silences the alert it covers (the
	// simulator's REPLICAT REP1 abends 20 s into each tenure's scenario).
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"target":"demo","group":"REP1","start":%q,"end":%q,"comment":"made on %s"}`,
		now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), a.name)
	resp, got := basicDo(t, http.MethodPost, a.base+"/api/silences", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("silence on %s: %s %s", a.name, resp.Status, got)
	}
	// The node that took it answers once it has applied it; the others
	// apply the log on their own time.
	if list := httpGet(t, a.base+"/api/silences"); !strings.Contains(list, "made on "+a.name) {
		t.Fatalf("%s does not list the silence it answered 201 for: %s", a.name, list)
	}
	for _, n := range nodes {
		waitUntil(t, 20*time.Second, n.name+" lists the silence made on "+a.name, func() (bool, string) {
			list := httpGet(t, n.base+"/api/silences")
			return strings.Contains(list, "made on "+a.name), list
		})
	}
	for _, n := range []*clusterNode{c, a, b} {
		waitUntil(t, 120*time.Second, "REP1's alert silenced on "+n.name, func() (bool, string) {
			list := httpGet(t, n.base+"/api/alerts?state=active")
			var ans struct {
				Alerts []struct {
					Group    string `json:"group"`
					Silenced bool   `json:"silenced"`
				} `json:"alerts"`
			}
			if err := json.Unmarshal([]byte(list), &ans); err != nil {
				t.Fatalf("%s: %v: %s", n.name, err, list)
			}
			for _, al := range ans.Alerts {
				if al.Group == "REP1" && al.Silenced {
					return true, ""
				}
			}
			return false, list
		})
	}

	// A session made by signing in on A is accepted on B and C; signing
	// out on B ends it on A.
	sess := signIn(t, a, "admin", "cluster-test-pw")
	caughtUp(t, a, nodes)
	for _, n := range nodes {
		if code := pageStatus(t, n, "/users", sess); code != http.StatusOK {
			t.Fatalf("the session made on %s, on %s: GET /users %d, want 200", a.name, n.name, code)
		}
	}
	// The sign-out is posted to B as a browser that sends no Sec-Fetch-Site,
	// with the form token of a page loaded from A: every node derives its
	// CSRF key from the cluster secret.
	code, usersPage := getWith(t, a, "/users", sess)
	tok := regexp.MustCompile(`name="_csrf" value="([^"]*)"`).FindStringSubmatch(usersPage)
	if code != http.StatusOK || tok == nil {
		t.Fatalf("/users on %s: %d, form token found: %v", a.name, code, tok != nil)
	}
	logout, _ := http.NewRequest(http.MethodPost, b.base+"/logout", strings.NewReader(url.Values{"_csrf": {tok[1]}}.Encode()))
	logout.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	logout.AddCookie(&http.Cookie{Name: "syncmon_session", Value: sess})
	if resp, body := noRedirect(t, logout); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on %s with the form token of %s: %s %s", b.name, a.name, resp.Status, body)
	}
	for _, n := range nodes {
		waitUntil(t, 15*time.Second, "the session ended on "+n.name, func() (bool, string) {
			code := pageStatus(t, n, "/users", sess)
			return code != http.StatusOK, fmt.Sprint(code)
		})
	}

	// A user created on C signs in on A.
	admC := signIn(t, c, "admin", "cluster-test-pw")
	resp, _ = formPost(t, c, "/users", url.Values{"name": {"ops"}, "role": {"admin"}, "password": {"ops-password-1"}}, admC)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create user on %s: %s", c.name, resp.Status)
	}
	// C answered once it had applied the new account; A applies the log on
	// its own time (milliseconds, more on a busy machine).
	caughtUp(t, c, nodes)
	start := time.Now()
	ops := signIn(t, a, "ops", "ops-password-1")
	t.Logf("sign-in on %s (not the writer), forwarded and applied: %s", a.name, time.Since(start).Round(time.Millisecond))
	caughtUp(t, a, nodes)
	if code := pageStatus(t, b, "/users", ops); code != http.StatusOK {
		t.Fatalf("ops's session on %s: %d", b.name, code)
	}

	// A kiosk token made on B (not the writer) pairs a display on C, and
	// that display's session works on A.
	admB := signIn(t, b, "admin", "cluster-test-pw")
	resp, page := formPost(t, b, "/tokens", url.Values{"name": {"Lobby wall"}}, admB)
	secret := regexp.MustCompile(`smk_[A-Za-z0-9_-]+`).FindString(page)
	if resp.StatusCode != http.StatusOK || secret == "" {
		t.Fatalf("kiosk token on %s: %s, secret found: %v", b.name, resp.Status, secret != "")
	}
	caughtUp(t, b, nodes)
	req, _ := http.NewRequest(http.MethodGet, c.base+"/kiosk/pair?token="+url.QueryEscape(secret), nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	resp, _ = noRedirect(t, req)
	kiosk := cookieOf(resp, "syncmon_session")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk" || kiosk == "" {
		t.Fatalf("pairing on %s with the token made on %s: %s to %q", c.name, b.name, resp.Status, resp.Header.Get("Location"))
	}
	caughtUp(t, c, nodes)
	hdr := http.Header{"Cookie": {"syncmon_session=" + kiosk}}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.base, "http")+"/ws", hdr)
	if err != nil {
		t.Fatalf("the kiosk's screen on %s: %v", a.name, err)
	}
	defer ws.Close()
	if w := readRaw(t, ws, 10*time.Second); w.Type != "hello" {
		t.Fatalf("the kiosk's screen on %s: first message %+v", a.name, w)
	}
	waitUntil(t, 30*time.Second, "the kiosk's screen on "+a.name+"'s /screens", func() (bool, string) {
		_, screens := getWith(t, a, "/screens", admB)
		return strings.Contains(screens, "Lobby wall"), "not listed"
	})
	_, tokens := getWith(t, a, "/tokens", admB)
	if strings.Contains(tokens, secret) || strings.Contains(httpGet(t, a.base+"/poll?since=0&wait=0"), "smk_") {
		t.Fatal("a kiosk token's secret is shown after its creation")
	}

	// No writer (two nodes killed: no quorum): a command answers 503 on
	// the survivor, never 500.
	c.kill(t)
	b.kill(t)
	silence := fmt.Sprintf(`{"rule":"lag","start":%q,"end":%q,"comment":"no writer"}`,
		now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	for path, body := range map[string]string{"/api/alerts/test": `{"message":"no writer"}`, "/api/silences": silence} {
		waitUntil(t, 90*time.Second, path+" answered 503 on "+a.name, func() (bool, string) {
			resp, got := basicDo(t, http.MethodPost, a.base+path, body)
			switch resp.StatusCode {
			case http.StatusServiceUnavailable:
				if !strings.Contains(got, "no writer") || resp.Header.Get("Retry-After") == "" {
					t.Fatalf("503 without its message or Retry-After: %s", got)
				}
				return true, ""
			case http.StatusCreated:
				return false, resp.Status // the old writer's last moments
			}
			t.Fatalf("%s without a writer: %s %s, want 503", path, resp.Status, got)
			return false, ""
		})
	}
}

// caughtUp waits until every node has applied what from has: a client
// sent on to another node right after from answered finds its change
// there (the nodes apply the log independently, milliseconds apart).
func caughtUp(t *testing.T, from *clusterNode, nodes []*clusterNode) {
	t.Helper()
	applied := func(n *clusterNode) int64 {
		st, err := n.status()
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		for _, m := range st.Nodes {
			if m.Name == n.name {
				return m.AppliedSeq
			}
		}
		return -1
	}
	want := applied(from)
	for _, n := range nodes {
		waitUntil(t, 30*time.Second, n.name+" applied up to seq "+fmt.Sprint(want), func() (bool, string) {
			got := applied(n)
			return got >= want, fmt.Sprint(got)
		})
	}
}

// basicDo sends a JSON request as the admin (HTTP Basic).
func basicDo(t *testing.T, method, u, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "cluster-test-pw")
	return noRedirect(t, req)
}

// noRedirect does req, not following redirects, and reads the body.
func noRedirect(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	cl := &http.Client{Timeout: 40 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// formPost posts a form as a browser on the same origin would, with the
// session cookie sess.
func formPost(t *testing.T, n *clusterNode, path string, form url.Values, sess string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if sess != "" {
		req.AddCookie(&http.Cookie{Name: "syncmon_session", Value: sess})
	}
	return noRedirect(t, req)
}

// signIn signs in on n and returns the session cookie.
func signIn(t *testing.T, n *clusterNode, name, password string) string {
	t.Helper()
	resp, body := formPost(t, n, "/login", url.Values{"name": {name}, "password": {password}}, "")
	sess := cookieOf(resp, "syncmon_session")
	if resp.StatusCode != http.StatusSeeOther || sess == "" {
		t.Fatalf("sign in as %s on %s: %s %s", name, n.name, resp.Status, body)
	}
	return sess
}

func cookieOf(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

func getWith(t *testing.T, n *clusterNode, path, sess string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.base+path, nil)
	req.AddCookie(&http.Cookie{Name: "syncmon_session", Value: sess})
	resp, body := noRedirect(t, req)
	return resp.StatusCode, body
}

// pageStatus is the status of an admin page fetched with the session.
func pageStatus(t *testing.T, n *clusterNode, path, sess string) int {
	t.Helper()
	code, _ := getWith(t, n, path, sess)
	return code
}
