package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

// New keeps its own copy of the allowed origins: the caller's slice is
// left as it was given.
func TestNewLeavesTheCallersAllowedOriginsAlone(t *testing.T) {
	given := []string{"HTTPS://Wall.Example/", "https://ops.example"}
	want := slices.Clone(given)
	ts := newAuthServer(t, true, func(o *handlers.Options) { o.AllowedOrigins = given })
	if !slices.Equal(given, want) {
		t.Errorf("AllowedOrigins after New = %q, want %q", given, want)
	}
	// And the origin still matches case-blind, without the trailing slash.
	req := ts.request(t, http.MethodGet, "/poll?wait=0", "", "", creds{})
	req.Header.Set("Origin", "https://wall.example")
	if resp, _ := ts.do(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("poll from an allowed origin: %d, want 200", resp.StatusCode)
	}
}

// The kiosk link an admin hands to a wall display names SyncMon's public
// URL, not whatever Host the admin's request carried.
func TestKioskLinkUsesThePublicURL(t *testing.T) {
	ts := newAuthServer(t, false, func(o *handlers.Options) { o.PublicURL = "https://syncmon.example/base" })
	admin := creds{cookie: ts.session(t, "adam"), browser: true}
	req := ts.request(t, http.MethodPost, "/tokens", url.Values{"name": {"Hall"}}.Encode(), "application/x-www-form-urlencoded", admin)
	req.Host = "attacker.example"
	resp, body := ts.do(t, req)
	link := regexp.MustCompile(`value="([^"]+/kiosk\?token=smk_[A-Za-z0-9_-]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || link == nil {
		t.Fatalf("create token: %d, no link\n%s", resp.StatusCode, body)
	}
	if got, want := link[1], "https://syncmon.example/base/kiosk?token="; !strings.HasPrefix(got, want) {
		t.Errorf("kiosk link = %s, want it to start with %s", got, want)
	}
}

// Behind a proxy that ends TLS, the language cookie is Secure just as the
// session cookie is: one rule for both.
func TestLanguageCookieIsSecureBehindATLSProxy(t *testing.T) {
	ts := newAuthServer(t, true, nil)
	req := ts.request(t, http.MethodPost, "/lang", url.Values{"lang": {"ko"}, "next": {"/"}}.Encode(), "application/x-www-form-urlencoded", creds{browser: true})
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, _ := ts.do(t, req)
	ck := cookieNamed(resp, "syncmon_lang")
	if resp.StatusCode != http.StatusSeeOther || ck == nil {
		t.Fatalf("POST /lang: %d, cookie %v; want 303 and the cookie", resp.StatusCode, ck)
	}
	if !ck.Secure {
		t.Errorf("language cookie behind X-Forwarded-Proto: https: Secure = false, want true")
	}
}

// /screens shows every transport's address the same way (no port), and
// judges "quiet" by the server's clock, the one Options.Now gives.
func TestScreensAddressesAlikeAndTheInjectedClock(t *testing.T) {
	ts := newAuthServer(t, true, nil)
	ws, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	readEvent(t, ws, 5*time.Second) // hello: the screen is registered
	if resp, _ := ts.do(t, ts.request(t, http.MethodGet, "/poll?wait=0&client=c1", "", "", creds{})); resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d", resp.StatusCode)
	}
	admin := creds{cookie: ts.session(t, "adam"), browser: true}
	row := regexp.MustCompile(`<tr( class="quiet")?><td>[^<]*</td><td>(ws|poll)</td><td>([^<]*)</td>`)
	rows := func() [][]string {
		_, body := ts.do(t, ts.request(t, http.MethodGet, "/screens", "", "", admin))
		return row.FindAllStringSubmatch(body, -1)
	}
	got := rows()
	if len(got) != 2 {
		t.Fatalf("screens rows %q, want ws and poll", got)
	}
	for _, r := range got {
		if r[3] != "10.0.0.5" {
			t.Errorf("%s screen address = %q, want 10.0.0.5 (no port, like every transport)", r[2], r[3])
		}
		if r[1] != "" {
			t.Errorf("%s screen quiet right after connecting", r[2])
		}
	}
	ts.Clock.Add(45 * time.Second)
	for _, r := range rows() {
		if r[1] == "" {
			t.Errorf("%s screen not quiet 45 s later by the server's clock", r[2])
		}
	}
}

// A silence's problems reach the person as the store's fixed wording, one
// problem per line, and never as an error's text.
func TestSilenceProblemsAreFixedMessages(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	admin := creds{cookie: ts.session(t, "adam"), browser: true}
	resp, body := ts.do(t, ts.request(t, http.MethodPost, "/silences", url.Values{"duration": {"1h"}}.Encode(), "application/x-www-form-urlencoded", admin))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form: %d, want 422", resp.StatusCode)
	}
	for _, want := range []string{"<li>name at least one of target, group, rule</li>", "<li>a comment is required</li>"} {
		if !strings.Contains(body, want) {
			t.Errorf("form page lacks %s", want)
		}
	}
	resp, body = ts.do(t, ts.request(t, http.MethodPost, "/api/silences", `{"target":"east","comment":"x","start":"2026-11-24T12:00:00Z","end":"2026-11-24T11:00:00Z"}`, "application/json", creds{user: "adam", pass: passwords["adam"]}))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "end must be after start") || strings.Contains(body, "invalid input") || strings.Contains(body, "silence:") {
		t.Errorf("api: %d %s; want 422 with the fixed message only", resp.StatusCode, body)
	}
}

// Every admin action leaves its audit row, written by the store in the
// change's own transaction, naming who, in what role and from where.
func TestAdminActionsAreAuditedWithTheActor(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	api := creds{user: "adam", pass: passwords["adam"]}
	post := func(path, body string) string {
		t.Helper()
		resp, b := ts.do(t, ts.request(t, http.MethodPost, path, body, "application/json", api))
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	var created struct{ Alert struct{ ID int64 } }
	if err := json.Unmarshal([]byte(post("/api/alerts/test", `{"message":"drill"}`)), &created); err != nil {
		t.Fatal(err)
	}
	id := created.Alert.ID
	post(fmt.Sprintf("/api/alerts/%d/ack", id), `{"comment":"seen"}`)
	post(fmt.Sprintf("/api/alerts/%d/unack", id), "")
	var sl struct{ Silence struct{ ID int64 } }
	if err := json.Unmarshal([]byte(post("/api/silences", `{"target":"east","comment":"patch","start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z"}`)), &sl); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.do(t, ts.request(t, http.MethodDelete, fmt.Sprintf("/api/silences/%d", sl.Silence.ID), "", "", api)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("expire silence: %d", resp.StatusCode)
	}
	entries, err := ts.Store.AuditLog(context.Background(), 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Actor == "adam" {
			got = append(got, e.Action+" "+e.Subject+" "+e.Role+" "+e.Address)
		}
	}
	slices.Reverse(got)
	want := []string{
		fmt.Sprintf("alert.test alert %d admin 10.0.0.5", id),
		fmt.Sprintf("alert.ack alert %d admin 10.0.0.5", id),
		fmt.Sprintf("alert.unack alert %d admin 10.0.0.5", id),
		fmt.Sprintf("silence.create silence %d admin 10.0.0.5", sl.Silence.ID),
		fmt.Sprintf("silence.expire silence %d admin 10.0.0.5", sl.Silence.ID),
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Kiosk pairing is a route of its own; the links /tokens hands out
// (/kiosk?token=…) are routed to it.
func TestKioskPairingRoute(t *testing.T) {
	ts := newAuthServer(t, false, nil)
	for i, path := range []string{"/kiosk/pair?token=", "/kiosk?token="} {
		_, secret, err := ts.Store.CreateKioskToken(context.Background(), store.Actor{Name: "adam"}, fmt.Sprintf("Hall %d", i))
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := ts.do(t, ts.request(t, http.MethodGet, path+url.QueryEscape(secret), "", "", creds{browser: true}))
		if ck := cookieNamed(resp, "syncmon_session"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk" || ck == nil {
			t.Errorf("GET %s…: %d to %q, cookie %v; want 303 to /kiosk with a session", path, resp.StatusCode, resp.Header.Get("Location"), ck)
		}
	}
}
