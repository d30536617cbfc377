package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
	"golang.org/x/crypto/bcrypt"
)

// A cluster node whose commands no writer answers: every command path
// answers 503 with a message and Retry-After, the JSON routes as JSON,
// the forms as a page; never 500.
func TestCommandWithoutWriterAnswers503(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	ctx := context.Background()
	u, err := ts.Store.CreateUser(ctx, store.Actor{Name: "test"}, store.NewUser{Name: "root", Role: store.RoleAdmin, Password: "root-password", Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := ts.Store.StartSession(ctx, u, store.Lifetime{Max: time.Hour}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ts.Store.SetForwarder(func() bool { return false }, func(context.Context, store.Command) (store.CommandResult, error) {
		return store.CommandResult{}, errors.New("nats: no responders available for request")
	})
	cases := []struct{ method, path, body, ctype string }{
		{http.MethodPost, "/api/alerts/test", `{"message":"x"}`, "application/json"},
		{http.MethodPost, "/api/alerts/1/ack", `{"comment":"x"}`, "application/json"},
		{http.MethodPost, "/api/silences", `{"rule":"lag","start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z","comment":"x"}`, "application/json"},
		{http.MethodDelete, "/api/silences/1", "", ""},
		{http.MethodPost, "/users", url.Values{"name": {"eve"}, "role": {"viewer"}, "password": {"eve-password"}}.Encode(), "application/x-www-form-urlencoded"},
		{http.MethodPost, "/tokens", "name=Lobby", "application/x-www-form-urlencoded"},
		{http.MethodPost, "/login", "name=root&password=root-password", "application/x-www-form-urlencoded"},
		{http.MethodPost, "/logout", "", "application/x-www-form-urlencoded"},
		{http.MethodGet, "/kiosk/pair?token=smk_whatever", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if strings.HasPrefix(tc.path, "/api/") {
				req.SetBasicAuth("root", "root-password")
			} else if tc.path != "/login" {
				req.AddCookie(&http.Cookie{Name: "syncmon_session", Value: sess})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("got %s (Retry-After %q), want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
			}
			if strings.HasPrefix(tc.path, "/api/") {
				var ans struct{ Error string }
				if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || !strings.Contains(ans.Error, "no writer") {
					t.Fatalf("body: %+v, %v; want the no-writer message", ans, err)
				}
			}
		})
	}
}
