package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every alert is heard, on both speech paths: alerts that arrive while a
// sentence is being said wait for it to end (it is never cut), then are
// said once, as "N more alerts".

// slowSound makes what the page plays and says take as long as it would:
// the chime 460 ms, a server rendering or a browser sentence 1.5 s. It is
// installed after soundStub and records, for each, its start and end and
// whether it was cut (pause, cancel) before its end.
const slowSound = `(function () {
  window.__heard = [];
  var S = window.speechSynthesis, playing = null, talking = null;
  function rec(kind, what) {
    var r = { kind: kind, what: what, start: Date.now(), end: 0, cut: false };
    window.__heard.push(r);
    return r;
  }
  HTMLMediaElement.prototype.play = function () {
    var el = this, src = el.currentSrc || el.src, tts = src.indexOf('/api/tts') >= 0;
    if (!tts) { return Promise.resolve(setTimeout(function () { el.dispatchEvent(new Event('ended')); }, 460)); }
    var r = rec('server', src.replace(/^.*\/api\/tts\?/, ''));
    playing = r;
    setTimeout(function () { if (!r.cut) { r.end = Date.now(); playing = null; el.dispatchEvent(new Event('ended')); } }, 1500);
    return Promise.resolve();
  };
  HTMLMediaElement.prototype.pause = function () { if (playing) { playing.cut = true; playing = null; } };
  if (!S) { return; }
  S.speak = function (u) {
    var r = rec('voice', u.text);
    talking = r;
    setTimeout(function () { if (u.onstart) { u.onstart({}); } }, 10);
    setTimeout(function () { if (!r.cut) { r.end = Date.now(); talking = null; if (u.onend) { u.onend({}); } } }, 1500);
  };
  S.cancel = function () { if (talking) { talking.cut = true; talking = null; } };
  Object.defineProperty(S, 'speaking', { configurable: true, get: function () { return !!talking; } });
}());`

type heard struct {
	Kind  string  `json:"kind"`
	What  string  `json:"what"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Cut   bool    `json:"cut"`
}

// errLine is an OGG ERROR line for group, as ggserr.log has it.
func oggErrorLine(group string) string {
	return time.Now().UTC().Format("2006-01-02 15:04:05") +
		"  ERROR   OGG-01668  Oracle GoldenGate Delivery for Oracle, " + strings.ToLower(group) + ".prm:  PROCESS ABENDING.\n"
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
}

var heldRE = regexp.MustCompile(`^(?:phrase=held_alerts&n=(\d+)|(\d+) more alerts\.)`)

// threeErrorsHeard writes ERROR lines for three groups 0.7 s apart and
// checks that the page says all three, none cut.
func threeErrorsHeard(t *testing.T, o pageOpts, kind string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "ggserr.log")
	if err := os.WriteFile(log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startProc(t, func(a *proc) { a.errlog = log })
	p := openIn(t, newProfile(t), a.url("/kiosk"), o)
	for i, g := range []string{"REPA", "REPB", "REPC"} {
		if i > 0 {
			time.Sleep(700 * time.Millisecond) // the pace under test, not a wait for a condition
		}
		appendLine(t, log, oggErrorLine(g))
	}
	// The three alerts counted, each sentence finished.
	count := `(function () {
  var n = 0;
  (window.__heard || []).forEach(function (h) {
    if (!h.end) { return; }
    var m = /held_alerts&n=(\d+)|^(\d+) more alerts\./.exec(h.what);
    n += m ? parseInt(m[1] || m[2], 10) : 1;
  });
  return n;
}())`
	p.waitFor(t, 20*time.Second, "three alerts heard", count+` >= 3`)
	got := eval[[]heard](t, p, `window.__heard`)
	n := 0
	for _, h := range got {
		if h.Kind != kind {
			t.Errorf("heard %+v through %s; want %s only", h, h.Kind, kind)
		}
		if h.Cut || h.End == 0 {
			t.Errorf("%q was cut before its end (%+v)", h.What, h)
		}
		if m := heldRE.FindStringSubmatch(h.What); m != nil {
			k, _ := strconv.Atoi(m[1] + m[2])
			n += k
		} else {
			n++
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].Start < got[i-1].End {
			t.Errorf("%q began at %.0f, before %q ended at %.0f", got[i].What, got[i].Start, got[i-1].What, got[i-1].End)
		}
	}
	if n != 3 || len(got) > 3 {
		t.Errorf("heard %+v: %d alerts; want the three, each once", got, n)
	}
	t.Log(fmt.Sprintf("%s: heard %+v", kind, got))
}

func TestThreeErrorsHeardWithServerSpeech(t *testing.T) {
	needTools(t)
	t.Parallel()
	// A Korean kiosk whose browser has an English voice only: server speech.
	threeErrorsHeard(t, pageOpts{lang: "ko", scripts: []string{stub(voicesEnglishOnly, ""), slowSound}}, "server")
}

func TestThreeErrorsHeardWithBrowserVoice(t *testing.T) {
	needTools(t)
	t.Parallel()
	threeErrorsHeard(t, pageOpts{lang: "en", scripts: []string{stub(voicesBoth, ""), slowSound}}, "voice")
}
