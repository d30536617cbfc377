package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// These tests kill the real binary under a page and listen: a page whose
// line stays stale for ui.stale_alarm chimes and says so in its language,
// with SyncMon dead (everything it needs is in the page already), and says
// "restored" once when SyncMon is back.

// lineState is what the page's client says of its line alarm.
type lineState struct {
	Stale        bool `json:"stale"`
	StaleAlarmMs int  `json:"staleAlarmMs"`
	LineLost     int  `json:"lineLost"`
	LineRestored int  `json:"lineRestored"`
	LineMedia    bool `json:"lineMedia"`
	Announced    int  `json:"announced"`
	Muted        bool `json:"muted"`
	Checks       int  `json:"checks"`
}

func (p *tab) line(t *testing.T) lineState { return eval[lineState](t, p, `window.syncmon.state()`) }

const staleAlarm = 3 * time.Second

// startLineProc runs the binary with a 1 s heartbeat (stale after 4 s) and
// a 3 s stale alarm.
func startLineProc(t *testing.T) *proc {
	return startProc(t, func(a *proc) { a.ping, a.staleAlarm = time.Second, staleAlarm })
}

// waitMedia waits until the page holds the chime and its recordings in memory.
func (p *tab) waitMedia(t *testing.T) {
	p.waitFor(t, 10*time.Second, "chime and recordings preloaded", `window.syncmon.state().lineMedia === true`)
	if got := p.line(t).StaleAlarmMs; got != int(staleAlarm/time.Millisecond) {
		t.Fatalf("staleAlarmMs %d, want %d from ui.stale_alarm", got, staleAlarm/time.Millisecond)
	}
}

// count is how many times the page said text.
func (p *tab) count(t *testing.T, text string) int {
	n := 0
	for _, s := range p.spoken(t) {
		if s.Text == text {
			n++
		}
	}
	return n
}

// A dashboard in each language, SyncMon killed under it: within
// stale_alarm + 10 s each chimes and says "connection lost" in its
// language with its voice; when SyncMon is back, each says "restored"
// once, and nothing more.
func TestLineLostSpokenWithServerDead(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startLineProc(t)
	want := map[string][2]string{
		"en": {"SyncMon connection lost", "SyncMon connection restored"},
		"ko": {"SyncMon 연결이 끊겼습니다", "SyncMon 연결이 복구되었습니다"},
	}
	pages := map[string]*tab{}
	for _, lang := range []string{"en", "ko"} {
		pages[lang] = openIn(t, newProfile(t), a.url("/"), pageOpts{lang: lang, scripts: []string{stub(voicesBoth, "")}})
		pages[lang].waitMedia(t)
	}
	killed := time.Now()
	a.crash()
	for lang, p := range pages {
		got := p.waitSpoken(t, time.Until(killed.Add(staleAlarm+10*time.Second)), want[lang][0], 1)
		lost := got[len(got)-1]
		wantLang := map[string]string{"en": "en-US", "ko": "ko-KR"}[lang]
		if lost.Lang != wantLang || lost.Voice != wantLang {
			t.Errorf("%s: said %+v, want lang and voice %s", lang, lost, wantLang)
		}
		chimed := false
		for _, pl := range p.played(t) {
			chimed = chimed || (strings.HasPrefix(pl.Src, "blob:") && pl.At <= lost.At)
		}
		if !chimed {
			t.Errorf("%s: played %+v; want the in-memory chime before %q", lang, p.played(t), lost.Text)
		}
	}
	a.start(t)
	for lang, p := range pages {
		p.waitSpoken(t, 30*time.Second, want[lang][1], 1)
	}
	for lang, p := range pages {
		p.quietFor(t, 3, lang+" after restored")
		if n, r := p.count(t, want[lang][0]), p.count(t, want[lang][1]); n != 1 || r != 1 {
			t.Errorf("%s: said lost %d and restored %d times, want once each (within 2 minutes)", lang, n, r)
		}
	}
}

// A page with no voice for its language plays the recording it fetched at
// load: with SyncMon dead, the chime and then "lost" play from memory (a
// WAV still readable with the server gone); "restored" plays when it is back.
func TestLineLostRecordingWithoutVoice(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startLineProc(t)
	p := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesEnglishOnly, "")}})
	p.waitMedia(t)
	media := eval[map[string]string](t, p, `window.SyncMon.alarm.media()`)
	if !strings.HasPrefix(media["lost"], "blob:") || !strings.HasPrefix(media["restored"], "blob:") {
		t.Fatalf("media %v, want blob: URLs held in memory", media)
	}
	killed := time.Now()
	a.crash()
	played := func(src string) string {
		m, _ := json.Marshal(src)
		return fmt.Sprintf(`(window.__played || []).some(function (p) { return p.src === %s; })`, m)
	}
	p.waitFor(t, time.Until(killed.Add(staleAlarm+10*time.Second)), "the Korean 'lost' recording played", played(media["lost"]))
	// What played is playable with no server: chromium decodes the
	// recording from memory (media-src allows blob:).
	p.waitFor(t, 5*time.Second, "the recording decodes from memory", fmt.Sprintf(`(function () {
		if (window.__lostSec === undefined) {
			window.__lostSec = 0;
			var el = document.createElement('audio');
			el.preload = 'auto';
			el.addEventListener('loadedmetadata', function () { window.__lostSec = el.duration; });
			el.addEventListener('error', function () { window.__lostSec = -1; });
			el.src = %q;
		}
		return window.__lostSec > 1 || window.__lostSec < 0;
	}())`, media["lost"]))
	if sec := eval[float64](t, p, `window.__lostSec`); sec < 1 || sec > 6 {
		t.Errorf("the recording lasts %v s, want a sentence (1 to 6 s)", sec)
	}
	var chimeAt, lostAt float64
	for _, pl := range p.played(t) {
		switch pl.Src {
		case media["chime"]:
			if chimeAt == 0 {
				chimeAt = pl.At
			}
		case media["lost"]:
			lostAt = pl.At
		}
	}
	if chimeAt == 0 || chimeAt > lostAt {
		t.Errorf("played %+v; want the in-memory chime before the recording", p.played(t))
	}
	if got := p.spoken(t); len(got) != 0 {
		t.Errorf("spoke %+v with an English voice only; want the Korean recording instead", got)
	}
	a.start(t)
	p.waitFor(t, 30*time.Second, "the Korean 'restored' recording played", played(media["restored"]))
}

// A muted page keeps quiet about its line as about alerts: the alarm comes
// due (lineLost counts it) but nothing is played or said, and no
// "restored" follows for what was never said.
func TestLineAlarmMuted(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startLineProc(t)
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	p.waitMedia(t)
	p.do(t, "mute", chromedp.Click(chromedp.CSS(`#mute`)))
	p.waitFor(t, 5*time.Second, "muted", `window.syncmon.state().muted === true`)
	a.crash()
	p.waitFor(t, staleAlarm+10*time.Second, "the alarm came due", `window.syncmon.state().lineLost >= 1`)
	a.start(t)
	p.waitFor(t, 30*time.Second, "the line back", `window.syncmon.state().stale === false && window.syncmon.state().beats > 0`)
	p.quietFor(t, 3, "muted, line back")
	if s, pl, st := p.spoken(t), p.played(t), p.line(t); len(s) != 0 || len(pl) != 0 || st.LineRestored != 0 {
		t.Errorf("muted page said %+v, played %+v, restored %d; want nothing", s, pl, st.LineRestored)
	}
}
