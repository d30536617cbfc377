package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"
)

// serve with a webhook channel: a test alert posted to the API reaches the
// webhook with its idempotency key, and the webhook's token is never logged.
func TestServeDeliversTestAlertToWebhook(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []string
		body []byte
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = append(got, r.Header.Get("Idempotency-Key")), b
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	t.Setenv("SYNCMON_E2E_HOOK", hook.URL+"/hooks/TOKEN-e2e-secret")

	dir := t.TempDir()
	db := filepath.Join(dir, "notify.db")
	cfgPath := filepath.Join(dir, "syncmon.yaml")
	cfg := `public_url: https://syncmon.example
targets:
  - {name: lab, kind: simulator, schedule: "@every 1h"}
notifications:
  - {name: hook, kind: webhook, url_env: SYNCMON_E2E_HOOK, include_test: true}
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"user", "add", "ops", "--role", "admin", "--database", db},
		os.Getenv, strings.NewReader("s3cret-pass\n"), io.Discard, io.Discard); err != nil {
		t.Fatalf("user add: %v", err)
	}
	base, logs, stop := startServer(t, "--config", cfgPath, "--database", db)

	req, _ := http.NewRequest(http.MethodPost, base+"/api/alerts/test", strings.NewReader(`{"message":"webhook drill"}`))
	req.SetBasicAuth("ops", "s3cret-pass")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Seq int64 `json:"seq"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("test alert: %d, %v", resp.StatusCode, err)
	}
	want := "syncmon-" + strconv.FormatInt(out.Seq, 10) + "-hook"
	testutil.Eventually(t, 30*time.Second, "the webhook heard something", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	stop()
	mu.Lock()
	defer mu.Unlock()
	if got[0] != want || !strings.Contains(string(body), `"message":"webhook drill"`) || !strings.Contains(string(body), `"idempotency_key":"`+want+`"`) {
		t.Fatalf("webhook got keys %v, body %s; want key %s", got, body, want)
	}
	if strings.Contains(logs.String(), "TOKEN-e2e-secret") {
		t.Fatalf("the webhook URL's token is in the log:\n%s", logs.String())
	}
}
