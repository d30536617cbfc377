package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// RaiseSelf opens one syncmon/<component> alert however often it is
// called; ClearSelf resolves it; raised again, it is a new alert.
func TestRaiseAndClearSelf(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sp := monitor.Speech{En: "lost", Ko: "잃음"}
	for i, want := range []bool{true, false, false} {
		opened, err := st.RaiseSelf(ctx, "cluster", "no quorum", sp)
		if err != nil || opened != want {
			t.Fatalf("raise %d: opened %v, %v; want %v", i, opened, err, want)
		}
	}
	active, err := st.Alerts(ctx, store.AlertFilter{State: "active"})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].Rule != "syncmon" || active[0].Program != "SYNCMON" || active[0].Group != "cluster" ||
		active[0].Target != "syncmon" || active[0].Severity != monitor.SeverityCritical || active[0].Speech.En != "lost" {
		t.Fatalf("active alerts %+v", active)
	}
	if err := st.ClearSelf(ctx, "cluster"); err != nil {
		t.Fatal(err)
	}
	if active, _ = st.Alerts(ctx, store.AlertFilter{State: "active"}); len(active) != 0 {
		t.Fatalf("after clear: %+v", active)
	}
	if opened, err := st.RaiseSelf(ctx, "cluster", "no quorum", sp); err != nil || !opened {
		t.Fatalf("raise after clear: %v %v", opened, err)
	}
}
