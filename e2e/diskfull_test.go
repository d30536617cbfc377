package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/monitor"
)

// pageAlertJS finds, in the page's alerts, the one of rule and group.
func pageAlertJS(rule, group string) string {
	return fmt.Sprintf(`(function () { var all = window.syncmon.state().alerts, id;
  for (id in all) { if (all[id].rule === %q && all[id].group === %q) { return all[id]; } }
  return null; }())`, rule, group)
}

type pageAlert struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Speech struct {
		En string `json:"en"`
	} `json:"speech"`
}

// The "done when", in a browser: the database on a full
// filesystem, REP1 abends; the dashboard shows and says it within 5 s,
// alongside the syncmon/store alert and the "not being recorded" banner.
// Space returns: with no manual step the ABEND is in /api/alerts with its
// opening time, the store alert resolves, and the page says nothing more
// (the recorded twin of what it already said is not said again).
func TestDiskFullAbendShownAndSpokenInBrowser(t *testing.T) {
	needTools(t)
	t.Parallel()
	dir := testutil.MountTmpfs(t, "8m")
	// speech_repeat long: every utterance the test counts is an announcement.
	a := startPage(t, func(a *proc) { a.db, a.repeat = filepath.Join(dir, "syncmon.db"), time.Hour })
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	p.waitFor(t, 10*time.Second, "the page's repeat check runs", `window.syncmon.state().checks > 0`)

	filler := testutil.FillDisk(t, dir, "filler")
	storeJS := pageAlertJS(monitor.RuleSyncMon, monitor.ComponentStore)
	p.waitFor(t, 30*time.Second, "the syncmon/store alert reached the page", storeJS+` !== null`)
	store := eval[pageAlert](t, p, storeJS)
	if store.Speech.En == "" {
		t.Fatalf("store alert %+v: want English speech", store)
	}
	p.waitSpoken(t, 10*time.Second, store.Speech.En, 1)
	p.waitFor(t, 5*time.Second, "the not-being-recorded banner", `!document.getElementById('unrecorded').hidden`)
	// Keep the disk full: the database may have freed pages meanwhile.
	filler2 := testutil.FillDisk(t, dir, "filler2")

	abendAt := time.Now()
	a.set(t, "prod-east", rep1Abended()...)
	abendJS := pageAlertJS(monitor.RuleProcessStatus, "REP1")
	p.waitFor(t, 5*time.Second, "the ABEND reached the page", abendJS+` !== null`)
	// Unpersisted (a temporary negative id) when SQLite cannot write it,
	// recorded when it still has a free page for it: the store alert and
	// the banner stand either way (the filesystem is nearly full).
	abend := eval[pageAlert](t, p, abendJS)
	if abend.State != "open" || abend.Speech.En == "" {
		t.Fatalf("ABEND on the page %+v: want an open alert with English speech", abend)
	}
	p.waitFor(t, time.Until(abendAt.Add(5*time.Second)), "the banner shows the ABEND", shownJS(abend.ID, abend.Speech.En))
	p.waitSpoken(t, time.Until(abendAt.Add(5*time.Second)), abend.Speech.En, 1)
	if eval[bool](t, p, `document.getElementById('unrecorded').hidden`) {
		t.Fatalf("the not-being-recorded banner went away while the disk is still full")
	}

	os.Remove(filler)
	os.Remove(filler2)
	rec := a.waitAlert(t, "REP1", monitor.RuleProcessStatus, "open", nil)
	if d := rec.OpenedAt.Sub(abendAt); d < -time.Second || d > 5*time.Second {
		t.Fatalf("recorded ABEND opened_at %s; want its real time (about %s)", rec.OpenedAt, abendAt)
	}
	waitStoreResolved(t, a)
	p.waitFor(t, 10*time.Second, "the page holds the recorded ABEND, not its twin, and no store alert",
		fmt.Sprintf(`(function () { var all = window.syncmon.state().alerts; var n = 0, id;
  for (id in all) { n++; } return !!all[%d] && n === 1; }())`, rec.ID))
	p.waitFor(t, 5*time.Second, "the not-being-recorded banner gone", `document.getElementById('unrecorded').hidden`)
	p.quietFor(t, 3, "after space returned")
	count := map[string]int{}
	for _, s := range p.spoken(t) {
		count[s.Text]++
	}
	if count[abend.Speech.En] != 1 || count[store.Speech.En] != 1 || len(count) != 2 {
		t.Fatalf("said %v; want the ABEND and the store alert once each", count)
	}
}

// waitStoreResolved waits until /api/alerts has no active syncmon/store
// alert and a resolved one.
func waitStoreResolved(t *testing.T, a *proc) {
	t.Helper()
	has := func(state string) bool {
		var out struct {
			Alerts []monitor.Alert `json:"alerts"`
		}
		a.api(t, http.MethodGet, "/api/alerts?state="+state, nil, http.StatusOK, &out)
		for _, al := range out.Alerts {
			if al.Rule == monitor.RuleSyncMon && al.Group == monitor.ComponentStore {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)
	for has("active") || !has("resolved") {
		if time.Now().After(deadline) {
			t.Fatalf("the syncmon/store alert did not resolve within 30 s of space returning")
		}
		time.Sleep(100 * time.Millisecond) // a poll interval, not a settle
	}
}
