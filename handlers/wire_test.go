package handlers_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func hasKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing (have %v)", what, k, keysOf(m))
		}
	}
}

// The wire format is a contract (DESIGN.md, "Events"): other tools read it.
// Renaming a field must fail a test.
func TestWireFormatOfHelloPingAndAlertEvents(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PingInterval: 200 * time.Millisecond, Version: "9.9.9"})
	c, _, err := dialWS(t, ts.URL, "?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func() map[string]any {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		return m
	}
	hello := read()
	hasKeys(t, "hello", hello, "type", "head", "transport", "version")
	if hello["type"] != "hello" || hello["transport"] != "ws" || hello["version"] != "9.9.9" || hello["head"] != float64(0) {
		t.Fatalf("hello = %v", hello)
	}
	if _, ok := hello["seq"]; ok {
		t.Fatal("hello carries a seq; ephemeral messages carry only head")
	}

	msg := "  drill <b>1</b> " + strings.Repeat("가", 10)
	_, seq, err := ts.Store.CreateTestAlert(context.Background(), store.Actor{Name: "tester"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	for ev = read(); ev["type"] == "ping"; ev = read() {
		hasKeys(t, "ping", ev, "type", "head")
	}
	hasKeys(t, "event", ev, "seq", "type", "at", "alert")
	if ev["seq"] != float64(seq) || ev["type"] != "alert.opened" {
		t.Fatalf("event = %v", ev)
	}
	if at, _ := ev["at"].(string); !strings.HasSuffix(at, "Z") || len(at) != len("2026-11-24T12:00:00.123Z") {
		t.Fatalf("at = %q, want RFC 3339 UTC with milliseconds", at)
	}
	a, _ := ev["alert"].(map[string]any)
	hasKeys(t, "alert", a, "id", "target", "program", "group", "rule", "severity", "state", "message", "speech",
		"opened_at", "acked_by", "acked_at", "comment", "test")
	if a["acked_by"] != nil || a["acked_at"] != nil || a["comment"] != nil {
		t.Fatalf("unacked alert: acked_by/acked_at/comment = %v/%v/%v, want null", a["acked_by"], a["acked_at"], a["comment"])
	}
	if a["test"] != true || a["rule"] != "test" || a["severity"] != "critical" || a["state"] != "open" || a["message"] != msg {
		t.Fatalf("test alert = %v (message must be verbatim)", a)
	}
	sp, _ := a["speech"].(map[string]any)
	if sp["ko"] != msg || sp["en"] != msg {
		t.Fatalf("speech = %v, want the message in both languages", sp)
	}
}
