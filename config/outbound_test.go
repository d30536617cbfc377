package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
)

func TestHeartbeatEmailAndStaleAlarm(t *testing.T) {
	doc := `targets: [{name: east, kind: simulator}]
ui:
  stale_alarm: 3s
notifications:
  - name: watchdog
    kind: heartbeat
    url_env: HB
    interval: 30s
  - name: noc-mail
    kind: email
    host: smtp.example.com
    username: syncmon
    password_env: SMTP_PW
    from: SyncMon <syncmon@example.com>
    to: [noc@example.com, "DBA <dba@example.com>"]
    language: ko
  - name: relay
    kind: email
    host: localhost
    tls: none
    from: syncmon@example.com
    to: [noc@example.com]
`
	cfg, err := config.Parse([]byte(doc), env(map[string]string{"HB": "https://hc-ping.com/uuid-SECRET", "SMTP_PW": "pwSECRET"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StaleAlarm != 3*time.Second {
		t.Errorf("stale_alarm %s, want 3s", cfg.StaleAlarm)
	}
	if d := config.Default().StaleAlarm; d != time.Minute {
		t.Errorf("default stale_alarm %s, want 1m", d)
	}
	hb, m, relay := cfg.Notifications[0], cfg.Notifications[1], cfg.Notifications[2]
	if hb.Kind != config.NotifyHeartbeat || hb.Interval != 30*time.Second || hb.URL.Reveal() != "https://hc-ping.com/uuid-SECRET" {
		t.Errorf("heartbeat %+v", hb)
	}
	e := m.Email
	if m.Kind != config.NotifyEmail || e.Host != "smtp.example.com" || e.Port != 587 || e.TLS != config.SMTPStartTLS ||
		e.Username != "syncmon" || e.Password.Reveal() != "pwSECRET" || e.Language != "ko" ||
		!slices.Equal(e.To, []string{"noc@example.com", "DBA <dba@example.com>"}) {
		t.Errorf("email %+v", e)
	}
	if r := relay.Email; r.Port != 25 || r.TLS != config.SMTPNone || r.Language != "en" || r.Username != "" {
		t.Errorf("relay %+v", r)
	}
	if s := fmt.Sprintf("%+v %v", cfg, cfg); strings.Contains(s, "SECRET") {
		t.Fatalf("a secret prints itself: %s", s)
	}
}

func TestHeartbeatEmailErrors(t *testing.T) {
	head := "targets: [{name: east, kind: simulator}]\nnotifications:\n"
	mail := "  - name: m\n    kind: email\n    host: smtp.example.com\n    from: s@example.com\n    to: [n@example.com]\n"
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"stale_alarm too short", "ui:\n  stale_alarm: 10ms\n", []string{"line 4", "ui.stale_alarm"}},
		{"stale_alarm garbage", "ui:\n  stale_alarm: soon\n", []string{"line 4", "ui.stale_alarm", "invalid duration"}},
		{"heartbeat without url_env", "  - {name: h, kind: heartbeat}\n", []string{"line 3", "notifications[0].url_env", "required"}},
		{"heartbeat interval", "  - name: h\n    kind: heartbeat\n    url_env: U\n    interval: 10ms\n", []string{"line 6", "notifications[0].interval"}},
		{"heartbeat with routing", "  - name: h\n    kind: heartbeat\n    url_env: U\n    targets: [east]\n", []string{"line 6", "notifications[0].targets", "not for kind heartbeat"}},
		{"interval on slack", "  - name: s\n    kind: slack\n    url_env: U\n    interval: 1m\n", []string{"line 6", "notifications[0].interval", "only for kind heartbeat"}},
		{"host on slack", "  - name: s\n    kind: slack\n    url_env: U\n    host: x\n", []string{"line 6", "notifications[0].host", "only for kind email"}},
		{"email without host", "  - name: m\n    kind: email\n    from: s@example.com\n    to: [n@example.com]\n", []string{"line 3", "notifications[0].host", "required"}},
		{"email tls none remote", mail + "    tls: none\n", []string{"line 8", "notifications[0].tls", "none is allowed only"}},
		{"email tls unknown", mail + "    tls: ssl\n", []string{"line 8", "notifications[0].tls", "starttls, tls or none"}},
		{"email bad port", mail + "    port: 70000\n", []string{"line 8", "notifications[0].port"}},
		{"email user without password", mail + "    username: u\n", []string{"line 3", "notifications[0].password_env", "required"}},
		{"email password unset", mail + "    username: u\n    password_env: NOPE\n", []string{"line 9", "notifications[0].password_env", "NOPE is not set"}},
		{"email bad from", "  - name: m\n    kind: email\n    host: h\n    from: nobody\n    to: [n@example.com]\n", []string{"line 6", "notifications[0].from"}},
		{"email no to", "  - name: m\n    kind: email\n    host: h\n    from: s@example.com\n", []string{"line 3", "notifications[0].to", "required"}},
		{"email bad to", "  - name: m\n    kind: email\n    host: h\n    from: s@example.com\n    to: [ok@example.com, nope]\n", []string{"line 7", "notifications[0].to[1]"}},
		{"email language", mail + "    language: fr\n", []string{"line 8", "notifications[0].language"}},
		{"email with url_env", mail + "    url_env: U\n", []string{"line 8", "notifications[0].url_env", "not for kind email"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := head + tc.doc
			if strings.HasPrefix(tc.doc, "ui:") {
				doc = "targets: [{name: east, kind: simulator}]\n" + tc.doc
				doc = strings.Replace(doc, "ui:", "\nui:", 1)
			}
			_, err := config.Parse([]byte(doc), env(map[string]string{"U": hookURL}))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
