package handlers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

// hostile is text an OGG host, a log line or a user could send us.
const hostile = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`

// Every template renders with representative data (a missing field fails
// here, not in front of a user) and hostile text comes out escaped, in both
// languages.
func TestEveryTemplateRendersAndEscapes(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	files, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	lag, age := int64(42), int64(7)
	who, comment := hostile, hostile
	alert := monitor.Alert{ID: 7, Target: hostile, Program: "REPLICAT", Group: hostile, Rule: monitor.RuleProcessStatus,
		Severity: monitor.SeverityCritical, State: monitor.StateAcked, Message: hostile, Speech: monitor.Speech{Ko: hostile, En: hostile},
		OpenedAt: now, UpdatedAt: now, AckedBy: &who, AckedAt: &now, Comment: &comment, Silenced: true}
	procs := []monitor.Process{{Program: "MANAGER", Status: monitor.StatusRunning},
		{Program: "REPLICAT", Group: hostile, Status: monitor.StatusAbended, LagSeconds: &lag, CheckpointAgeSeconds: &age}}
	tv := viewTarget(hostile, "ggsci", false, hostile, now, procs, []monitor.Alert{alert})
	series := []store.Series{{Program: "REPLICAT", Group: hostile, Samples: []store.Sample{
		{At: now.Add(-time.Hour), LagSeconds: &lag, CheckpointAgeSeconds: &age}, {At: now, LagSeconds: &lag, CheckpointAgeSeconds: &age}}}}
	lagChart := buildChart(hostile, series, func(x store.Sample) *int64 { return x.LagSeconds }, now.Add(-time.Hour), now)
	token := store.KioskToken{ID: 1, Name: hostile, CreatedBy: hostile, CreatedAt: now}

	for _, lang := range []string{"en", "ko"} {
		b := base{Lang: lang, Title: hostile, User: hostile, IsAdmin: true, CSRF: "tok", Version: "v", Path: "/?q=" + hostile,
			Refresh: 30, SpeechSec: 60, assets: files.url}
		pages := map[string]any{
			"dashboard.html": dashboardPage{base: b, Targets: []targetView{tv}, Alerts: []monitor.Alert{alert}},
			"alerts.html":    alertListPage{base: b, State: "active", States: []string{"active", "all"}, Alerts: []monitor.Alert{alert}},
			"alert.html": alertPage{base: b, Alert: alert, Problems: []string{hostile}, Comment: hostile,
				History: []historyView{{At: now, Actor: hostile, Action: "acked", Detail: hostile}}},
			"kiosk.html":   kioskPage{base: b, Alerts: []monitor.Alert{alert}, Targets: []targetView{tv}},
			"screens.html": screensPage{base: b, Screens: []screen{{ID: 1, Who: hostile, Transport: "ws", Address: hostile, Since: now, LastSeen: now}}, Now: now},
			"error.html":   errorPage{base: b, Code: 404, Message: hostile},
			"silences.html": silencesPage{base: b, Now: now, Rules: []string{"lag"}, Problems: []string{hostile},
				Input:    silenceInput{Target: hostile, Comment: hostile},
				Silences: []monitor.Silence{{ID: 1, Target: hostile, Group: hostile, Rule: "lag", Start: now, End: now.Add(time.Hour), Comment: hostile, Creator: hostile}}},
			"target.html": targetPage{base: b, Target: tv, Alerts: []monitor.Alert{alert}, Range: "1h", Ranges: []string{"1h"}, Lag: lagChart, Checkpoint: lagChart},
			"login.html":  loginPage{base: b, Next: "/", Name: hostile, Problem: hostile, Notice: hostile},
			"users.html":  usersPage{base: b, Users: []store.User{{ID: 1, Name: hostile, Role: "admin", CreatedAt: now}}, Name: hostile, Problems: []string{hostile}},
			"audit.html":  auditPage{base: b, Entries: []store.AuditEntry{{ID: 1, At: now, Actor: hostile, Action: "ack", Subject: hostile, Address: hostile, Detail: hostile}}},
			"notifications.html": notificationsPage{base: b, Channels: []notify.ChannelStats{{Name: hostile, Kind: "slack", Delivered: 3}},
				Failures: []store.NotifyDelivery{{Channel: hostile, Seq: 4, EventType: "alert.opened", AlertID: 7, Attempts: 9, GaveUpAt: &now, LastError: hostile}}},
			"tokens.html": tokensPage{base: b, Tokens: []store.KioskToken{token}, Created: &token, Link: "/kiosk?token=" + hostile, Name: hostile, Problems: []string{hostile}},
		}
		for name := range p.byName {
			data, ok := pages[name]
			if !ok {
				t.Errorf("template %s has no case in this test: add one", name)
				continue
			}
			var buf bytes.Buffer
			if err := p.byName[name].ExecuteTemplate(&buf, "layout", data); err != nil {
				t.Errorf("%s (%s): %v", name, lang, err)
				continue
			}
			out := buf.String()
			for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'><img`} {
				if strings.Contains(out, raw) {
					t.Errorf("%s (%s): hostile text %q came out unescaped", name, lang, raw)
				}
			}
			if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s (%s): the hostile text is not shown at all (escaped)", name, lang)
			}
		}
	}
}
