package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
	"github.com/syncmon/syncmon/store"
	"golang.org/x/crypto/bcrypt"
)

// testClock is the time of the store (session expiry) and of the handlers
// (rate limits), moved by the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// farAddr is the peer address every connection appears to come from: a
// browser on the network, not loopback (which /metrics would let in).
var farAddr = &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 40000}

type farListener struct{ net.Listener }

func (l farListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return farConn{c}, nil
}

type farConn struct{ net.Conn }

func (farConn) RemoteAddr() net.Addr { return farAddr }

// authServer is a SyncMon server with accounts: vera (viewer), adam
// (admin) and tess (viewer, for sign-in forms), a settable clock, and
// clients that appear to come from 10.0.0.5.
type authServer struct {
	URL    string
	Store  *store.Store
	Srv    *handlers.Server
	Clock  *testClock
	client *http.Client
	users  map[string]store.User
	seq    atomic.Int64
}

var passwords = map[string]string{"vera": "vera-password", "adam": "adam-password", "tess": "tess-password"}

func newAuthServer(t *testing.T, anonymous bool, tweak func(*handlers.Options)) *authServer {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"), store.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	opt := handlers.Options{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		AnonymousViewer: anonymous, Now: clk.Now, Auth: handlers.AuthOptions{PasswordCost: bcrypt.MinCost}}
	if tweak != nil {
		tweak(&opt)
	}
	srv, err := handlers.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = farListener{hs.Listener}
	hs.Start()
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		st.Close()
	})
	ts := &authServer{URL: hs.URL, Store: st, Srv: srv, Clock: clk, users: map[string]store.User{},
		client: &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for name, role := range map[string]string{"vera": store.RoleViewer, "adam": store.RoleAdmin, "tess": store.RoleViewer} {
		u, err := st.CreateUser(context.Background(), store.Actor{Name: "test"}, store.NewUser{Name: name, Role: role, Password: passwords[name], Cost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		ts.users[name] = u
	}
	return ts
}

// creds are what a client sends: a session cookie, or HTTP Basic
// credentials. Browsers also send Sec-Fetch-Site (and Origin on writes),
// as every current browser does; scripts send neither.
type creds struct {
	cookie     string
	user, pass string
	browser    bool
}

func (ts *authServer) session(t testing.TB, name string) string {
	t.Helper()
	tok, _, err := ts.Store.StartSession(context.Background(), ts.users[name], store.Lifetime{Idle: 2 * time.Hour, Max: 24 * time.Hour}, "10.0.0.5", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (ts *authServer) kioskSession(t testing.TB, name string) (cookie string, tokenID int64) {
	t.Helper()
	ctx := context.Background()
	tk, secret, err := ts.Store.CreateKioskToken(ctx, store.Actor{Name: "adam"}, name)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := ts.Store.ExchangeKioskToken(ctx, secret, store.Lifetime{Max: 400 * 24 * time.Hour}, "10.0.0.5", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok, tk.ID
}

// columns of the access matrix.
var columns = []string{"anonymous", "viewer", "kiosk", "admin", "wrong-password", "expired-session", "revoked-token", "viewer-basic", "admin-basic"}

// principals returns fresh credentials for every column.
func (ts *authServer) principals(t *testing.T) map[string]creds {
	t.Helper()
	ctx := context.Background()
	expiring, _, err := ts.Store.StartSession(ctx, ts.users["vera"], store.Lifetime{Idle: time.Minute, Max: time.Minute}, "10.0.0.5", "")
	if err != nil {
		t.Fatal(err)
	}
	ts.Clock.Add(2 * time.Minute)
	revoked, id := ts.kioskSession(t, "Revoked wall")
	if _, err := ts.Store.RevokeKioskToken(ctx, store.Actor{Name: "adam"}, id); err != nil {
		t.Fatal(err)
	}
	kiosk, _ := ts.kioskSession(t, "Lobby")
	return map[string]creds{
		"anonymous":       {browser: true},
		"viewer":          {cookie: ts.session(t, "vera"), browser: true},
		"kiosk":           {cookie: kiosk, browser: true},
		"admin":           {cookie: ts.session(t, "adam"), browser: true},
		"wrong-password":  {user: "vera", pass: "not-veras-password"},
		"expired-session": {cookie: expiring, browser: true},
		"revoked-token":   {cookie: revoked, browser: true},
		"viewer-basic":    {user: "vera", pass: passwords["vera"]},
		"admin-basic":     {user: "adam", pass: passwords["adam"]},
	}
}

func (ts *authServer) request(t testing.TB, method, target, body, contentType string, c creds) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "syncmon_session", Value: c.cookie})
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if c.browser {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if method != http.MethodGet {
			req.Header.Set("Origin", ts.URL)
		}
	}
	return req
}

// do sends a request and returns the response with its body read.
func (ts *authServer) do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// outcome is how the matrix writes a response: the status code, or L for a
// redirect to the sign-in page (which pages answer for no credentials).
func outcome(resp *http.Response) string {
	if resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		return "L"
	}
	return strconv.Itoa(resp.StatusCode)
}

// call is one concrete request for a route.
type call struct {
	target      string
	body        string
	contentType string
}

func form(target string, v url.Values) call {
	return call{target: target, body: v.Encode(), contentType: "application/x-www-form-urlencoded"}
}

func jsonCall(target, body string) call {
	return call{target: target, body: body, contentType: "application/json"}
}

func (ts *authServer) openAlert(t testing.TB) int64 {
	t.Helper()
	a, _, err := ts.Store.CreateTestAlert(context.Background(), store.Actor{Name: "tester"}, "matrix")
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func (ts *authServer) ackedAlert(t testing.TB) int64 {
	t.Helper()
	id := ts.openAlert(t)
	if _, err := ts.Store.Ack(context.Background(), store.Actor{Name: "adam"}, id, "seen"); err != nil {
		t.Fatal(err)
	}
	return id
}

func (ts *authServer) silence(t testing.TB) int64 {
	t.Helper()
	now := ts.Clock.Now()
	sl, err := ts.Store.CreateSilence(context.Background(), store.Actor{Name: "adam"}, monitor.Silence{Target: "demo", Start: now, End: now.Add(time.Hour), Comment: "maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	return sl.ID
}

// target records one check of a simulated deployment and returns its name.
func (ts *authServer) target(t testing.TB) string {
	t.Helper()
	tg := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	obs := monitor.Observation{Target: "demo", Kind: monitor.KindSimulator, ObservedAt: ts.Clock.Now(), Processes: simulator.Processes(0)}
	if err := ts.Store.Record(context.Background(), tg, obs); err != nil {
		t.Fatal(err)
	}
	return "demo"
}

func (ts *authServer) throwawayUser(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("user%d", ts.seq.Add(1))
	if _, err := ts.Store.CreateUser(context.Background(), store.Actor{Name: "test"}, store.NewUser{Name: name, Role: store.RoleViewer, Password: "throwaway-pw", Cost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	return name
}

// Rows of the matrix: the outcome per column, in the order of columns.
// {ok} stands for the route's own success status.
const (
	//                 anon viewer kiosk admin wrongpw expired revoked vbasic abasic
	readPageOff   = "L    200    200   200   L       L       L       L      L"
	readPageOn    = "200  200    200   200   200     200     200     200    200"
	adminPage     = "L    403    403   {ok}  L       L       L       L      L"
	publicForm    = "{ok} {ok}   {ok}  {ok}  403     {ok}    {ok}    403    403"
	publicPage    = "200  200    200   200   200     200     200     200    200"
	pairing       = "303  303    303   303   303     303     303     303    303" // an unknown token: to the sign-in page
	machineOff    = "401  {ok}   {ok}  {ok}  401     401     401     {ok}   {ok}"
	machineOn     = "{ok} {ok}   {ok}  {ok}  401     {ok}    {ok}    {ok}   {ok}"
	machineAdmin  = "401  403    403   {ok}  401     401     401     403    {ok}"
	metricsAccess = "401  403    403   {ok}  401     401     401     403    {ok}"
	open          = "200  200    200   200   200     200     200     200    200"
)

// matrixRow is a route's expected outcomes with anonymous viewing off and
// on, its success status, and how to make a request for it.
type matrixRow struct {
	off, on string
	ok      int
	call    func(t testing.TB, ts *authServer) call
}

func fixed(target string) func(testing.TB, *authServer) call {
	return func(testing.TB, *authServer) call { return call{target: target} }
}

// matrix has one row per route of the table. A route added to the table
// without a row here fails TestAccessMatrix.
var matrix = map[string]matrixRow{
	"GET /":       {readPageOff, readPageOn, 200, fixed("/")},
	"GET /alerts": {readPageOff, readPageOn, 200, fixed("/alerts")},
	"GET /alerts/:id": {readPageOff, readPageOn, 200, func(t testing.TB, ts *authServer) call {
		return call{target: fmt.Sprintf("/alerts/%d", ts.openAlert(t))}
	}},
	"GET /silences": {readPageOff, readPageOn, 200, fixed("/silences")},
	"GET /targets/:name": {readPageOff, readPageOn, 200, func(t testing.TB, ts *authServer) call {
		return call{target: "/targets/" + ts.target(t)}
	}},
	"GET /fragments":     {readPageOff, readPageOn, 200, fixed("/fragments?alerts=1")},
	"GET /kiosk":         {readPageOff, readPageOn, 200, fixed("/kiosk")},
	"GET /kiosk/pair":    {pairing, pairing, 303, fixed("/kiosk/pair?token=smk_unknown")},
	"GET /screens":       {adminPage, adminPage, 200, fixed("/screens")},
	"GET /tokens":        {adminPage, adminPage, 200, fixed("/tokens")},
	"GET /users":         {adminPage, adminPage, 200, fixed("/users")},
	"GET /notifications": {adminPage, adminPage, 200, fixed("/notifications")},
	"GET /audit":         {adminPage, adminPage, 200, fixed("/audit")},
	"GET /login":         {publicPage, publicPage, 200, fixed("/login")},
	"POST /login": {publicForm, publicForm, 303, func(testing.TB, *authServer) call {
		return form("/login", url.Values{"name": {"tess"}, "password": {passwords["tess"]}})
	}},
	"POST /logout": {publicForm, publicForm, 303, func(testing.TB, *authServer) call { return form("/logout", nil) }},
	"POST /lang":   {publicForm, publicForm, 303, func(testing.TB, *authServer) call { return form("/lang", url.Values{"lang": {"ko"}, "next": {"/"}}) }},
	"POST /alerts/:id/ack": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		return form(fmt.Sprintf("/alerts/%d/ack", ts.openAlert(t)), url.Values{"comment": {"on it"}})
	}},
	"POST /alerts/:id/unack": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		return form(fmt.Sprintf("/alerts/%d/unack", ts.ackedAlert(t)), nil)
	}},
	"POST /alerts/test": {adminPage, adminPage, 303, func(testing.TB, *authServer) call { return form("/alerts/test", url.Values{"message": {"drill"}}) }},
	"POST /silences": {adminPage, adminPage, 303, func(testing.TB, *authServer) call {
		return form("/silences", url.Values{"target": {"demo"}, "comment": {"maintenance"}, "duration": {"1h"}})
	}},
	"POST /silences/:id/expire": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		return form(fmt.Sprintf("/silences/%d/expire", ts.silence(t)), nil)
	}},
	"POST /tokens": {adminPage, adminPage, 200, func(testing.TB, *authServer) call { return form("/tokens", url.Values{"name": {"Hall"}}) }},
	"POST /tokens/:id/revoke": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		_, id := ts.kioskSession(t, "Old wall")
		return form(fmt.Sprintf("/tokens/%d/revoke", id), nil)
	}},
	"POST /users": {adminPage, adminPage, 303, func(_ testing.TB, ts *authServer) call {
		return form("/users", url.Values{"name": {fmt.Sprintf("new%d", ts.seq.Add(1))}, "role": {"viewer"}, "password": {"a-long-password"}})
	}},
	"POST /users/:name/remove": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		return form("/users/"+ts.throwawayUser(t)+"/remove", nil)
	}},
	"POST /users/:name/logout": {adminPage, adminPage, 303, func(t testing.TB, ts *authServer) call {
		return form("/users/"+ts.throwawayUser(t)+"/logout", nil)
	}},

	"GET /ws":     {machineOff, machineOn, 101, fixed("/ws")},
	"GET /events": {machineOff, machineOn, 200, fixed("/events")},
	"GET /poll":   {machineOff, machineOn, 200, fixed("/poll?wait=0")},

	"GET /api/state":  {machineOff, machineOn, 200, fixed("/api/state")},
	"GET /api/alerts": {machineOff, machineOn, 200, fixed("/api/alerts?state=active")},
	"GET /api/alerts/:id": {machineOff, machineOn, 200, func(t testing.TB, ts *authServer) call {
		return call{target: fmt.Sprintf("/api/alerts/%d", ts.openAlert(t))}
	}},
	"GET /api/silences": {machineOff, machineOn, 200, fixed("/api/silences")},
	"GET /api/cluster":  {machineOff, machineOn, 200, fixed("/api/cluster")},
	"GET /api/tts": {machineOff, machineOn, 200, func(t testing.TB, ts *authServer) call {
		if _, err := exec.LookPath("espeak-ng"); err != nil {
			return call{target: "/api/tts?alert=1&lang=xx"} // 400 once access is granted: still tells access apart
		}
		return call{target: fmt.Sprintf("/api/tts?alert=%d&lang=en", ts.openAlert(t))}
	}},
	"POST /api/alerts/:id/ack": {machineAdmin, machineAdmin, 200, func(t testing.TB, ts *authServer) call {
		return jsonCall(fmt.Sprintf("/api/alerts/%d/ack", ts.openAlert(t)), `{"comment":"on it"}`)
	}},
	"POST /api/alerts/:id/unack": {machineAdmin, machineAdmin, 200, func(t testing.TB, ts *authServer) call {
		return jsonCall(fmt.Sprintf("/api/alerts/%d/unack", ts.ackedAlert(t)), ``)
	}},
	"POST /api/alerts/test": {machineAdmin, machineAdmin, 201, func(testing.TB, *authServer) call { return jsonCall("/api/alerts/test", `{"message":"drill"}`) }},
	"POST /api/silences": {machineAdmin, machineAdmin, 201, func(_ testing.TB, ts *authServer) call {
		now := ts.Clock.Now()
		return jsonCall("/api/silences", fmt.Sprintf(`{"target":"demo","comment":"maintenance","start":%q,"end":%q}`,
			now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)))
	}},
	"DELETE /api/silences/:id": {machineAdmin, machineAdmin, 204, func(t testing.TB, ts *authServer) call {
		return call{target: fmt.Sprintf("/api/silences/%d", ts.silence(t))}
	}},

	"GET /healthz":            {open, open, 200, fixed("/healthz")},
	"GET /readyz":             {open, open, 200, fixed("/readyz")},
	"GET /static/:hash/:file": {open, open, 200, staticAsset},
	"GET /metrics":            {metricsAccess, metricsAccess, 200, fixed("/metrics")},
}

// staticAsset finds the content-hashed URL of app.js on the sign-in page.
func staticAsset(t testing.TB, ts *authServer) call {
	t.Helper()
	_, body := ts.do(t, ts.request(t, http.MethodGet, "/login", "", "", creds{}))
	i := strings.Index(body, `src="/static/`)
	if i < 0 {
		t.Fatalf("no static asset on the sign-in page:\n%s", body)
	}
	rest := body[i+len(`src="`):]
	return call{target: rest[:strings.IndexByte(rest, '"')]}
}

// hit makes one request of the matrix and returns its outcome.
func (ts *authServer) hit(t *testing.T, method, path string, c call, cr creds) string {
	t.Helper()
	req := ts.request(t, method, c.target, c.body, c.contentType, cr)
	switch path {
	case "/ws":
		u := "ws" + strings.TrimPrefix(ts.URL, "http") + c.target
		conn, resp, err := websocket.DefaultDialer.Dial(u, req.Header)
		if err == nil {
			conn.Close()
		}
		if resp == nil {
			t.Fatalf("websocket %s: %v", u, err)
		}
		return strconv.Itoa(resp.StatusCode)
	case "/events":
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		resp, err := ts.client.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatalf("GET %s: %v", c.target, err)
		}
		defer resp.Body.Close()
		return outcome(resp)
	}
	resp, _ := ts.do(t, req)
	return outcome(resp)
}

func TestAccessMatrix(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		t.Run(fmt.Sprintf("anonymous_viewer=%v", anonymous), func(t *testing.T) {
			ts := newAuthServer(t, anonymous, func(o *handlers.Options) {
				// The wrong-password column fails on every machine route;
				// rate limiting has its own test.
				o.Auth.LoginFailuresPerAccount, o.Auth.LoginFailuresPerAddress = 1<<20, 1<<20
			})
			seen := map[string]bool{}
			for _, rt := range ts.Srv.Routes() {
				key := rt.Method + " " + rt.Path
				row, ok := matrix[key]
				if !ok {
					t.Errorf("route %s (role %s) has no row in the access matrix: add one", key, rt.Role)
					continue
				}
				seen[key] = true
				want := row.off
				if anonymous {
					want = row.on
				}
				wants := strings.Fields(strings.ReplaceAll(want, "{ok}", strconv.Itoa(row.ok)))
				if len(wants) != len(columns) {
					t.Fatalf("%s: %d outcomes, want %d", key, len(wants), len(columns))
				}
				ps := ts.principals(t)
				var got []string
				for _, col := range columns {
					got = append(got, ts.hit(t, rt.Method, rt.Path, row.call(t, ts), ps[col]))
				}
				if strings.Join(got, " ") != strings.Join(wants, " ") {
					var diff []string
					for i, col := range columns {
						if got[i] != wants[i] {
							diff = append(diff, fmt.Sprintf("%s: got %s, want %s", col, got[i], wants[i]))
						}
					}
					t.Errorf("%s: %s", key, strings.Join(diff, "; "))
				}
			}
			for key := range matrix {
				if !seen[key] {
					t.Errorf("the matrix has a row for %s, which is not in the route table", key)
				}
			}
		})
	}
}

// Every route the router serves comes from the table: nothing bypasses
// authorize.
func TestRouterServesOnlyTheTable(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	var table, served []string
	for _, r := range ts.Srv.Routes() {
		table = append(table, r.Method+" "+r.Path)
	}
	for _, r := range ts.Srv.RegisteredRoutes() {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(table)
	sort.Strings(served)
	if strings.Join(table, "\n") != strings.Join(served, "\n") {
		t.Fatalf("served routes differ from the table:\ntable:\n%s\nserved:\n%s", strings.Join(table, "\n"), strings.Join(served, "\n"))
	}
	// No GET changes state: every form route is a POST.
	for _, r := range ts.Srv.Routes() {
		if r.Form && r.Method == http.MethodGet {
			t.Errorf("%s %s is a form route served on GET", r.Method, r.Path)
		}
	}
}

// The JSON API takes bodies only as application/json: a cross-site form
// (text/plain or urlencoded) cannot act through it, even with the Basic
// credentials a browser remembers and no Origin header (old browsers).
func TestJSONAPIRefusesOtherContentTypes(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	admin := creds{user: "adam", pass: passwords["adam"]}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/api/alerts/test", `{"message":"pwn"}`, ct, admin))
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("%s body: status %d, want 415", ct, resp.StatusCode)
		}
	}
	resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/api/alerts/test", `{"message":"drill"}`, "application/json; charset=utf-8", admin))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("JSON body: status %d, want 201", resp.StatusCode)
	}
	if a, _ := ts.Store.Alerts(context.Background(), store.AlertFilter{State: "open"}); len(a) != 1 {
		t.Fatalf("open alerts = %d, want only the JSON one", len(a))
	}
}

// POST /api/alerts/test carries up to 500 characters verbatim; 501 is refused.
func TestTestAlertMessageBound(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	admin := creds{user: "adam", pass: passwords["adam"]}
	body := func(n int) string {
		b, _ := json.Marshal(map[string]string{"message": strings.Repeat("경", n)})
		return string(b)
	}
	resp, out := ts.do(t, ts.request(t, http.MethodPost, "/api/alerts/test", body(500), "application/json", admin))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("500 characters: status %d, want 201", resp.StatusCode)
	}
	var got struct {
		Alert struct {
			Message string `json:"message"`
			Test    bool   `json:"test"`
		} `json:"alert"`
		Seq int64 `json:"seq"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Alert.Message != strings.Repeat("경", 500) || !got.Alert.Test || got.Seq == 0 {
		t.Fatalf("answer %s, %v", out, err)
	}
	if resp, _ := ts.do(t, ts.request(t, http.MethodPost, "/api/alerts/test", body(501), "application/json", admin)); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("501 characters: status %d, want 422", resp.StatusCode)
	}
}
