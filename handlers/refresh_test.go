package handlers_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// TestRefreshOfAnUnchangedPageIs304: the no-JS meta refresh and the JS
// page's periodic refresh ask again with the ETag they hold; an unchanged
// dashboard or kiosk costs them a 304 and no body, a changed one the page.
func TestRefreshOfAnUnchangedPageIs304(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path, etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, path := range []string{"/", "/kiosk"} {
		t.Run(path, func(t *testing.T) {
			first, body := get(path, "")
			etag := first.Header.Get("ETag")
			if first.StatusCode != http.StatusOK || etag == "" || !strings.Contains(body, "<main") {
				t.Fatalf("first GET: got %d, ETag %q; want 200 with an ETag and the page", first.StatusCode, etag)
			}
			if !first.Uncompressed {
				t.Errorf("first GET: not gzip-compressed, though the client takes gzip")
			}
			if cc := first.Header.Get("Cache-Control"); cc != "private, no-cache" {
				t.Errorf("Cache-Control: got %q, want %q (no-store leaves nothing to revalidate)", cc, "private, no-cache")
			}
			if v := strings.Join(first.Header.Values("Vary"), ","); !strings.Contains(v, "Cookie") {
				t.Errorf("Vary: got %q, want it to name Cookie", v)
			}
			again, body := get(path, etag)
			if again.StatusCode != http.StatusNotModified || body != "" {
				t.Fatalf("GET with If-None-Match %s: got %d and %d bytes, want 304 and none", etag, again.StatusCode, len(body))
			}
			if _, _, err := ts.Store.CreateTestAlert(context.Background(), store.Actor{Name: "t"}, "refresh "+path); err != nil {
				t.Fatal(err)
			}
			changed, body := get(path, etag)
			if changed.StatusCode != http.StatusOK || changed.Header.Get("ETag") == etag || !strings.Contains(body, "refresh "+path) {
				t.Fatalf("after an alert: got %d, ETag %q (was %s); want 200, a new ETag and the alert", changed.StatusCode, changed.Header.Get("ETag"), etag)
			}
		})
	}
}

// TestAPIStateIsGzipped: /api/state carries every target; a client that
// takes gzip gets it compressed, one that does not gets plain JSON.
func TestAPIStateIsGzipped(t *testing.T) {
	ts := fleetServer(t, 20)
	for _, enc := range []string{"gzip", ""} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/state", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = res.Body
		if enc == "gzip" {
			if got := res.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Content-Encoding: got %q, want gzip", got)
			}
			if r, err = gzip.NewReader(res.Body); err != nil {
				t.Fatal(err)
			}
		}
		var st struct {
			Targets []struct{ Name string } `json:"targets"`
		}
		if err := json.NewDecoder(r).Decode(&st); err != nil || len(st.Targets) != 20 {
			t.Fatalf("Accept-Encoding %q: got %d targets, %v; want 20", enc, len(st.Targets), err)
		}
		res.Body.Close()
	}
}

// TestChecksOfAHealthyFleetLeaveTheFoldedPageAlone: checks whose lag moved
// change nothing a folded dashboard shows of its healthy targets, so its
// refresh stays a 304.
func TestChecksOfAHealthyFleetLeaveTheFoldedPageAlone(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	check := func(lag int64, at time.Time) {
		for i := range 15 {
			tg := monitor.Target{Name: fmt.Sprintf("t-%02d", i), Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
			obs := monitor.Observation{Target: tg.Name, Kind: tg.Kind, ObservedAt: at, Processes: []monitor.Process{
				{Program: "MANAGER", Status: monitor.StatusRunning},
				{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusRunning, LagSeconds: &lag}}}
			if err := ts.Store.Record(context.Background(), tg, obs); err != nil {
				t.Fatal(err)
			}
		}
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	now := time.Now()
	check(1, now)
	etag := get("").Header.Get("ETag")
	check(7, now.Add(10*time.Second))
	if res := get(etag); res.StatusCode != http.StatusNotModified {
		t.Fatalf("after lag-only checks: got %d, want 304 (a folded healthy line shows no lag or check time)", res.StatusCode)
	}
}
