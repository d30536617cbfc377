package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The tools these tests drive, found once in TestMain.
var (
	chromiumPath string
	nginxPath    string
	missing      []string

	// browser is one chromium for the whole package; each test opens its
	// own tab (and window) in it.
	browser context.Context
)

func TestMain(m *testing.M) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromiumPath = p
			break
		}
	}
	if chromiumPath == "" {
		missing = append(missing, "chromium")
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		nginxPath = p
	} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		nginxPath = "/usr/sbin/nginx"
	} else {
		missing = append(missing, "nginx")
	}
	stop := func() {}
	if len(missing) == 0 {
		dir, err := os.MkdirTemp("", "syncmon-chromium-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromiumPath),
			chromedp.NoSandbox, // as root, chromium refuses to start without it
			chromedp.DisableGPU,
			chromedp.UserDataDir(dir),
			chromedp.Flag("mute-audio", true),
			chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			missing = append(missing, "a chromium that starts ("+err.Error()+")")
		}
		browser = ctx
		stop = func() {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(dir)
		}
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// needTools skips (or, under SYNCMON_REQUIRE_TOOLS=1, fails) a test when
// chromium or nginx is missing.
func needTools(t *testing.T) {
	t.Helper()
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s: `make test` installs chromium and nginx", strings.Join(missing, ", "))
	if os.Getenv("SYNCMON_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// speechStub replaces speechSynthesis.speak before the page's scripts run:
// real speech needs speech-dispatcher and an audio sink, and a wedged one
// loses every voice for later runs. What would be said is kept in
// window.__spoken.
const speechStub = `(function () {
  window.__spoken = [];
  if (window.speechSynthesis) {
    window.speechSynthesis.speak = function (u) {
      window.__spoken.push({ text: u.text, lang: u.lang });
      setTimeout(function () { if (u.onend) { u.onend({}); } }, 0);
    };
  }
}());`

// tab is one browser tab on a SyncMon page.
type tab struct {
	ctx context.Context
}

// openTab opens url in a new tab, with the speech stub and any further
// scripts installed before the page's own.
func openTab(t *testing.T, url string, scripts ...string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	install := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, src := range append([]string{speechStub}, scripts...) {
			if _, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
				return err
			}
		}
		return nil
	})
	// The tab lives as long as the context of the first action run on it:
	// open it on ctx itself, then bound the navigation.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	nav, cancelNav := context.WithTimeout(ctx, 30*time.Second)
	defer cancelNav()
	if err := chromedp.Do(nav, install, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	p := &tab{ctx: ctx}
	p.waitFor(t, 10*time.Second, "the page's client started", `!!window.syncmon`)
	return p
}

// waitFor polls the JS condition expr in the page until it is true or
// within passes, and fails with what the page shows.
func (p *tab) waitFor(t *testing.T, within time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := time.Until(deadline)
		ctx, cancel := context.WithTimeout(p.ctx, left+10*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(max(left, time.Millisecond))))
		cancel()
		if err == nil {
			return
		}
		// A navigation (a kiosk reloading itself) ends the poll with the
		// document it ran in: poll the new one, within the same deadline.
		if time.Now().Before(deadline) && !errors.Is(err, chromedp.ErrPollingTimeout) && p.ctx.Err() == nil {
			continue
		}
		t.Fatalf("%s: not within %v (%v)\npage: %s", what, within, err, p.dump())
	}
}

// eval evaluates expr in the page and decodes its value into a T.
func eval[T any](t *testing.T, p *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v\npage: %s", expr, err, p.dump())
	}
	return v
}

// screenState is window.syncmon.state() plus what the page shows.
type screenState struct {
	Seq       int64                      `json:"seq"`
	Transport string                     `json:"transport"`
	Used      []string                   `json:"used"`
	Stale     bool                       `json:"stale"`
	Alerts    map[string]json.RawMessage `json:"alerts"`
	Banner    string                     `json:"banner"`
	StaleShow bool                       `json:"staleShown"`
	ConnText  string                     `json:"connText"`
}

const stateJS = `(function () {
  var s = window.syncmon ? window.syncmon.state() : {};
  var b = document.getElementById('banner'), st = document.getElementById('stale'), tr = document.getElementById('conn-transport');
  s.banner = b && !b.hidden ? b.textContent : '';
  s.staleShown = !!st && !st.hidden;
  s.connText = tr ? tr.textContent : '';
  return s;
}())`

func (p *tab) state(t *testing.T) screenState { return eval[screenState](t, p, stateJS) }

func (p *tab) dump() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(`+stateJS+`)`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// shownJS is true once the page's banner shows msg and the client holds
// the alert id.
func shownJS(id int64, msg string) string {
	m, _ := json.Marshal(msg)
	return fmt.Sprintf(`(function () {
  var b = document.getElementById('banner');
  return !!b && !b.hidden && b.textContent.indexOf(%s) >= 0 && !!window.syncmon && !!window.syncmon.state().alerts[%d];
}())`, m, id)
}
