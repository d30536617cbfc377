package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/syncmon/syncmon/monitor"
)

// These tests drive the pages' sound: what is said, in which language, how
// often, and when it stops. The binary runs through run() without the proxy
// rig (startPage), its engine fed by a fake GGSCI (source_test.go); chromium's speech and media playback are replaced by recorders (real
// speech needs speech-dispatcher and an audio sink, and the test could not
// hear it anyway).

// soundStub records what a page says and plays instead of saying and
// playing it. speechSynthesis keeps its real object; speak, cancel,
// getVoices, speaking and pending are replaced, and SpeechSynthesisUtterance
// becomes a plain object so that a test voice can be assigned to it. The
// voices (VOICES, a JSON list) load asynchronously, as in Chrome: the first
// getVoices() is empty and voiceschanged fires 300 ms later. An utterance
// starts and ends asynchronously. Media play() records the element's src,
// fetches /api/tts URLs to record what the server answered, and ends at once.
// REFUSE ("speech", "media" or "both") makes speech fail with not-allowed,
// play() reject, or both, until the page has had a user gesture, as Chrome
// without the autoplay flag does; "stuck" makes speech never start, as a
// wedged speech-dispatcher does.
const soundStub = `(function () {
  var voices = VOICES, refuse = REFUSE; /* '', 'speech', 'media', 'both' or 'stuck' */
  window.__spoken = []; window.__played = []; window.__cancels = 0;
  var S = window.speechSynthesis;
  if (!S) { return; }
  var loaded = false, loading = false, speaking = false;
  /* a real (trusted) click or key press activates the page for good; CDP's
     own navigation counts as activation in userActivation, so keep our own */
  var active = false;
  function activated() { return active; }
  ['click', 'keydown'].forEach(function (t) {
    window.addEventListener(t, function (e) { if (e.isTrusted) { active = true; } }, true);
  });
  window.SpeechSynthesisUtterance = function (text) {
    this.text = text || ''; this.lang = ''; this.voice = null;
    this.onstart = null; this.onend = null; this.onerror = null;
  };
  S.getVoices = function () {
    if (!loaded && !loading) {
      loading = true;
      setTimeout(function () { loaded = true; S.dispatchEvent(new Event('voiceschanged')); }, 300);
    }
    return loaded ? voices.slice() : [];
  };
  S.speak = function (u) {
    window.__spoken.push({ text: u.text, lang: u.lang, voice: u.voice ? u.voice.lang : '', at: Date.now() });
    if ((refuse === 'speech' || refuse === 'both') && !activated()) {
      setTimeout(function () { if (u.onerror) { u.onerror({ error: 'not-allowed' }); } }, 0);
      return;
    }
    speaking = true;
    if (refuse === 'stuck') { return; } /* a wedged engine: never starts, never ends */
    setTimeout(function () {
      if (u.onstart) { u.onstart({}); }
      setTimeout(function () { speaking = false; if (u.onend) { u.onend({}); } }, 50);
    }, 10);
  };
  S.cancel = function () { window.__cancels++; speaking = false; };
  Object.defineProperty(S, 'speaking', { configurable: true, get: function () { return speaking; } });
  Object.defineProperty(S, 'pending', { configurable: true, get: function () { return false; } });
  HTMLMediaElement.prototype.play = function () {
    var el = this, rec = { src: el.currentSrc || el.src, at: Date.now() };
    window.__played.push(rec);
    if (rec.src.indexOf('/api/tts') >= 0) {
      var x = new XMLHttpRequest();
      x.open('GET', rec.src);
      x.onload = function () { rec.status = x.status; rec.type = x.getResponseHeader('Content-Type'); };
      x.send();
    }
    if ((refuse === 'media' || refuse === 'both') && !activated()) {
      var err = new Error('play() failed because the user did not interact with the document first.');
      err.name = 'NotAllowedError';
      return Promise.reject(err);
    }
    setTimeout(function () { el.dispatchEvent(new Event('ended')); }, 20);
    return Promise.resolve();
  };
}());`

// Voices a stub offers.
var (
	voicesBoth = []map[string]any{
		{"name": "Korean espeak-ng", "lang": "ko-KR", "localService": true},
		{"name": "English (America) espeak-ng", "lang": "en-US", "localService": true},
	}
	voicesEnglishOnly = []map[string]any{{"name": "English (America) espeak-ng", "lang": "en-US", "localService": true}}
)

func stub(voices []map[string]any, refuse string) string {
	v, _ := json.Marshal(voices)
	r, _ := json.Marshal(refuse)
	return strings.NewReplacer("VOICES", string(v), "REFUSE", string(r)).Replace(soundStub)
}

// noSpeechAPI takes speechSynthesis away, as on a browser without it.
const noSpeechAPI = `Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: undefined });`

// spoken is one utterance the stub recorded.
type spoken struct {
	Text  string  `json:"text"`
	Lang  string  `json:"lang"`
	Voice string  `json:"voice"`
	At    float64 `json:"at"`
}

// played is one media play() the stub recorded.
type played struct {
	Src    string  `json:"src"`
	At     float64 `json:"at"`
	Status int     `json:"status"`
	Type   string  `json:"type"`
}

func (p *tab) spoken(t *testing.T) []spoken { return eval[[]spoken](t, p, `window.__spoken || []`) }
func (p *tab) played(t *testing.T) []played { return eval[[]played](t, p, `window.__played || []`) }

// soundState is what the page's client says of its sound.
type soundState struct {
	Checks    int  `json:"checks"`
	Announced int  `json:"announced"`
	Speaking  bool `json:"speaking"`
	Refused   bool `json:"refused"`
	Muted     bool `json:"muted"`
	Beats     int  `json:"beats"`
}

func (p *tab) sound(t *testing.T) soundState {
	return eval[soundState](t, p, `window.syncmon.state()`)
}

// startPage runs the binary for a page test: a heartbeat every second and
// prod-east, a fake GGSCI with the simulator's deployment at rest, checked
// every second.
func startPage(t *testing.T, configure ...func(*proc)) *proc {
	t.Helper()
	return startProc(t, append([]func(*proc){func(a *proc) {
		a.ping, a.ggsci = time.Second, []string{"prod-east"}
	}}, configure...)...)
}

// newProfile is a browser context of its own: its own cookies (session,
// language), so that parallel tests and their users do not meet.
func newProfile(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return ctx
}

// pageOpts say how a tab opens.
type pageOpts struct {
	lang    string   // the language cookie, as the page's switch sets it; "" for none
	scripts []string // init scripts, after the package's speech stub
	noJS    bool     // script execution disabled
	width   int64    // viewport; 0: the browser's default
	height  int64
}

// openIn opens url in a new tab of profile.
func openIn(t *testing.T, profile context.Context, url string, o pageOpts) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(profile)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, src := range append([]string{speechStub}, o.scripts...) {
			if _, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
				return err
			}
		}
		if o.lang != "" {
			if _, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "syncmon_lang", Value: o.lang, URL: url}); err != nil {
				return err
			}
		}
		if o.noJS {
			if _, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				return err
			}
		}
		return nil
	})
	steps := []chromedp.Action[chromedp.Void]{setup}
	if o.width > 0 {
		steps = append(steps, chromedp.EmulateViewport(o.width, o.height))
	}
	nav, cancelNav := context.WithTimeout(ctx, 30*time.Second)
	defer cancelNav()
	if err := chromedp.Do(nav, append(steps, chromedp.Navigate(url))...); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	p := &tab{ctx: ctx}
	if !o.noJS {
		p.waitFor(t, 10*time.Second, "the page's client started", `!!window.syncmon && window.syncmon.state().transport !== ''`)
	}
	return p
}

// do runs browser actions on the tab within 20 s.
func (p *tab) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// signIn signs name in through the sign-in form, in a tab of profile;
// every later tab of the profile carries the session.
func signIn(t *testing.T, profile context.Context, a *proc, name, password string) {
	t.Helper()
	p := openIn(t, profile, a.url("/login"), pageOpts{noJS: true})
	p.do(t, "sign in",
		chromedp.SendKeys(chromedp.CSS(`form.login input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`form.login input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top form.logout`)))
}

// ack acknowledges alert id with comment through the real form on
// /alerts/{id}, in tab p (JS on or off), and waits for the redirect back.
func (p *tab) ack(t *testing.T, a *proc, id int64, comment string) {
	t.Helper()
	p.do(t, "open the alert", chromedp.Navigate(a.url(fmt.Sprintf("/alerts/%d", id))))
	p.do(t, "fill and post the ack form",
		chromedp.SendKeys(chromedp.CSS(`form.ack textarea[name=comment]`), comment),
		chromedp.Click(chromedp.CSS(`form.ack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.unack`)))
}

// waitSpoken waits until the page has said text at least n times and
// returns everything it said.
func (p *tab) waitSpoken(t *testing.T, within time.Duration, text string, n int) []spoken {
	t.Helper()
	m, _ := json.Marshal(text)
	p.waitFor(t, within, fmt.Sprintf("%q spoken %d times", text, n),
		fmt.Sprintf(`(window.__spoken || []).filter(function (s) { return s.text === %s; }).length >= %d`, m, n))
	return p.spoken(t)
}

// quietFor waits until the page's repeat check has run checks more times
// (once a second) and fails if it said anything meanwhile.
func (p *tab) quietFor(t *testing.T, checks int, why string) { quiet(t, checks, why, p) }

// quiet is quietFor on several pages at once.
func quiet(t *testing.T, checks int, why string, pages ...*tab) {
	t.Helper()
	before, c0 := make([]int, len(pages)), make([]int, len(pages))
	for i, p := range pages {
		before[i], c0[i] = len(p.spoken(t)), p.sound(t).Checks
	}
	for i, p := range pages {
		p.waitFor(t, time.Duration(checks+5)*time.Second, fmt.Sprintf("%d more repeat checks", checks),
			fmt.Sprintf(`window.syncmon.state().checks >= %d`, c0[i]+checks))
		if after := p.spoken(t); len(after) != before[i] {
			t.Fatalf("%s: page %d said %v, want nothing more after %d utterances", why, i, after[before[i]:], before[i])
		}
	}
}

func soundHidden(t *testing.T, p *tab) {
	t.Helper()
	if eval[bool](t, p, `!document.getElementById('sound').hidden`) {
		t.Fatalf("the enable-sound prompt is shown, though nothing refused sound")
	}
}

// (a) A simulator ABEND is shown on the dashboard and the wall display and
// spoken once, after the chime, in each page's language with a voice of
// that language; nothing else is said.
func TestAbendShownAndSpokenOnceInThePagesLanguage(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t)
	type screen struct {
		lang, path string
		p          *tab
	}
	var screens []*screen
	for _, lang := range []string{"ko", "en"} {
		prof := newProfile(t)
		for _, path := range []string{"/", "/kiosk"} {
			s := &screen{lang: lang, path: path}
			s.p = openIn(t, prof, a.url(path), pageOpts{lang: lang, scripts: []string{stub(voicesBoth, "")}})
			screens = append(screens, s)
		}
	}
	al := a.abend(t)
	if al.Severity != monitor.SeverityCritical || al.Speech.Ko == "" || al.Speech.En == "" || al.Speech.Ko == al.Speech.En {
		t.Fatalf("alert %+v: want a critical alert with Korean and English speech", al)
	}
	for _, s := range screens {
		want, wantLang := al.Speech.En, "en-US"
		if s.lang == "ko" {
			want, wantLang = al.Speech.Ko, "ko-KR"
		}
		sel := fmt.Sprintf(`#alerts [data-alert-id="%d"]`, al.ID)
		s.p.waitFor(t, 10*time.Second, s.lang+s.path+" shows the alert",
			fmt.Sprintf(`(function () { var e = document.querySelector(%q); return !!e && e.textContent.indexOf(%q) >= 0; }())`, sel, want))
		if s.path == "/" {
			s.p.waitFor(t, 2*time.Second, s.lang+s.path+" banner", shownJS(al.ID, want))
		}
		got := s.p.waitSpoken(t, 10*time.Second, want, 1)
		if got[0].Lang != wantLang || got[0].Voice != wantLang {
			t.Errorf("%s%s: spoke %+v, want lang and voice %s", s.lang, s.path, got[0], wantLang)
		}
		pl := s.p.played(t)
		if len(pl) == 0 || !strings.Contains(pl[0].Src, "/chime.wav") || pl[0].At > got[0].At {
			t.Errorf("%s%s: played %+v before speaking at %v; want the chime first", s.lang, s.path, pl, got[0].At)
		}
		soundHidden(t, s.p)
	}
	// Two more heartbeats on every page later, each said it exactly once.
	for _, s := range screens {
		b := s.p.sound(t).Beats
		s.p.waitFor(t, 5*time.Second, "two more heartbeats", fmt.Sprintf(`window.syncmon.state().beats >= %d`, b+2))
	}
	for _, s := range screens {
		if got := s.p.spoken(t); len(got) != 1 {
			t.Errorf("%s%s said %+v; want the alert once", s.lang, s.path, got)
		}
	}
}

// (b) and (c): while the alert is unacknowledged every screen repeats it
// every speech_repeat; an admin acknowledges it with the real form in a
// second browser page, and both screens stop.
func TestSpeechRepeatsUntilAckedFromAnotherPage(t *testing.T) {
	needTools(t)
	t.Parallel()
	const repeat = 2 * time.Second
	a := startPage(t, func(a *proc) { a.repeat = repeat })
	dash := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	wall := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesBoth, "")}})
	dash.waitFor(t, 3*time.Second, "the page's repeat check runs", `window.syncmon.state().checks > 0`)
	if ms := eval[int](t, dash, `window.syncmon.state().repeatMs`); ms != int(repeat.Milliseconds()) {
		t.Fatalf("page repeats every %d ms; want the server's %v", ms, repeat)
	}

	al := a.abend(t)
	for _, c := range []struct {
		p    *tab
		text string
	}{{dash, al.Speech.En}, {wall, al.Speech.Ko}} {
		got := c.p.waitSpoken(t, 15*time.Second, c.text, 3)
		// Each announcement starts with the chime: those are repeat apart
		// (the first sentence came later after its chime, while the
		// browser's voices loaded).
		var chimes []played
		for _, p := range c.p.played(t) {
			if strings.Contains(p.Src, "/chime.wav") {
				chimes = append(chimes, p)
			}
		}
		if len(chimes) < len(got) || len(chimes) > len(got)+1 { // +1: the next may have begun
			t.Errorf("%d chimes for %d sentences; want one before each: %+v %+v", len(chimes), len(got), chimes, got)
		}
		for i := 1; i < len(chimes); i++ {
			if gap := time.Duration(chimes[i].At-chimes[i-1].At) * time.Millisecond; gap < repeat-100*time.Millisecond || gap > repeat+1500*time.Millisecond {
				t.Errorf("announcements %d and %d %v apart; want about %v: %+v", i-1, i, gap, repeat, chimes)
			}
		}
	}

	admin := newProfile(t)
	signIn(t, admin, a, "ops", a.addAdmin(t, "ops"))
	form := openIn(t, admin, a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	form.ack(t, a, al.ID, "REP1 restarted by hand")
	if got := a.alertByID(t, al.ID); got.State != monitor.StateAcked || got.AckedBy == nil || *got.AckedBy != "ops" {
		t.Fatalf("alert after the form: %+v; want acked by ops", got)
	}
	for _, p := range []*tab{dash, wall} {
		p.waitFor(t, 5*time.Second, "the ack reached the page", fmt.Sprintf(`window.syncmon.state().alerts[%d].state === 'acked'`, al.ID))
		p.waitFor(t, 3*time.Second, "nothing being said", `!window.syncmon.state().speaking`)
	}
	quiet(t, int(2*repeat/time.Second)+1, "after the ack", dash, wall)
}

// (d) A page with no voice for its language (a Korean page with only an
// English voice, a page with no speech API) plays the server's rendering
// of the alert, and the server answers audio/wav.
func TestNoVoiceFallsBackToServerSpeech(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t)
	ko := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesEnglishOnly, "")}})
	en := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, ""), noSpeechAPI}})
	al := a.abend(t)
	espeak := true
	for _, c := range []struct {
		p    *tab
		lang string
	}{{ko, "ko"}, {en, "en"}} {
		url := fmt.Sprintf("/api/tts?alert=%d&lang=%s", al.ID, c.lang)
		c.p.waitFor(t, 10*time.Second, c.lang+" page asked the server for "+url+" and heard back",
			fmt.Sprintf(`(window.__played || []).some(function (p) { return p.src.indexOf(%q) >= 0 && p.status > 0; })`, url))
		var tts played
		for _, p := range c.p.played(t) {
			if strings.Contains(p.Src, url) {
				tts = p
			}
		}
		if pl := c.p.played(t); !strings.Contains(pl[0].Src, "/chime.wav") {
			t.Errorf("%s: played %+v; want the chime first", c.lang, pl)
		}
		if got := c.p.spoken(t); len(got) != 0 {
			t.Errorf("%s: said %+v in the browser; want the server's voice only", c.lang, got)
		}
		soundHidden(t, c.p)
		switch {
		case tts.Status == http.StatusOK && tts.Type == "audio/wav":
		case tts.Status == http.StatusNotFound:
			espeak = false // then the chime alone: nothing more to hear
		default:
			t.Errorf("%s: the server answered %s with %d %q; want 200 audio/wav (or 404 without espeak-ng)", c.lang, url, tts.Status, tts.Type)
		}
		// The same URL, from outside the browser.
		resp, err := http.Get(a.url(url))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if espeak && (resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" || len(b) < 1000 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE") {
			t.Errorf("GET %s: %d %q, %d bytes; want a WAV", url, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
	}
	if !espeak {
		msg := "espeak-ng is not installed: the pages fell back to the chime alone; `make test` installs it"
		if requireTools() {
			t.Fatal(msg)
		}
		t.Log(msg)
	}
}

func requireTools() bool { return os.Getenv("SYNCMON_REQUIRE_TOOLS") == "1" }

// (e) With JavaScript off, the dashboard reloads itself (meta refresh) and
// shows a new alert, and an admin acknowledges it with the plain form.
func TestWithoutJavaScriptPagesRefreshAndTheAckFormWorks(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t, func(a *proc) { a.refresh = time.Second })
	prof := newProfile(t)
	signIn(t, prof, a, "night", a.addAdmin(t, "night"))
	dash := openIn(t, prof, a.url("/"), pageOpts{lang: "ko", noJS: true})
	dash.waitDOM(t, 5*time.Second, "the dashboard's process table", `section.target[data-target="prod-east"] tr[data-proc="REPLICAT REP1"]`)
	if ok, _ := dash.hasDOM(t, `#alerts tr[data-alert-id]`); ok {
		t.Fatalf("an alert shown before any opened")
	}
	al := a.abend(t)
	dash.waitDOM(t, 10*time.Second, "the dashboard reloaded itself and shows the alert",
		fmt.Sprintf(`#alerts tr[data-alert-id="%d"].state-open`, al.ID))

	form := openIn(t, prof, a.url("/"), pageOpts{lang: "ko", noJS: true})
	form.ack(t, a, al.ID, "야간 담당자가 확인함")
	got := a.alertByID(t, al.ID)
	if got.State != monitor.StateAcked || got.Comment == nil || *got.Comment != "야간 담당자가 확인함" {
		t.Fatalf("alert after the form: %+v; want acked with the comment", got)
	}
	dash.waitDOM(t, 10*time.Second, "the dashboard reloaded itself and shows the ack",
		fmt.Sprintf(`#alerts tr[data-alert-id="%d"].state-acked`, al.ID))
}

// waitDOM waits for a CSS selector to match, through the DOM domain only
// (it works with JavaScript off), across the page's own reloads.
func (p *tab) waitDOM(t *testing.T, within time.Duration, what, sel string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := p.hasDOM(t, sel)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s not within %v (%v)", what, sel, within, err)
		}
		time.Sleep(100 * time.Millisecond) // a poll interval, not a settle
	}
}

func (p *tab) hasDOM(t *testing.T, sel string) (bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	ids, err := chromedp.Run(ctx, chromedp.QueryNodeIDs(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	return err == nil && len(ids) > 0, err
}

// A browser that refuses sound without a user gesture (speech, media or
// both): the page offers "enable sound" (and only then); one click hides it
// and the alert is said.
func TestRefusedSoundOffersOneClickToEnable(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t)
	var pages []*tab
	for _, refuse := range []string{"speech", "media", "both"} {
		pages = append(pages, openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesBoth, refuse)}}))
	}
	for _, p := range pages {
		soundHidden(t, p)
	}
	al := a.abend(t)
	for i, p := range pages {
		p.waitFor(t, 10*time.Second, "the enable-sound prompt", `!document.getElementById('sound').hidden && window.syncmon.state().refused`)
		if got := p.spoken(t); len(got) > 1 {
			t.Fatalf("page %d said %+v while refused; want at most the one attempt", i, got)
		}
		tried := len(p.spoken(t))
		p.do(t, "click enable sound", chromedp.Click(chromedp.CSS(`#enable-sound`)))
		p.waitFor(t, 5*time.Second, "the prompt gone", `document.getElementById('sound').hidden && !window.syncmon.state().refused`)
		got := p.waitSpoken(t, 5*time.Second, al.Speech.Ko, tried+1)
		p.waitFor(t, 3*time.Second, "said to the end", `!window.syncmon.state().speaking`)
		if eval[bool](t, p, `!document.getElementById('sound').hidden || window.syncmon.state().refused`) {
			t.Fatalf("page %d: after the click and %+v the page still says sound is refused", i, got)
		}
	}
}

// Several alerts at once get one summary sentence; after a reconnect the
// page never reads out the backlog, it says how many arrived meanwhile.
func TestBurstsAndBacklogAreSummedUp(t *testing.T) {
	needTools(t)
	t.Parallel()
	// The simulator target (checked at start, then hourly): no check adds
	// events while the page catches up to the head.
	a := startProc(t, func(a *proc) { a.ping = time.Second })
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	var texts []string
	for i := range 2 {
		_, text := a.testAlert(t, fmt.Sprintf("burst %d", i+1))
		texts = append(texts, text)
	}
	p.waitSpoken(t, 5*time.Second, "2 new alerts.", 1)

	// While the page's server is down, the same database gets three alerts
	// from the binary started on another port, where the page does not look.
	a.halt(t)
	addr := a.addr
	a.addr = "127.0.0.1:0"
	a.start(t)
	for i := range 3 {
		_, text := a.testAlert(t, fmt.Sprintf("while away %d", i+1))
		texts = append(texts, text)
	}
	a.halt(t)
	a.addr = addr
	a.start(t)
	head := a.head(t)
	p.waitFor(t, 20*time.Second, "the page caught up", fmt.Sprintf(`window.syncmon.state().seq === %d`, head))
	p.waitSpoken(t, 5*time.Second, "Reconnected. 3 new alerts while disconnected.", 1)
	p.waitFor(t, 3*time.Second, "said to the end", `!window.syncmon.state().speaking`)
	for _, s := range p.spoken(t) {
		for _, text := range texts {
			if s.Text == text {
				t.Errorf("the page read out %q; want only the summaries", text)
			}
		}
	}
	if got := p.spoken(t); len(got) != 2 {
		t.Errorf("said %+v; want the two summaries", got)
	}
}

// An alert is said when it opens, again when its severity rises, not when
// it falls; a silenced alert is not said until its silence ends; a muted
// screen says nothing, and stays muted across a reload.
func TestEscalationSilenceAndMute(t *testing.T) {
	needTools(t)
	t.Parallel()
	lag := func(sec int64, rep9 string) []ggProc {
		return []ggProc{{"MANAGER", "", "RUNNING", 0, 0},
			{"EXTRACT", "EXT1", "RUNNING", sec, 2},
			{"REPLICAT", "REP9", rep9, 0, 2}}
	}
	a := startPage(t, func(a *proc) {
		a.ggsci, a.initial = []string{"prod-west"}, map[string][]ggProc{"prod-west": lag(1, "RUNNING")}
	})
	p := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})

	a.set(t, "prod-west", lag(100, "RUNNING")...)
	warn := a.waitAlert(t, "EXT1", monitor.RuleLag, "open", nil)
	if warn.Severity != monitor.SeverityWarning {
		t.Fatalf("lag alert %+v; want a warning", warn)
	}
	p.waitSpoken(t, 5*time.Second, warn.Speech.En, 1)
	a.set(t, "prod-west", lag(400, "RUNNING")...)
	crit := a.waitAlert(t, "EXT1", monitor.RuleLag, "open", func(al monitor.Alert) bool { return al.Severity != monitor.SeverityWarning })
	if crit.ID != warn.ID || crit.Severity != monitor.SeverityCritical {
		t.Fatalf("lag alert %+v; want alert %d escalated to critical", crit, warn.ID)
	}
	p.waitSpoken(t, 5*time.Second, crit.Speech.En, 1)
	a.set(t, "prod-west", lag(100, "RUNNING")...) // back down to a warning: nothing to say
	p.waitFor(t, 10*time.Second, "the page knows it fell", fmt.Sprintf(`window.syncmon.state().alerts[%d].severity === 'warning'`, warn.ID))

	now := time.Now()
	var sl struct {
		Silence monitor.Silence `json:"silence"`
	}
	a.api(t, http.MethodPost, "/api/silences", map[string]any{"target": "prod-west", "group": "REP9",
		"comment": "patching", "start": now.Add(-time.Second), "end": now.Add(time.Hour)}, http.StatusCreated, &sl)
	a.set(t, "prod-west", lag(100, "ABENDED")...)
	ab := a.waitAlert(t, "REP9", monitor.RuleProcessStatus, "open", nil)
	if !ab.Silenced {
		t.Fatalf("abend %+v; want silenced", ab)
	}
	p.waitFor(t, 5*time.Second, "the silenced tile", fmt.Sprintf(`!!document.querySelector('#alerts .tile.silenced[data-alert-id="%d"]')`, ab.ID))
	p.quietFor(t, 2, "a silenced alert and a falling severity")
	a.api(t, http.MethodDelete, fmt.Sprintf("/api/silences/%d", sl.Silence.ID), nil, http.StatusNoContent, nil)
	p.waitSpoken(t, 5*time.Second, ab.Speech.En, 1)
	p.waitFor(t, 3*time.Second, "said to the end", `!window.syncmon.state().speaking`)
	if got := p.spoken(t); len(got) != 3 {
		t.Fatalf("said %+v; want the warning, the escalation and the end of the silence", got)
	}

	p.do(t, "mute", chromedp.Click(chromedp.CSS(`#mute`)))
	p.waitFor(t, 2*time.Second, "muted", `window.syncmon.state().muted && document.getElementById('mute').getAttribute('aria-pressed') === 'true'`)
	p.do(t, "reload", chromedp.Reload())
	p.waitFor(t, 10*time.Second, "still muted after a reload", `!!window.syncmon && window.syncmon.state().muted && window.syncmon.state().transport !== ''`)
	id, text := a.testAlert(t, "while muted")
	p.waitFor(t, 5*time.Second, "the muted page shows it", shownJS(id, text))
	p.quietFor(t, 2, "muted")
	p.do(t, "unmute", chromedp.Click(chromedp.CSS(`#mute`)))
	p.waitFor(t, 2*time.Second, "unmuted", `!window.syncmon.state().muted`)
}

// A signed-in screen whose sessions an admin ends (the real form on
// /users) goes to the sign-in form at once: a WebSocket closed with 1008,
// a long-poll answered 401.
func TestRevokedScreensGoToSignIn(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t, func(a *proc) { a.private = true })
	admin := newProfile(t)
	signIn(t, admin, a, "boss", a.addAdmin(t, "boss"))
	users := openIn(t, admin, a.url("/users"), pageOpts{noJS: true})
	for _, tc := range []struct{ name, transport, script string }{
		{"ws", "ws", ""},
		{"poll", "poll", onlyLongPoll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "viewer-" + tc.name
			prof := newProfile(t)
			signIn(t, prof, a, name, a.addUser(t, name, "viewer"))
			var scripts []string
			if tc.script != "" {
				scripts = append(scripts, tc.script)
			}
			p := openIn(t, prof, a.url("/"), pageOpts{lang: "en", scripts: scripts})
			p.waitFor(t, 15*time.Second, "on "+tc.transport, `window.syncmon.state().transport === '`+tc.transport+`'`)
			users.do(t, "end "+name+"'s sessions",
				chromedp.Navigate(a.url("/users")),
				chromedp.Click(chromedp.CSS(`form[action="/users/`+name+`/logout"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`table.users`)))
			p.waitFor(t, 5*time.Second, "the page went to sign-in", `location.pathname === '/login' && !!document.querySelector('form.login')`)
		})
	}
}

// onlyLongPoll makes WebSocket and EventSource fail, as a proxy that
// allows neither does.
const onlyLongPoll = `(function () {
  window.WebSocket = function () {
    var fake = { readyState: 3, close: function () {}, send: function () {} };
    setTimeout(function () { if (fake.onclose) { fake.onclose({ code: 1006 }); } }, 10);
    return fake;
  };
  window.EventSource = function () {
    var fake = { close: function () {} };
    setTimeout(function () { if (fake.onerror) { fake.onerror({}); } }, 10);
    return fake;
  };
}());`

// A speech queue that never starts is cleared (cancel) and the alert goes
// to the server's voice.
func TestStuckSpeechQueueIsCleared(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startPage(t)
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "stuck")}})
	al := a.abend(t)
	p.waitSpoken(t, 5*time.Second, al.Speech.En, 1)
	url := fmt.Sprintf("/api/tts?alert=%d&lang=en", al.ID)
	p.waitFor(t, 10*time.Second, "the stuck queue cancelled and the server's voice played",
		fmt.Sprintf(`window.__cancels >= 1 && (window.__played || []).some(function (p) { return p.src.indexOf(%q) >= 0; })`, url))
	p.waitFor(t, 5*time.Second, "the announcement over", `!window.syncmon.state().speaking`)
}
