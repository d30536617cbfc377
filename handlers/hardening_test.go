package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/handlers"
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
