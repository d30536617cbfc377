package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/syncmon/syncmon/handlers"
)

// In a cluster every node is given the same CSRF key: a sign-in form
// loaded from node A and posted through the load balancer to node B passes
// for a browser that sends no Sec-Fetch-Site. Without the option each
// node keeps its own key, and the same post is refused.
func TestCSRFKeySharedAcrossNodes(t *testing.T) {
	shared := func(o *handlers.Options) { o.CSRFKey = []byte("0123456789abcdef0123456789abcdef") }
	a, b := newAuthServer(t, false, shared), newAuthServer(t, false, shared)
	own := newAuthServer(t, false, nil)
	csrf, token, _ := a.oldBrowserPage(t, "/login?next=/screens", "")
	post := func(ts *authServer) int {
		req := ts.request(t, http.MethodPost, "/login", url.Values{"name": {"adam"}, "password": {passwords["adam"]},
			"next": {"/screens"}, "_csrf": {token}}.Encode(), "application/x-www-form-urlencoded", creds{})
		req.AddCookie(&http.Cookie{Name: "syncmon_csrf", Value: csrf})
		resp, _ := ts.do(t, req)
		return resp.StatusCode
	}
	if got := post(b); got != http.StatusSeeOther {
		t.Fatalf("form from node A posted to node B with the shared key: %d, want 303", got)
	}
	if got := post(own); got != http.StatusForbidden {
		t.Fatalf("form from node A posted to a node with its own key: %d, want 403", got)
	}
}
