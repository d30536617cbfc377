package monitor_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

func depthI64(v int64) *int64 { return &v }

func TestDiffActivity(t *testing.T) {
	t0 := time.Date(2024, 5, 14, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	prev := monitor.Activity{Program: "REPLICAT", Group: "R1", Operations: depthI64(100), Discards: depthI64(2), Position: "37/100", Since: &t0}
	for _, tc := range []struct {
		name           string
		cur            monitor.Activity
		ops, discards  *int64
		moved, restart bool
	}{
		{"stalled", monitor.Activity{Operations: depthI64(100), Discards: depthI64(2), Position: "37/100", Since: &t0}, depthI64(0), depthI64(0), false, false},
		{"moving and discarding", monitor.Activity{Operations: depthI64(150), Discards: depthI64(5), Position: "37/900", Since: &t0}, depthI64(50), depthI64(3), true, false},
		{"restarted", monitor.Activity{Operations: depthI64(7), Discards: depthI64(1), Position: "38/0", Since: &t1}, depthI64(7), depthI64(1), true, true},
		{"counters went back", monitor.Activity{Operations: depthI64(3), Discards: depthI64(2)}, depthI64(3), depthI64(2), false, true},
		{"unknown", monitor.Activity{}, nil, nil, false, false},
	} {
		d := monitor.DiffActivity(prev, tc.cur)
		eq := func(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
		if !eq(d.Operations, tc.ops) || !eq(d.Discards, tc.discards) || d.Moved != tc.moved || d.Reset != tc.restart {
			t.Errorf("%s: got %+v", tc.name, d)
		}
	}
}

func TestOldestRecovery(t *testing.T) {
	if _, ok := monitor.OldestRecovery(nil); ok {
		t.Error("none: ok")
	}
	t0 := time.Date(2011, 1, 1, 14, 16, 45, 0, time.UTC)
	got, ok := monitor.OldestRecovery([]monitor.Recovery{{Thread: 1, CheckpointAt: t0}, {Thread: 2, CheckpointAt: t0.Add(-26 * time.Second)}})
	if !ok || got.Thread != 2 {
		t.Errorf("got %+v, want thread 2", got)
	}
}

// TestDepthJSONNames pins the field names of check --once (DESIGN.md).
func TestDepthJSONNames(t *testing.T) {
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    any
		want string
	}{
		{monitor.Service{Deployment: "east", Name: "DISTSRVR", Status: "RUNNING"},
			`{"deployment":"east","name":"DISTSRVR","status":"RUNNING"}`},
		{monitor.Path{Deployment: "east", Name: "EAST2WEST", Kind: "distribution", Status: "RUNNING", Source: "EXT1",
			Target: "wss://west:9103/services/v2/targets?trail=rt", LagSeconds: depthI64(4), CheckpointAgeSeconds: depthI64(12)},
			`{"deployment":"east","name":"EAST2WEST","kind":"distribution","status":"RUNNING","source":"EXT1","target":"wss://west:9103/services/v2/targets?trail=rt","lag_seconds":4,"checkpoint_age_seconds":12}`},
		{monitor.Heartbeat{Deployment: "east", Direction: "incoming", From: "ORCL", To: "PDBWEST", Path: "EXT1 ==> DPEAST ==> REP1", LagSeconds: 5.8, AgeSeconds: 42},
			`{"deployment":"east","direction":"incoming","from":"ORCL","to":"PDBWEST","path":"EXT1 ==\u003e DPEAST ==\u003e REP1","lag_seconds":5.8,"age_seconds":42}`},
		{monitor.Transaction{Process: "EXT1", XID: "5.15.930", StartedAt: &at, AgeSeconds: depthI64(18000), Items: depthI64(1)},
			`{"process":"EXT1","xid":"5.15.930","started_at":"2026-11-24T07:00:00Z","age_seconds":18000,"items":1}`},
		{monitor.Recovery{Process: "EXT1", CheckpointAt: at, AgeSeconds: 7200},
			`{"process":"EXT1","checkpoint_at":"2026-11-24T07:00:00Z","age_seconds":7200}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("got  %s (%v)\nwant %s", b, err, tc.want)
		}
	}
}
