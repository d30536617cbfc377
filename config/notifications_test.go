package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
)

const hookURL = "https://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX"

func TestNotificationsDefaultsAndKeys(t *testing.T) {
	doc := `public_url: https://syncmon.example/
targets:
  - {name: east, kind: simulator}
  - {name: west, kind: simulator}
notifications:
  - name: ops-chat
    kind: slack
    url_env: SLACK_URL
  - name: pager
    kind: webhook
    url_env: HOOK_URL
    min_severity: critical
    targets: [east]
    include_test: true
    include_acks: true
    timeout: 3s
    max_age: 2h
`
	cfg, err := config.Parse([]byte(doc), env(map[string]string{"SLACK_URL": hookURL, "HOOK_URL": "http://127.0.0.1:9/hook"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://syncmon.example" {
		t.Fatalf("public_url = %q, want it without the trailing slash", cfg.PublicURL)
	}
	if len(cfg.Notifications) != 2 {
		t.Fatalf("got %d notifications, want 2", len(cfg.Notifications))
	}
	d := config.NotificationDefaults()
	n := cfg.Notifications[0]
	if n.Name != "ops-chat" || n.Kind != config.NotifySlack || n.URL.Reveal() != hookURL ||
		n.MinSeverity != d.MinSeverity || n.Timeout != d.Timeout || n.MaxAge != d.MaxAge || n.IncludeTest || n.IncludeAcks || n.Targets != nil {
		t.Fatalf("defaults: got %+v", n)
	}
	n = cfg.Notifications[1]
	if n.MinSeverity != "critical" || len(n.Targets) != 1 || n.Targets[0] != "east" || !n.IncludeTest || !n.IncludeAcks ||
		n.Timeout != 3*time.Second || n.MaxAge != 2*time.Hour {
		t.Fatalf("keys: got %+v", n)
	}
	if s := fmt.Sprintf("%+v %v", cfg, cfg); strings.Contains(s, "SECRET") {
		t.Fatalf("the webhook URL prints itself: %s", s)
	}
}

func TestNotificationErrorsNameKeyAndLine(t *testing.T) {
	head := "targets: [{name: east, kind: simulator}]\nnotifications:\n"
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"missing name", "  - kind: slack\n    url_env: U\n", []string{"line 3", "notifications[0].name", "required"}},
		{"bad name", "  - name: a b\n    kind: slack\n    url_env: U\n", []string{"line 3", "notifications[0].name", "letters"}},
		{"duplicate name", "  - {name: a, kind: slack, url_env: U}\n  - {name: a, kind: teams, url_env: U}\n", []string{"line 4", "notifications[1].name", "duplicate"}},
		{"missing kind", "  - name: a\n    url_env: U\n", []string{"line 3", "notifications[0].kind", "required"}},
		{"unknown kind", "  - name: a\n    kind: pager\n    url_env: U\n", []string{"line 4", "notifications[0].kind", "unknown kind"}},
		{"url in the file", "  - name: a\n    kind: slack\n    url: https://x\n", []string{"line 5", `unknown key "url"`}},
		{"missing url_env", "  - name: a\n    kind: slack\n", []string{"line 3", "notifications[0].url_env", "required"}},
		{"unset url_env", "  - name: a\n    kind: slack\n    url_env: NOPE\n", []string{"line 5", "notifications[0].url_env", "NOPE is not set"}},
		{"not a url", "  - name: a\n    kind: slack\n    url_env: BAD\n", []string{"line 5", "notifications[0].url_env", "does not hold an http(s) URL"}},
		{"bad severity", "  - name: a\n    kind: slack\n    url_env: U\n    min_severity: ok\n", []string{"line 6", "notifications[0].min_severity"}},
		{"unknown target", "  - name: a\n    kind: slack\n    url_env: U\n    targets: [east, weast]\n", []string{"line 6", "notifications[0].targets[1]", `"weast"`}},
		{"bad timeout", "  - name: a\n    kind: slack\n    url_env: U\n    timeout: soon\n", []string{"line 6", "notifications[0].timeout", "invalid duration"}},
		{"max_age below timeout", "  - name: a\n    kind: slack\n    url_env: U\n    timeout: 30s\n    max_age: 10s\n", []string{"line 7", "notifications[0].max_age"}},
		{"max_age beyond retention", "  - name: a\n    kind: slack\n    url_env: U\n    max_age: 200h\n", []string{"line 6", "notifications[0].max_age", "retention.events"}},
		{"unknown key", "  - name: a\n    kind: slack\n    url_env: U\n    min_sev: warning\n", []string{"line 6", `unknown key "min_sev"`}},
		{"bad public_url", "public_url_placeholder", []string{"line 1", "public_url"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := head + tc.doc
			if tc.doc == "public_url_placeholder" {
				doc = "public_url: syncmon.example\n" + oneTarget
			}
			_, err := config.Parse([]byte(doc), env(map[string]string{"U": hookURL, "BAD": "hooks.example/" + hookURL[8:]}))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes the webhook URL", err)
			}
		})
	}
}
