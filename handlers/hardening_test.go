package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// Issue 12, Medium: a 900 KB client id was kept as a map key.
func TestPollRefusesLongClientIDs(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	resp, err := http.Get(ts.URL + "/poll?since=0&wait=0&client=" + strings.Repeat("x", 900<<10))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("900 KB client id: %d, want 400", resp.StatusCode)
	}
	resp, err = http.Get(ts.URL + "/poll?since=0&wait=0&client=" + strings.Repeat("x", 64))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("64-byte client id: %d, want 200", resp.StatusCode)
	}
}

// Issue 12, Info: HEAD answered 405; /healthz reports the version (issue 18).
func TestHeadServedOnGetRoutesAndHealthzVersion(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	for _, path := range []string{"/healthz", "/readyz", "/login"} {
		resp, body := ts.do(t, ts.request(t, http.MethodHead, path, "", "", creds{}))
		if resp.StatusCode != http.StatusOK || body != "" {
			t.Errorf("HEAD %s: %d with %d bytes, want 200 without a body", path, resp.StatusCode, len(body))
		}
	}
	if got := ts.status(t, http.MethodHead, "/users", creds{}); got != http.StatusSeeOther {
		t.Errorf("HEAD /users without credentials: %d, want the GET's 303", got)
	}
	resp, body := ts.do(t, ts.request(t, http.MethodGet, "/healthz", "", "", creds{}))
	var h map[string]string
	if err := json.Unmarshal([]byte(body), &h); err != nil || resp.StatusCode != 200 || h["status"] != "ok" || h["version"] != "test" {
		t.Fatalf("/healthz: %d %s", resp.StatusCode, body)
	}
}

// Issue 12, Low: unack took any content type, while ack requires JSON.
func TestAPIUnackRequiresJSON(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	id := ts.ackedAlert(t)
	path := fmt.Sprintf("/api/alerts/%d/unack", id)
	admin := creds{user: "adam", pass: passwords["adam"]}
	if resp, _ := ts.do(t, ts.request(t, http.MethodPost, path, "comment=x", "text/plain", admin)); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("unack with text/plain: %d, want 415", resp.StatusCode)
	}
	if resp, body := ts.do(t, ts.request(t, http.MethodPost, path, "{}", "application/json", admin)); resp.StatusCode != http.StatusOK {
		t.Fatalf("unack with JSON: %d %s", resp.StatusCode, body)
	}
}

// Issue 12, Info: /login showed anonymous visitors the build and event head.
func TestLoginPageHidesBuildAndHead(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	ts.openAlert(t)
	resp, body := ts.do(t, ts.request(t, http.MethodGet, "/login", "", "", creds{browser: true}))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-version=""`) || !strings.Contains(body, `data-head="0"`) {
		t.Fatalf("/login to an anonymous visitor: %d, want no version and head 0\n%s", resp.StatusCode, body)
	}
	_, body = ts.do(t, ts.request(t, http.MethodGet, "/", "", "", creds{cookie: ts.session(t, "vera"), browser: true}))
	if !strings.Contains(body, `data-version="test"`) {
		t.Fatal("a viewer's page lost the version")
	}
}

// countingReader produces n bytes of 'a' and counts what was taken.
type countingReader struct {
	left  int64
	taken atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > r.left {
		n = r.left
	}
	for i := range p[:n] {
		p[i] = 'a'
	}
	r.left -= n
	r.taken.Add(n)
	return int(n), nil
}

// Issue 12, Medium: a 300 MB multipart upload to /login was read whole
// (a 272 MB temp file) before the CSRF check. Bodies are bounded per route.
func TestBodiesBoundedPerRouteAndMultipartRefused(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	body := &countingReader{left: 300 << 20}
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/login", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 300 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("multipart to /login: %d, want 415", resp.StatusCode)
		}
	}
	if got := body.taken.Load(); got > 8<<20 {
		t.Fatalf("the client got to send %d MB of a refused upload", got>>20)
	}
	for _, c := range []struct {
		path, body, contentType string
		cr                      creds
	}{
		{"/login", "name=a&password=" + strings.Repeat("x", 9<<10), "application/x-www-form-urlencoded", creds{browser: true}},
		{"/api/silences", `{"comment":"` + strings.Repeat("x", 17<<10) + `"}`, "application/json", creds{user: "adam", pass: passwords["adam"]}},
	} {
		if resp, _ := ts.do(t, ts.request(t, http.MethodPost, c.path, c.body, c.contentType, c.cr)); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes: %d, want 413", c.path, len(c.body), resp.StatusCode)
		}
	}
}

// Issue 12, Medium: the CSRF token survived sign-in. It is derived from the
// session, so it changes at sign-in and the old one is refused.
func TestCSRFTokenRotatesAtSignIn(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	visitor, before, _ := ts.oldBrowserPage(t, "/login", "")
	req := ts.request(t, http.MethodPost, "/login", url.Values{"name": {"adam"}, "password": {passwords["adam"]}, "_csrf": {before}}.Encode(),
		"application/x-www-form-urlencoded", creds{})
	req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: visitor})
	resp, _ := ts.do(t, req)
	ck := cookieNamed(resp, "syncmon_session")
	if resp.StatusCode != http.StatusSeeOther || ck == nil {
		t.Fatalf("sign-in with the visitor's token: %d", resp.StatusCode)
	}
	_, after, _ := ts.oldBrowserPage(t, "/screens", ck.Value)
	if after == before {
		t.Fatal("the CSRF token did not change at sign-in")
	}
	for tok, want := range map[string]int{before: http.StatusForbidden, after: http.StatusSeeOther} {
		req := ts.request(t, http.MethodPost, "/alerts/test", url.Values{"_csrf": {tok}}.Encode(), "application/x-www-form-urlencoded", creds{cookie: ck.Value})
		req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: visitor})
		if resp, _ := ts.do(t, req); resp.StatusCode != want {
			t.Errorf("test alert with the token from %s sign-in: %d, want %d", map[bool]string{true: "before", false: "after"}[tok == before], resp.StatusCode, want)
		}
	}
}

// Issue 12, Low: connections trickling a small body were held 35 s and
// more. The server's ReadTimeout ends them; event streams outlive it.
func TestTricklingBodyCutButStreamsOutliveReadTimeout(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "t.db")
	st, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := handlers.New(handlers.Options{Store: st, AnonymousViewer: true, Version: "test", ReadTimeout: time.Second,
		PingInterval: 200 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := srv.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
	start := time.Now()
	closed := make(chan struct{})
	go func() { io.Copy(io.Discard, conn); close(closed) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
trickle:
	for {
		select {
		case <-closed:
			break trickle
		case <-tick.C:
			conn.Write([]byte("a"))
		case <-deadline:
			t.Fatal("a connection trickling its body was held for 10 s")
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("trickling connection ended after %v", d)
	}

	// An SSE stream keeps delivering pings well past the ReadTimeout.
	resp, err := http.Get("http://" + ln.Addr().String() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	until := time.After(2500 * time.Millisecond)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				t.Fatal("the event stream ended at the read timeout")
			}
		case <-until:
			return
		}
	}
}

// Issue 12, Low: a valid kiosk link opened cross-site ended the visitor's
// own session and replaced it with a kiosk session.
func TestKioskLinkFromAnotherSiteKeepsTheSession(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	_, secret, err := ts.Store.CreateKioskToken(context.Background(), store.Actor{Name: "adam"}, "Lobby")
	if err != nil {
		t.Fatal(err)
	}
	admin := ts.session(t, "adam")
	pair := func(site, dest string) *http.Response {
		req := ts.request(t, http.MethodGet, "/kiosk?token="+url.QueryEscape(secret), "", "", creds{cookie: admin})
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Sec-Fetch-Dest", dest)
		resp, _ := ts.do(t, req)
		return resp
	}
	for _, c := range []struct{ site, dest string }{{"cross-site", "document"}, {"same-site", "document"}, {"cross-site", "image"}} {
		resp := pair(c.site, c.dest)
		if resp.StatusCode == http.StatusSeeOther || cookieNamed(resp, "syncmon_session") != nil {
			t.Fatalf("kiosk link, %s %s: %d, session cookie %+v; want it refused", c.site, c.dest, resp.StatusCode, cookieNamed(resp, "syncmon_session"))
		}
		if got := ts.status(t, http.MethodGet, "/users", creds{cookie: admin, browser: true}); got != http.StatusOK {
			t.Fatalf("adam's session after a %s kiosk link: /users %d, want 200", c.site, got)
		}
	}
	// Opened from the address bar: the browser becomes the kiosk.
	resp := pair("none", "document")
	if ck := cookieNamed(resp, "syncmon_session"); resp.StatusCode != http.StatusSeeOther || ck == nil || ck.Value == admin {
		t.Fatalf("kiosk link from the address bar: %d, cookie %+v; want paired", resp.StatusCode, ck)
	}
}

// Issue 12, Low: a collector's stderr (ORA-01017 … ogg/PASSWORD@prod) reached
// every viewer, kiosk and event. They get a fixed class.
func TestCollectorErrorsReachScreensOnlyAsAClass(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	ts.target(t)
	tg := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	err := fmt.Errorf("check demo: sqlplus: ORA-01017: invalid username/password (ogg/S3cretPassw0rd@prod, http://10.1.2.3:9011/internal): %w", monitor.ErrCredentials)
	if err := ts.Store.Record(context.Background(), tg, monitor.Observation{Target: "demo", Kind: monitor.KindSimulator, ObservedAt: ts.Clock.Now(), Err: err}); err != nil {
		t.Fatal(err)
	}
	viewer := creds{cookie: ts.session(t, "vera"), browser: true}
	kiosk, _ := ts.kioskSession(t, "Wall")
	for _, c := range []struct {
		path string
		cr   creds
	}{{"/api/state", viewer}, {"/", viewer}, {"/targets/demo", viewer}, {"/alerts", viewer}, {"/kiosk", creds{cookie: kiosk, browser: true}}, {"/poll?since=0&wait=0", viewer}} {
		resp, body := ts.do(t, ts.request(t, http.MethodGet, c.path, "", "", c.cr))
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "S3cret") || strings.Contains(body, "10.1.2.3") || strings.Contains(body, "ORA-01017") {
			t.Errorf("GET %s: %d, collector detail shown:\n%s", c.path, resp.StatusCode, body)
		}
		if c.path == "/api/state" && !strings.Contains(body, monitor.ClassCredentials) {
			t.Errorf("/api/state does not say %q:\n%s", monitor.ClassCredentials, body)
		}
	}
}

// Issue 12, Info: bidi overrides and invalid UTF-8 in group names reached
// pages raw. The parser cleans names (monitor.CleanName); a name that
// reaches the store anyway is escaped on the page.
func TestHostileGroupNameRendersCleaned(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	tg := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	hostile := "EXT\u202eTXE<b>\xff"
	procs := []monitor.Process{{Program: "EXTRACT", Group: monitor.CleanName(hostile), Status: "RUNNING"}}
	if err := ts.Store.Record(context.Background(), tg, monitor.Observation{Target: "demo", Kind: monitor.KindSimulator, ObservedAt: ts.Clock.Now(), Processes: procs}); err != nil {
		t.Fatal(err)
	}
	_, body := ts.do(t, ts.request(t, http.MethodGet, "/targets/demo", "", "", creds{cookie: ts.session(t, "vera"), browser: true}))
	if strings.Contains(body, "\u202e") || strings.Contains(body, "\xff") || strings.Contains(body, "<b>") {
		t.Fatalf("hostile group name rendered raw:\n%s", body)
	}
}
