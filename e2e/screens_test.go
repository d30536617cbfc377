package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/syncmon/syncmon/monitor"
)

// Screenshots of the pages operators look at, in Korean and English, at
// 1280x800: the dashboard, an alert with its acknowledge form (as an
// admin), and the wall display. They go to artifacts/screenshots/ on every
// run; with SYNCMON_UPDATE_SCREENSHOTS=1 they also replace the ones the
// README shows, in docs/screenshots/ (so that a plain test run leaves the
// tree clean).
func TestScreenshots(t *testing.T) {
	needTools(t)
	t.Parallel()
	// A deployment with something to show: prod-east's REPLICAT REP1 has
	// abended (open), prod-ma's extract lags (a warning), and prod-west's
	// killed replicat was acknowledged by an admin.
	maProcs := func(lag int64) []ggProc {
		return []ggProc{{"MANAGER", "", "RUNNING", 0, 0},
			{"EXTRACT", "EXTMA", "RUNNING", lag, 4}, {"REPLICAT", "REPMA", "RUNNING", 2, 3}}
	}
	westProcs := func(st string) []ggProc {
		return []ggProc{{"MANAGER", "", "RUNNING", 0, 0},
			{"EXTRACT", "EXTW", "RUNNING", 1, 2}, {"REPLICAT", "REPW", st, 0, 2}}
	}
	a := startPage(t, func(a *proc) {
		a.ggsci = []string{"prod-east", "prod-ma", "prod-west"}
		a.initial = map[string][]ggProc{"prod-ma": maProcs(3), "prod-west": westProcs("RUNNING")}
	})
	abend := a.abend(t)
	a.set(t, "prod-ma", maProcs(131)...)
	a.set(t, "prod-west", westProcs("KILLED")...)
	killed := a.waitAlert(t, "REPW", monitor.RuleProcessStatus, "open", nil)
	kim := a.addAdmin(t, "kim")
	a.apiAs(t, "kim", kim, http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", killed.ID),
		map[string]string{"comment": "DBA restarts REPW after the patch / 패치 후 재시작 예정"}, http.StatusOK, nil)
	a.waitAlert(t, "EXTMA", monitor.RuleLag, "open", nil)

	dir := filepath.Join("..", "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("SYNCMON_UPDATE_SCREENSHOTS") == "1"
	// Without a Korean font chromium draws the Korean pages as boxes: fine
	// for the artifacts of a CI run, not for the pictures the README shows.
	if out, err := exec.Command("fc-list", ":lang=ko", "family").Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
		if update {
			t.Fatal("no Korean font for chromium: apt-get install fonts-nanum, then update the screenshots")
		}
		t.Log("no Korean font for chromium (apt-get install fonts-nanum): the Korean screenshots show boxes")
	}
	for _, lang := range []string{"ko", "en"} {
		prof := newProfile(t)
		signIn(t, prof, a, "admin-"+lang, a.addAdmin(t, "admin-"+lang))
		for _, sc := range []struct {
			name, path, ready string
			dark              bool
		}{
			{"dashboard", "/", fmt.Sprintf(`!!document.querySelector('#alerts tr[data-alert-id="%d"]') && !document.getElementById('banner').hidden`, abend.ID), false},
			{"alert", fmt.Sprintf("/alerts/%d", abend.ID), `!!document.querySelector('form.ack textarea')`, false},
			{"kiosk", "/kiosk", fmt.Sprintf(`!!document.querySelector('#alerts .tile[data-alert-id="%d"]')`, abend.ID), true},
		} {
			p := openIn(t, prof, a.url(sc.path), pageOpts{lang: lang, scripts: []string{stub(voicesBoth, "")}, width: 1280, height: 800})
			p.waitFor(t, 10*time.Second, sc.name+" ready", sc.ready+` && window.syncmon.state().transport === 'ws' && document.getElementById('stale').hidden`)
			// The freshness clock has ticked once, and nothing asks for sound.
			p.waitFor(t, 5*time.Second, "the freshness clock running", `/\d/.test(document.getElementById('conn-age').textContent)`)
			soundHidden(t, p)
			if w := eval[int](t, p, `document.documentElement.scrollWidth`); w > 1280 {
				t.Errorf("%s (%s) is %d px wide: it scrolls sideways at 1280", sc.name, lang, w)
			}
			bg := eval[string](t, p, `getComputedStyle(document.body).backgroundColor`)
			if dark := bg == "rgb(0, 0, 0)" || bg == "rgb(11, 14, 17)"; dark != sc.dark {
				t.Errorf("%s (%s) background %s; want dark=%v", sc.name, lang, bg, sc.dark)
			}
			shot := p.screenshot(t)
			name := fmt.Sprintf("%s-%s.png", sc.name, lang)
			if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if update {
				if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", name), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if update {
		t.Log("docs/screenshots updated")
	}
}

// screenshot captures the viewport as a PNG and checks it is 1280x800.
func (p *tab) screenshot(t *testing.T) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if got := image.Pt(cfg.Width, cfg.Height); got != image.Pt(1280, 800) {
		t.Fatalf("screenshot is %v; want 1280x800", got)
	}
	return b
}
