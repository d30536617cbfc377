package handlers_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
	"golang.org/x/crypto/bcrypt"
)

var csrfFieldRE = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// oldBrowserPage fetches a page as a browser that sends no Sec-Fetch-Site
// and returns the pre-session cookie (none with a session: the token is
// derived from the session) and the token in the page's forms.
func (ts *authServer) oldBrowserPage(t testing.TB, path, session string) (csrfCookie, token, body string) {
	t.Helper()
	resp, body := ts.do(t, ts.request(t, http.MethodGet, path, "", "", creds{cookie: session}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "syncmon_csrf" {
			csrfCookie = c.Value
		}
	}
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil || len(m[1]) < 40 || m[1] == csrfCookie {
		t.Fatalf("GET %s: csrf cookie %q, form token %v", path, csrfCookie, m)
	}
	return csrfCookie, m[1], body
}

// cookieNamed returns the last cookie of that name the response sets: the
// one a browser keeps.
func cookieNamed(resp *http.Response, name string) *http.Cookie {
	var last *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == name {
			last = c
		}
	}
	return last
}

func (ts *authServer) status(t testing.TB, method, path string, c creds) int {
	t.Helper()
	resp, _ := ts.do(t, ts.request(t, method, path, "", "", c))
	return resp.StatusCode
}

func TestLoginRotatesSessionAndLogoutEndsIt(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	old := ts.session(t, "vera") // signed in as vera; adam signs in on the same browser
	for _, planted := range []string{old, "attacker-chose-this-id"} {
		csrf, token, _ := ts.oldBrowserPage(t, "/login?next=/screens", planted)
		req := ts.request(t, http.MethodPost, "/login", url.Values{"name": {"adam"}, "password": {passwords["adam"]}, "next": {"/screens"}, "_csrf": {token}}.Encode(),
			"application/x-www-form-urlencoded", creds{cookie: planted})
		req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: csrf})
		resp, body := ts.do(t, req)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/screens" {
			t.Fatalf("sign-in: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		ck := cookieNamed(resp, "syncmon_session")
		if ck == nil || ck.Value == "" || ck.Value == planted {
			t.Fatalf("session cookie %+v: want a new id, not %q", ck, planted)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge != 0 {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP, a browser-session cookie", ck)
		}
		if len(ck.Value) < 40 {
			t.Fatalf("session id %q: want at least 256 bits", ck.Value)
		}
		if got := ts.status(t, http.MethodGet, "/api/state", creds{cookie: planted}); got != http.StatusUnauthorized {
			t.Fatalf("the id held before sign-in: /api/state %d, want 401", got)
		}
		if got := ts.status(t, http.MethodGet, "/screens", creds{cookie: ck.Value, browser: true}); got != http.StatusOK {
			t.Fatalf("new session: /screens %d, want 200", got)
		}
		old = ck.Value
	}

	// Sign-out ends the session on the server: the cookie replayed is dead.
	resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/logout", "", "", creds{cookie: old, browser: true}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?signed_out=1" {
		t.Fatalf("sign-out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if ck := cookieNamed(resp, "syncmon_session"); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("sign-out cookie %+v: want it deleted", ck)
	}
	if got := ts.status(t, http.MethodGet, "/api/state", creds{cookie: old}); got != http.StatusUnauthorized {
		t.Fatalf("after sign-out: /api/state %d, want 401", got)
	}
	var actions []string
	entries, _ := ts.Store.AuditLog(context.Background(), 10, 0)
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions[:3], ","); got != "logout,login,login" {
		t.Fatalf("audit = %v, want logout, login, login first", actions)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) {
		o.Auth.SessionIdle, o.Auth.SessionMax = 30*time.Minute, 2*time.Hour
	})
	signIn := func() string {
		resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/login", url.Values{"name": {"vera"}, "password": {passwords["vera"]}}.Encode(),
			"application/x-www-form-urlencoded", creds{browser: true}))
		ck := cookieNamed(resp, "syncmon_session")
		if ck == nil {
			t.Fatalf("sign-in: %d, no cookie", resp.StatusCode)
		}
		return ck.Value
	}
	tok := signIn()
	for i := range 4 { // used every 25 minutes: alive past the idle timeout
		ts.Clock.Add(25 * time.Minute)
		if got := ts.status(t, http.MethodGet, "/api/state", creds{cookie: tok}); got != http.StatusOK {
			t.Fatalf("at +%v: %d, want 200", time.Duration(i+1)*25*time.Minute, got)
		}
	}
	ts.Clock.Add(21 * time.Minute) // 2 h 1 min after sign-in, 21 min after the last use
	if got := ts.status(t, http.MethodGet, "/api/state", creds{cookie: tok}); got != http.StatusUnauthorized {
		t.Fatalf("past session_max: %d, want 401", got)
	}
	tok = signIn()
	ts.Clock.Add(31 * time.Minute)
	resp, _ := ts.do(t, ts.request(t, http.MethodGet, "/", "", "", creds{cookie: tok, browser: true}))
	if outcome(resp) != "L" {
		t.Fatalf("idle past session_idle: / answered %d %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginRateLimitedPerAccountAndAddress(t *testing.T) {
	ts := newAuthServer(t, false, nil) // 5 per account, 20 per address, 15 minutes
	login := func(name, pw string) (*http.Response, string) {
		return ts.do(t, ts.request(t, http.MethodPost, "/login", url.Values{"name": {name}, "password": {pw}}.Encode(),
			"application/x-www-form-urlencoded", creds{browser: true}))
	}
	for i := range 5 {
		if resp, body := login("vera", "guess"+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
			t.Fatalf("failure %d: %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := login("vera", passwords["vera"])
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins for this account or from this address. Try again in 15 minutes.") {
		t.Fatalf("6th attempt, right password: %d, want 429 with the reason\n%s", resp.StatusCode, body)
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if got := ts.status(t, http.MethodGet, "/api/state", creds{user: "vera", pass: passwords["vera"]}); got != http.StatusTooManyRequests {
		t.Fatalf("Basic credentials of the locked account: %d, want 429", got)
	}
	if resp, _ := login("adam", passwords["adam"]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account from the same address: %d, want 303", resp.StatusCode)
	}
	// The address: 20 failures over any accounts.
	for _, name := range []string{"tess", ts.throwawayUser(t), ts.throwawayUser(t)} {
		for range 5 {
			if resp, _ := login(name, "guess"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: %d, want 401", name, resp.StatusCode)
			}
		}
	}
	if resp, _ := login("adam", passwords["adam"]); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from the address: %d, want 429", resp.StatusCode)
	}
	ts.Clock.Add(16 * time.Minute)
	for _, name := range []string{"adam", "vera"} {
		if resp, _ := login(name, passwords[name]); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s after the window: %d, want 303", name, resp.StatusCode)
		}
	}
	failed := 0
	entries, _ := ts.Store.AuditLog(context.Background(), 100, 0)
	for _, e := range entries {
		if e.Action == store.AuditLoginFailed {
			failed++
			if e.Address != "10.0.0.5" {
				t.Fatalf("audit address %q", e.Address)
			}
		}
	}
	if failed != 20 {
		t.Fatalf("%d failed sign-ins in the audit log, want 20 (refused attempts are not checked)", failed)
	}
}

func TestCSRFRefusesAckWithoutOrWithWrongToken(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	admin := ts.session(t, "adam")
	id := ts.openAlert(t)
	path := fmt.Sprintf("/alerts/%d", id)
	csrf, token, _ := ts.oldBrowserPage(t, path, admin)
	_, otherToken, _ := ts.oldBrowserPage(t, path, ts.session(t, "adam"))
	// Issue 12: a tossed pre-session cookie with its own token (the pair an
	// attacker can plant) must not pass for a signed-in session.
	visitorCookie, visitorToken, _ := ts.oldBrowserPage(t, "/login", "")
	post := func(body string, contentType string, hdr map[string]string, withCSRFCookie bool, cookies ...string) int {
		req := ts.request(t, http.MethodPost, path+"/ack", body, contentType, creds{cookie: admin})
		if withCSRFCookie {
			req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: csrf})
		}
		for _, v := range cookies {
			req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: v})
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, _ := ts.do(t, req)
		return resp.StatusCode
	}
	formBody := func(tok string) string {
		v := url.Values{"comment": {"forged"}}
		if tok != "" {
			v.Set("_csrf", tok)
		}
		return v.Encode()
	}
	const formType = "application/x-www-form-urlencoded"
	refused := []struct {
		name string
		code int
	}{
		{"no token", post(formBody(""), formType, nil, true)},
		{"wrong token", post(formBody("0123456789abcdef0123456789abcdef"), formType, nil, true)},
		{"another session's token", post(formBody(otherToken), formType, nil, true)},
		{"a planted pre-session cookie and its token", post(formBody(visitorToken), formType, nil, false, visitorCookie)},
		{"Sec-Fetch-Site dummy token", post(formBody("_echo_csrf_using_sec_fetch_site_"), formType, nil, true)},
		{"cross-site with the token", post(formBody(token), formType, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, true)},
		{"same-site with a wrong token", post(formBody("wrong"), formType, map[string]string{"Sec-Fetch-Site": "same-site"}, true)},
		{"same-site with a planted pair", post(formBody(visitorToken), formType, map[string]string{"Sec-Fetch-Site": "same-site"}, false, visitorCookie)},
	}
	for _, r := range refused {
		if r.code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", r.name, r.code)
		}
	}
	// Issue 12: multipart is refused before any form parsing (415), token or not.
	if code := post("--x\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n"+token+"\r\n--x--\r\n", "multipart/form-data; boundary=x", nil, false); code != http.StatusUnsupportedMediaType {
		t.Errorf("multipart ack with the token: %d, want 415", code)
	}
	// The JSON API, with the session cookie: the token is a header.
	apiPath := fmt.Sprintf("/api/alerts/%d/ack", id)
	for name, hdr := range map[string]string{"no header": "", "wrong header": "nope"} {
		req := ts.request(t, http.MethodPost, apiPath, `{"comment":"forged"}`, "application/json", creds{cookie: admin})
		req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: csrf})
		if hdr != "" {
			req.Header.Set("X-CSRF-Token", hdr)
		}
		if resp, _ := ts.do(t, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("JSON ack with a session, %s: %d, want 403", name, resp.StatusCode)
		}
	}
	// Basic credentials sent with a foreign Origin (a browser that cached them) need the token too.
	req := ts.request(t, http.MethodPost, apiPath, `{"comment":"forged"}`, "application/json", creds{user: "adam", pass: passwords["adam"]})
	req.Header.Set("Origin", "http://evil.example")
	if resp, _ := ts.do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("JSON ack, Basic credentials from a foreign page: %d, want 403", resp.StatusCode)
	}

	a, err := ts.Store.Alert(context.Background(), id)
	if err != nil || a.State != monitor.StateOpen || a.Comment != nil {
		t.Fatalf("after refused acks the alert is %+v (%v), want it open and untouched", a, err)
	}
	entries, _ := ts.Store.AuditLog(context.Background(), 100, 0)
	for _, e := range entries {
		if e.Action == store.AuditAck {
			t.Fatalf("refused ack in the audit log: %+v", e)
		}
	}

	// The real form: cookie and token.
	if code := post(url.Values{"comment": {"on it"}, "_csrf": {token}}.Encode(), formType, nil, true); code != http.StatusSeeOther {
		t.Fatalf("ack with the token: %d, want 303", code)
	}
	a, _ = ts.Store.Alert(context.Background(), id)
	if a.State != monitor.StateAcked || *a.AckedBy != "adam" {
		t.Fatalf("alert after ack: %+v", a)
	}
	entries, _ = ts.Store.AuditLog(context.Background(), 1, 0)
	if len(entries) != 1 || entries[0].Action != store.AuditAck || entries[0].Actor != "adam" || entries[0].Detail != "on it" || entries[0].Subject != fmt.Sprintf("alert %d", id) {
		t.Fatalf("audit = %+v", entries)
	}
	// A modern browser's page carries a real token too, so its form works
	// when a proxy strips Sec-Fetch-Site from the POST.
	id2 := ts.openAlert(t)
	resp, body := ts.do(t, ts.request(t, http.MethodGet, fmt.Sprintf("/alerts/%d", id2), "", "", creds{cookie: admin, browser: true}))
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil || m[1] != token || resp.StatusCode != http.StatusOK {
		t.Fatalf("page for a browser with Sec-Fetch-Site: token %v, want the session's %q", m, token)
	}
	req = ts.request(t, http.MethodPost, fmt.Sprintf("/alerts/%d/ack", id2), url.Values{"comment": {"ok"}, "_csrf": {m[1]}}.Encode(), formType, creds{cookie: admin})
	if resp, _ := ts.do(t, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ack without Sec-Fetch-Site, with the page's token: %d, want 303", resp.StatusCode)
	}
	// A script with Basic credentials and no Origin needs no token.
	req = ts.request(t, http.MethodPost, fmt.Sprintf("/api/alerts/%d/unack", id), ``, "application/json", creds{user: "adam", pass: passwords["adam"]})
	if resp, body := ts.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("unack by a script: %d %s", resp.StatusCode, body)
	}
}

func TestOriginCheckedOnEventTransportsWhateverTheCredentials(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) { o.AllowedOrigins = []string{"https://wall.example:8443"} })
	admin := ts.session(t, "adam")
	for _, path := range []string{"/ws", "/events", "/poll?wait=0"} {
		for _, tc := range []struct {
			origin string
			c      creds
			want   string
		}{
			{"http://evil.example", creds{cookie: admin}, "403"},
			{"null", creds{cookie: admin}, "403"},
			{"http://evil.example", creds{user: "adam", pass: passwords["adam"]}, "403"},
			{strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), creds{cookie: admin}, "403"},
			{ts.URL, creds{cookie: admin}, "ok"},
			{"https://wall.example:8443", creds{cookie: admin}, "ok"},
			{"", creds{user: "adam", pass: passwords["adam"]}, "ok"},
		} {
			want := tc.want
			if want == "ok" {
				want = "200"
				if path == "/ws" {
					want = "101"
				}
			}
			req := ts.request(t, http.MethodGet, path, "", "", tc.c)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			got := ts.hitRequest(t, path, req)
			if got != want {
				t.Errorf("%s from Origin %q: %s, want %s", path, tc.origin, got, want)
			}
		}
	}
}

// hitRequest sends req to an event transport and returns its status.
func (ts *authServer) hitRequest(t *testing.T, path string, req *http.Request) string {
	t.Helper()
	if strings.HasPrefix(path, "/ws") {
		u := "ws" + strings.TrimPrefix(ts.URL, "http") + req.URL.RequestURI()
		conn, resp, err := websocket.DefaultDialer.Dial(u, req.Header)
		if err == nil {
			conn.Close()
		}
		if resp == nil {
			t.Fatalf("websocket: %v", err)
		}
		return strconv.Itoa(resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := ts.client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	for _, path := range []string{"/login", "/api/state", "/no-such-page", "/healthz"} {
		resp, body := ts.do(t, ts.request(t, http.MethodGet, path, "", "", creds{}))
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline code", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
		if strings.Contains(body, "<script>") && !strings.Contains(body, `<script src="/static/`) {
			t.Errorf("%s: an inline script in the page", path)
		}
	}
}

func TestHTTPSCookiesAreSecureHostPrefixedWithHSTS(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tls.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(context.Background(), store.Actor{Name: "test"}, store.NewUser{Name: "adam", Role: store.RoleAdmin, Password: passwords["adam"], Cost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.New(handlers.Options{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		Auth: handlers.AuthOptions{SecureCookies: true}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close(); st.Close() })
	client := hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, err := client.Get(hs.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("HSTS = %q", resp.Header.Get("Strict-Transport-Security"))
	}
	if ck := cookieNamed(resp, "__Host-syncmon_csrf"); ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("csrf cookie over HTTPS: %+v", ck)
	}
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/login", strings.NewReader(url.Values{"name": {"adam"}, "password": {passwords["adam"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ck := cookieNamed(resp, "__Host-syncmon_session")
	if resp.StatusCode != http.StatusSeeOther || ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("sign-in over HTTPS: %d, cookie %+v", resp.StatusCode, ck)
	}
	req, _ = http.NewRequest(http.MethodGet, hs.URL+"/screens", nil)
	req.AddCookie(ck)
	if resp, err = client.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with the __Host- cookie: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestErrorResponsesCarryNoDetail(t *testing.T) {
	ts := newAuthServer(t, true, nil)
	ts.Store.Close() // every query now fails with a driver error
	for _, path := range []string{"/api/state", "/", "/alerts/1"} {
		resp, body := ts.do(t, ts.request(t, http.MethodGet, path, "", "", creds{browser: true}))
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("%s: %d, want 500", path, resp.StatusCode)
		}
		low := strings.ToLower(body)
		for _, leak := range []string{"sql", "database", "closed", "goroutine", ".go:"} {
			if strings.Contains(low, leak) {
				t.Errorf("%s: the response shows %q:\n%s", path, leak, body)
			}
		}
		if !strings.Contains(body, "internal error") {
			t.Errorf("%s: body %q", path, body)
		}
	}
}

func TestHostileTextIsEscapedInHTMLJSONAndSSE(t *testing.T) {
	ts := newAuthServer(t, true, nil)
	ctx := context.Background()
	const (
		inGroup   = `<script>alert("group")</script>`
		inErrLog  = `OGG-01668 <img src=x onerror=alert('ggserr')> "quoted" & more`
		inComment = `</textarea><script>alert('comment')</script>`
	)
	target := monitor.Target{Name: "prod", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	if err := ts.Store.SyncTargets(ctx, []string{"prod"}); err != nil {
		t.Fatal(err)
	}
	now := ts.Clock.Now()
	if err := ts.Store.Record(ctx, target, monitor.Observation{Target: "prod", Kind: monitor.KindSimulator, ObservedAt: now, Processes: []monitor.Process{
		{Program: "MANAGER", Status: monitor.StatusRunning},
		{Program: "REPLICAT", Group: inGroup, Status: monitor.StatusAbended},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Store.RecordLog(ctx, target, []monitor.LogEntry{{At: now, Severity: "ERROR", Code: "OGG-01668", Program: "REPLICAT", Group: "REP1", Message: inErrLog}}); err != nil {
		t.Fatal(err)
	}
	alerts, err := ts.Store.Alerts(ctx, store.AlertFilter{State: "active"})
	if err != nil || len(alerts) < 2 {
		t.Fatalf("alerts = %+v, %v; want the abend and the ggserr error", alerts, err)
	}
	var sawGroup, sawLog bool
	for _, a := range alerts {
		sawGroup = sawGroup || strings.Contains(a.Group+a.Message, inGroup)
		sawLog = sawLog || strings.Contains(a.Message, "<img src=x")
	}
	if !sawGroup || !sawLog {
		t.Fatalf("hostile text did not reach the alerts: %+v", alerts)
	}
	acked := alerts[0].ID
	req := ts.request(t, http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", acked), fmt.Sprintf(`{"comment":%q}`, inComment), "application/json", creds{user: "adam", pass: passwords["adam"]})
	if resp, body := ts.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("ack: %d %s", resp.StatusCode, body)
	}

	raw := []string{`<script>alert("group")`, `<img src=x`, `</textarea><script>`, `<script>alert(`}
	check := func(where, body string) {
		t.Helper()
		for _, r := range raw {
			if strings.Contains(body, r) {
				t.Errorf("%s: hostile text %q comes out raw", where, r)
			}
		}
	}
	admin := ts.session(t, "adam")
	pages := []string{"/", "/alerts?state=all", "/kiosk", "/audit"}
	for _, a := range alerts {
		pages = append(pages, fmt.Sprintf("/alerts/%d", a.ID))
	}
	for _, p := range pages {
		resp, body := ts.do(t, ts.request(t, http.MethodGet, p, "", "", creds{cookie: admin, browser: true}))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		check("HTML "+p, body)
	}
	_, detail := ts.do(t, ts.request(t, http.MethodGet, fmt.Sprintf("/alerts/%d", acked), "", "", creds{cookie: admin, browser: true}))
	if !strings.Contains(detail, "&lt;/textarea&gt;&lt;script&gt;") {
		t.Errorf("the ack comment is not on its alert's page, escaped")
	}
	for _, p := range []string{"/api/alerts?state=all", "/api/state", "/poll?since=0&wait=0"} {
		resp, body := ts.do(t, ts.request(t, http.MethodGet, p, "", "", creds{}))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `\u003cscript\u003e`) {
			t.Errorf("JSON %s: %d, want the text \\u003c-escaped:\n%.300s", p, resp.StatusCode, body)
		}
		check("JSON "+p, body)
	}
	// SSE: read the replay until the ack event has come.
	sse := ts.openSSE(t, "/events?since=0", creds{})
	var got strings.Builder
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(got.String(), `"type":"alert.acked"`) {
		line, err := sse.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("SSE: %v after\n%s", err, got.String())
		}
		got.WriteString(line)
	}
	check("SSE", got.String())
	if !strings.Contains(got.String(), `\u003c/textarea\u003e`) {
		t.Errorf("SSE: the comment is not \\u003c-escaped:\n%s", got.String())
	}
}

// sseStream reads an event stream line by line.
type sseStream struct {
	resp   *http.Response
	lines  chan string
	errs   chan error
	cancel context.CancelFunc
}

func (ts *authServer) openSSE(t testing.TB, path string, c creds) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req := ts.request(t, http.MethodGet, path, "", "", c).WithContext(ctx)
	resp, err := ts.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	s := &sseStream{resp: resp, lines: make(chan string, 1024), errs: make(chan error, 1), cancel: cancel}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text() + "\n"
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		s.errs <- err
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return s
}

var errSSETimeout = errors.New("no line in time")

// next returns the next line, or the error that ended the stream.
func (s *sseStream) next(within time.Duration) (string, error) {
	select {
	case l := <-s.lines:
		return l, nil
	case err := <-s.errs:
		return "", err
	case <-time.After(within):
		return "", errSSETimeout
	}
}

// waitEnd waits for the stream to end (skipping lines) and reports whether it did.
func (s *sseStream) waitEnd(within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		_, err := s.next(time.Until(deadline))
		switch {
		case errors.Is(err, errSSETimeout):
			return false
		case err != nil:
			return true
		}
	}
}

// waitFor reads lines until one contains what.
func (s *sseStream) waitFor(t testing.TB, what string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		l, err := s.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("SSE: waiting for %q: %v", what, err)
		}
		if strings.Contains(l, what) {
			return
		}
	}
}

var linkRE = regexp.MustCompile(`value="(http://[^"]+/kiosk\?token=(smk_[A-Za-z0-9_-]+))"`)

func TestKioskTokenReadOnlyThenRevokedClosingItsConnections(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) { o.PingInterval = 200 * time.Millisecond })
	admin := creds{cookie: ts.session(t, "adam"), browser: true}
	resp, body := ts.do(t, ts.request(t, http.MethodPost, "/tokens", url.Values{"name": {"Lobby <b>"}}.Encode(), "application/x-www-form-urlencoded", admin))
	m := linkRE.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "Lobby &lt;b&gt;") {
		t.Fatalf("create token: %d\n%s", resp.StatusCode, body)
	}
	secret := m[2]
	if _, again := ts.do(t, ts.request(t, http.MethodGet, "/tokens", "", "", admin)); strings.Contains(again, secret) {
		t.Fatal("the token's secret is shown a second time")
	}
	tokens, _ := ts.Store.KioskTokens(context.Background())
	tokenID := tokens[0].ID

	// The display opens its link once: a cookie, and the token leaves the URL.
	resp, _ = ts.do(t, ts.request(t, http.MethodGet, "/kiosk?lang=ko&token="+url.QueryEscape(secret), "", "", creds{browser: true}))
	ck := cookieNamed(resp, "syncmon_session")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk?lang=ko" || ck == nil || !ck.HttpOnly || ck.MaxAge < 300*24*3600 {
		t.Fatalf("pairing: %d %q, cookie %+v; want 303 to /kiosk without the token and a long-lived HttpOnly cookie", resp.StatusCode, resp.Header.Get("Location"), ck)
	}
	kiosk := creds{cookie: ck.Value, browser: true}

	// Read-only.
	id := ts.openAlert(t)
	for _, tc := range []struct {
		method, path, body, ctype string
		want                      int
	}{
		{http.MethodGet, "/kiosk", "", "", 200},
		{http.MethodGet, "/api/state", "", "", 200},
		{http.MethodPost, fmt.Sprintf("/alerts/%d/ack", id), "comment=kiosk", "application/x-www-form-urlencoded", 403},
		{http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", id), `{"comment":"kiosk"}`, "application/json", 403},
		{http.MethodPost, "/api/alerts/test", `{}`, "application/json", 403},
		{http.MethodGet, "/tokens", "", "", 403},
		{http.MethodGet, "/screens", "", "", 403},
	} {
		resp, _ := ts.do(t, ts.request(t, tc.method, tc.path, tc.body, tc.ctype, kiosk))
		if resp.StatusCode != tc.want {
			t.Errorf("kiosk %s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}

	// Open connections on every transport.
	hdr := ts.request(t, http.MethodGet, "/ws", "", "", kiosk).Header
	hdr.Set("Origin", ts.URL)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if w := readWire(t, ws, 5*time.Second); w.Type != "hello" {
		t.Fatalf("ws: %+v", w)
	}
	sse := ts.openSSE(t, "/events", kiosk)
	sse.waitFor(t, `"type":"hello"`, 5*time.Second)
	pollDone := make(chan int, 1)
	go func() {
		resp, err := ts.client.Do(ts.request(t, http.MethodGet, "/poll?wait=20", "", "", kiosk))
		if err != nil {
			pollDone <- 0
			return
		}
		resp.Body.Close()
		pollDone <- resp.StatusCode
	}()
	_, screens := ts.do(t, ts.request(t, http.MethodGet, "/screens", "", "", admin))
	if n := strings.Count(screens, "kiosk:Lobby &lt;b&gt;"); n < 2 {
		t.Fatalf("/screens lists the kiosk %d times, want its WebSocket and SSE:\n%s", n, screens)
	}

	// Revoke: every connection of the token ends at once.
	resp, _ = ts.do(t, ts.request(t, http.MethodPost, fmt.Sprintf("/tokens/%d/revoke", tokenID), "", "", admin))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue // a ping that was on its way
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("ws after revoke: %v, want close 1008", err)
		}
		break
	}
	if !sse.waitEnd(5 * time.Second) {
		t.Fatal("SSE still open 5 s after revoke")
	}
	select {
	case code := <-pollDone:
		if code != http.StatusUnauthorized {
			t.Fatalf("waiting long-poll after revoke: %d, want 401", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long-poll still waiting 5 s after revoke")
	}

	// And nothing works any more: the cookie, the link.
	if resp, _ := ts.do(t, ts.request(t, http.MethodGet, "/kiosk", "", "", kiosk)); outcome(resp) != "L" {
		t.Fatalf("/kiosk after revoke: %d, want a redirect to sign in", resp.StatusCode)
	}
	for _, p := range []string{"/api/state", "/poll?wait=0", "/events"} {
		if got := ts.status(t, http.MethodGet, p, kiosk); got != http.StatusUnauthorized {
			t.Fatalf("%s after revoke: %d, want 401", p, got)
		}
	}
	resp, _ = ts.do(t, ts.request(t, http.MethodGet, "/kiosk?token="+url.QueryEscape(secret), "", "", creds{browser: true}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?kiosk=invalid&next=%2Fkiosk" || strings.Contains(resp.Header.Get("Location"), secret) {
		t.Fatalf("revoked link: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := ts.do(t, ts.request(t, http.MethodGet, "/login?kiosk=invalid&next=%2Fkiosk", "", "", creds{browser: true})); !strings.Contains(body, "link is not valid") {
		t.Fatalf("the sign-in page does not say why:\n%s", body)
	}
	var actions []string
	entries, _ := ts.Store.AuditLog(context.Background(), 100, 0)
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "kiosk") {
			actions = append(actions, e.Action)
		}
		if strings.Contains(e.Subject+e.Detail, secret) {
			t.Fatalf("the secret is in the audit log: %+v", e)
		}
	}
	if strings.Join(actions, ",") != "kiosk_token.revoke,kiosk.paired,kiosk_token.create" {
		t.Fatalf("audit = %v", actions)
	}
}

func TestSignOutAndExpiryEndOpenStreams(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) {
		o.Auth.StreamRecheck = 50 * time.Millisecond
		o.Auth.SessionIdle, o.Auth.SessionMax = time.Hour, 2*time.Hour
	})
	vera := creds{cookie: ts.session(t, "vera"), browser: true}
	sse := ts.openSSE(t, "/events", vera)
	sse.waitFor(t, `"type":"hello"`, 5*time.Second)
	if resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/logout", "", "", vera)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if !sse.waitEnd(5 * time.Second) {
		t.Fatal("SSE still open 5 s after sign-out")
	}

	// Expiry is noticed by the periodic re-check.
	vera = creds{cookie: ts.session(t, "vera"), browser: true}
	sse = ts.openSSE(t, "/events", vera)
	sse.waitFor(t, `"type":"hello"`, 5*time.Second)
	ts.Clock.Add(3 * time.Hour)
	if !sse.waitEnd(5 * time.Second) {
		t.Fatal("SSE still open 5 s after its session expired")
	}

	// A password change ends streams opened with the old Basic credentials.
	script := creds{user: "tess", pass: passwords["tess"]}
	sse = ts.openSSE(t, "/events", script)
	sse.waitFor(t, `"type":"hello"`, 5*time.Second)
	if err := ts.Store.SetPassword(context.Background(), store.Actor{Name: "cli"}, "tess", "tess-new-password", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if !sse.waitEnd(5 * time.Second) {
		t.Fatal("SSE with old Basic credentials still open 5 s after the password changed")
	}
}

func TestBasicCredentialsCachedButNeverStale(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	vera := creds{user: "vera", pass: passwords["vera"]}
	for range 3 {
		if got := ts.status(t, http.MethodGet, "/api/state", vera); got != http.StatusOK {
			t.Fatalf("vera: %d", got)
		}
	}
	if err := ts.Store.SetPassword(context.Background(), store.Actor{Name: "cli"}, "vera", "vera-new-password", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if got := ts.status(t, http.MethodGet, "/api/state", vera); got != http.StatusUnauthorized {
		t.Fatalf("old password after a change (cached before): %d, want 401", got)
	}
	if got := ts.status(t, http.MethodGet, "/api/state", creds{user: "vera", pass: "vera-new-password"}); got != http.StatusOK {
		t.Fatalf("new password: %d", got)
	}
	tess := creds{user: "tess", pass: passwords["tess"]}
	ts.status(t, http.MethodGet, "/api/state", tess)
	if _, err := ts.Store.RemoveUser(context.Background(), store.Actor{Name: "cli"}, "tess"); err != nil {
		t.Fatal(err)
	}
	if got := ts.status(t, http.MethodGet, "/api/state", tess); got != http.StatusUnauthorized {
		t.Fatalf("removed user (cached before): %d, want 401", got)
	}
	resp, _ := ts.do(t, ts.request(t, http.MethodGet, "/api/state", "", "", creds{}))
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("no credentials: %d %q, want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestMetricsOnLoopbackOrWithTokenOrAdmin(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) { o.Auth.MetricsToken = "metrics-token-0123456789" })
	for _, tc := range []struct {
		name   string
		remote string
		hdr    map[string]string
		want   int
	}{
		{"loopback", "127.0.0.1:5000", nil, 200},
		{"loopback v6", "[::1]:5000", nil, 200},
		{"loopback behind a proxy", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 401},
		{"remote", "10.0.0.5:5000", nil, 401},
		{"remote with the token", "10.0.0.5:5000", map[string]string{"Authorization": "Bearer metrics-token-0123456789"}, 200},
		{"remote with another token", "10.0.0.5:5000", map[string]string{"Authorization": "Bearer metrics-token-0123456780"}, 401},
		{"remote viewer", "10.0.0.5:5000", map[string]string{"Authorization": "Basic " + basic("vera", passwords["vera"])}, 403},
		{"remote admin", "10.0.0.5:5000", map[string]string{"Authorization": "Basic " + basic("adam", passwords["adam"])}, 200},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = tc.remote
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		ts.Srv.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestAdminPagesManageUsersAndShowAudit(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	admin := creds{cookie: ts.session(t, "adam"), browser: true}
	post := func(path string, v url.Values) (*http.Response, string) {
		return ts.do(t, ts.request(t, http.MethodPost, path, v.Encode(), "application/x-www-form-urlencoded", admin))
	}
	if resp, body := post("/users", url.Values{"name": {"x y"}, "role": {"root"}, "password": {"short"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "User names are") || !strings.Contains(body, "viewer or admin") || !strings.Contains(body, "8 to 72") {
		t.Fatalf("bad input: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := post("/users", url.Values{"name": {"olga"}, "role": {"viewer"}, "password": {"olga-password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	if resp, body := post("/users", url.Values{"name": {"OLGA"}, "role": {"viewer"}, "password": {"olga-password"}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "taken") {
		t.Fatalf("duplicate: %d", resp.StatusCode)
	}
	u, err := ts.Store.User(context.Background(), "olga")
	if err != nil {
		t.Fatal(err)
	}
	ts.users["olga"] = u
	olga := creds{cookie: ts.session(t, "olga"), browser: true}
	sse := ts.openSSE(t, "/events", olga)
	sse.waitFor(t, `"type":"hello"`, 5*time.Second)
	if resp, _ := post("/users/olga/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign olga out: %d", resp.StatusCode)
	}
	if !sse.waitEnd(5 * time.Second) {
		t.Fatal("olga's stream survived her sessions being ended")
	}
	if got := ts.status(t, http.MethodGet, "/api/state", olga); got != http.StatusUnauthorized {
		t.Fatalf("olga's session after sign-out everywhere: %d", got)
	}
	if resp, _ := post("/users/olga/remove", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if resp, body := post("/users/adam/remove", nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "last admin") {
		t.Fatalf("removing the last admin: %d", resp.StatusCode)
	}
	resp, body := ts.do(t, ts.request(t, http.MethodGet, "/audit", "", "", admin))
	// Each row says who acted and in which role (the audit log's role column).
	for _, want := range []string{"user.create", "user olga", "user.sessions_ended", "user.remove", "10.0.0.5", "<th>Role</th>", "<td>adam</td><td>admin</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/audit (%d) lacks %q", resp.StatusCode, want)
		}
	}
	_, users := ts.do(t, ts.request(t, http.MethodGet, "/users", "", "", admin))
	if strings.Contains(users, "olga") || strings.Contains(users, "$2a$") {
		t.Fatalf("/users:\n%s", users)
	}
}
