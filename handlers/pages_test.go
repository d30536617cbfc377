package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

func getPage(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}

var tileID = regexp.MustCompile(`class="tile [^"]*" data-alert-id="(\d+)"`)

// The wall shows at most six tiles: unacknowledged before acknowledged,
// newest first, and says how many more there are.
func TestKioskShowsFewTilesMostUrgentFirst(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	ctx := context.Background()
	var ids []int64
	for i := range 8 {
		a, _, err := ts.Store.CreateTestAlert(ctx, store.Actor{Name: "tester"}, "alert "+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	newest := ids[len(ids)-1]
	if _, err := ts.Store.Ack(ctx, store.Actor{Name: "ops"}, newest, "on it"); err != nil {
		t.Fatal(err)
	}
	page := getPage(t, ts.URL+"/kiosk")
	var got []string
	for _, m := range tileID.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	// Open ones newest first (7 … 2), the acknowledged newest (8) after them: cut at six.
	want := []string{"7", "6", "5", "4", "3", "2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tiles %v; want %v", got, want)
	}
	if !strings.Contains(page, `<p class="kiosk-more">+2 `) {
		t.Errorf("the wall does not say 2 more alerts:\n%s", page)
	}
	if !strings.Contains(page, `✖ 7 critical`) {
		t.Errorf("the wall does not count 7 open critical alerts")
	}
}

// Without JS, pages reload themselves at the configured interval, except a
// page with a comment being typed; every page names the chime for the client.
func TestPagesRefreshThemselvesWithoutJS(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PageRefresh: 7 * time.Second})
	a, _, err := ts.Store.CreateTestAlert(context.Background(), store.Actor{Name: "tester"}, "refresh")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/alerts", "/kiosk", "/alerts/" + strconv.FormatInt(a.ID, 10)} {
		page := getPage(t, ts.URL+path)
		if !strings.Contains(page, `<noscript><meta http-equiv="refresh" content="7"></noscript>`) {
			t.Errorf("%s has no 7 s meta refresh for browsers without JS", path)
		}
		m := regexp.MustCompile(`data-chime="(/static/[0-9a-f]{12}/chime\.wav)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s names no content-hashed chime on <body>", path)
		}
		resp, err := http.Get(ts.URL + m[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "audio/") {
			t.Errorf("GET %s: %d %q; want the chime as audio", m[1], resp.StatusCode, ct)
		}
	}
}

// The alert list filters silenced alerts (active, in a maintenance window).
func TestAlertListFiltersSilenced(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	ctx := context.Background()
	target := monitor.Target{Name: "east", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	record := func(rep1, rep2 string) {
		obs := monitor.Observation{Target: "east", Kind: target.Kind, ObservedAt: time.Now(), Processes: []monitor.Process{
			{Program: "MANAGER", Status: monitor.StatusRunning},
			{Program: "REPLICAT", Group: "REP1", Status: rep1}, {Program: "REPLICAT", Group: "REP2", Status: rep2}}}
		if err := ts.Store.Record(ctx, target, obs); err != nil {
			t.Fatal(err)
		}
	}
	record(monitor.StatusRunning, monitor.StatusRunning)
	now := time.Now()
	if _, err := ts.Store.CreateSilence(ctx, store.Actor{Name: "ops"}, monitor.Silence{Target: "east", Group: "REP2", Comment: "patching",
		Start: now.Add(-time.Second), End: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	record(monitor.StatusAbended, monitor.StatusAbended)
	page := getPage(t, ts.URL+"/alerts?state=silenced")
	rows := regexp.MustCompile(`<tr class="([^"]*)" data-alert-id="\d+">`).FindAllStringSubmatch(page, -1)
	if len(rows) != 1 || !strings.Contains(rows[0][1], "silenced") || !strings.Contains(page, "REPLICAT REP2") || strings.Contains(page, "REPLICAT REP1") {
		t.Fatalf("silenced filter rows %v; want REP2's alert only:\n%s", rows, page)
	}
	if !strings.Contains(page, `href="/alerts?state=silenced" aria-current="page"`) {
		t.Errorf("the silenced filter is not marked as the current one")
	}

	// The JSON API takes the same filters as the page.
	resp, err := http.Get(ts.URL + "/api/alerts?state=silenced")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Alerts []monitor.Alert }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/alerts?state=silenced: %d, %v; want 200 and alerts", resp.StatusCode, err)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].Group != "REP2" {
		t.Errorf("GET /api/alerts?state=silenced: %+v, want REP2's alert only", got.Alerts)
	}
}
