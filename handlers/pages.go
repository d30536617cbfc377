package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/templates"
)

// pages are the parsed templates: each page with the shared layout.
type pages struct {
	byName map[string]*template.Template
}

var pageFuncs = template.FuncMap{
	"seconds": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return monitor.FormatSeconds(*p)
	},
	"fseconds": func(f float64) string { // heartbeat lag and age: fractional seconds
		if f < 60 {
			return strconv.FormatFloat(f, 'f', 1, 64) + " s"
		}
		return monitor.FormatSeconds(int64(f))
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"whenp": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"sevclass": sevclass,
	"dashFrag": dashFrag, // fragments.go
	"icon":     func(s string) string { return sevIcon[sevclass(s)] },
	"speechFor": func(a monitor.Alert, lang string) string {
		if lang == "ko" {
			return a.Speech.Ko
		}
		return a.Speech.En
	},
}

// sevIcon marks each sevclass with a shape, not only a colour.
var sevIcon = map[string]string{"crit": "✖", "warn": "▲", "ok": "●"}

// sevclass is how bad a severity or a process status looks: crit, warn or ok.
func sevclass(s string) string {
	switch s {
	case monitor.SeverityCritical, monitor.StatusAbended, monitor.StatusKilled:
		return "crit"
	case monitor.SeverityWarning, monitor.StatusStopped, monitor.StatusStarting, monitor.StatusUnknown:
		return "warn"
	}
	return "ok"
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(templates.FS, "*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range names {
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(pageFuncs).ParseFS(templates.FS, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// base is what every page carries: language, user, CSRF token, assets.
type base struct {
	Lang      string
	Title     string
	Page      string
	User      string
	IsAdmin   bool
	SignedIn  bool // a session to sign out of
	CSRF      string
	Version   string
	Head      int64
	Path      string
	Refresh   int // seconds between self-refreshes when JS is off; 0: none
	SpeechSec int
	StaleSec  int // ui.stale_alarm: a page stale this long says so aloud
	assets    map[string]string
}

// T translates a catalog key into the page's language.
func (b base) T(key string) string { return T(b.Lang, key) }

// Asset returns the content-hashed URL of a static file.
func (b base) Asset(name string) string { return b.assets[name] }

func (s *Server) base(c echo.Context, title string) base {
	p := principalOf(c)
	csrf, _ := c.Get("csrf").(string)
	b := base{
		Lang: langOf(c), Title: title, User: p.Name, IsAdmin: p.Role >= RoleAdmin, SignedIn: p.SessionID != 0, CSRF: csrf,
		Path: c.Request().URL.RequestURI(), Refresh: max(1, int(s.opt.PageRefresh.Seconds())),
		SpeechSec: int(s.opt.SpeechRepeat.Seconds()), StaleSec: max(1, int(s.opt.StaleAlarm.Seconds())), assets: s.assets.url,
	}
	if p.Role >= RoleViewer {
		// Who may not read tells the build and the event head nobody.
		b.Version, b.Head = s.opt.Version, s.store.Head()
	}
	return b
}

// render executes a page into a buffer first, so a template error is a clean 500.
func (s *Server) render(c echo.Context, code int, name string, data any) error {
	body, err := s.execute(name, data)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(code, body)
}

// execute renders page name in its layout into memory.
func (s *Server) execute(name string, data any) ([]byte, error) {
	t, ok := s.pages.byName[name]
	if !ok {
		return nil, fmt.Errorf("render: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// renderRevalidated renders a page that screens fetch again and again (the
// dashboard, the kiosk: the no-JS meta refresh, the JS page's periodic
// refresh) with a strong validator: the ETag is a hash of the body, so
// it changes exactly when what the page shows does (the user, language,
// CSRF token and every value rendered are in the body). A request whose
// If-None-Match names it gets 304 and no body. "private, no-cache": the
// browser may keep the page but must ask each time, and no shared cache
// keeps it; "no-store" would make the browser keep nothing to revalidate.
func (s *Server) renderRevalidated(c echo.Context, name string, data any) error {
	body, err := s.execute(name, data)
	if err != nil {
		return err
	}
	return revalidated(c, body)
}

// revalidated answers with body and its ETag, or 304 when the client has
// it; gzip-compressed when the client takes it (its own ETag: another
// representation of the same page).
func revalidated(c echo.Context, body []byte) error {
	sum := sha256.Sum256(body)
	zipped := strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip")
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	if zipped {
		etag = `"` + hex.EncodeToString(sum[:16]) + `-gz"`
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "private, no-cache")
	h.Set("ETag", etag)
	h.Add(echo.HeaderVary, "Cookie")
	h.Add(echo.HeaderVary, "Accept-Language")
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if !zipped {
		return c.HTMLBlob(http.StatusOK, body)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return fmt.Errorf("compress page: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress page: %w", err)
	}
	h.Set(echo.HeaderContentEncoding, "gzip")
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}

// etagMatch reports whether an If-None-Match list names etag (a weak
// "W/" form of it too, as RFC 9110 compares for If-None-Match).
func etagMatch(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

// Page data: one typed struct per template.

type targetView struct {
	Name       string
	Kind       string
	Reachable  bool
	Error      string
	ObservedAt time.Time
	Processes  []monitor.Process
	Worst      string
}

type errorPage struct {
	base
	Code    int
	Message string
}

func viewTarget(name, kind string, reachable bool, errText string, at time.Time, procs []monitor.Process, alerts []monitor.Alert) targetView {
	tv := targetView{Name: name, Kind: kind, Reachable: reachable, Error: errText, ObservedAt: at, Processes: procs, Worst: monitor.SeverityOK}
	if !reachable {
		tv.Worst = monitor.SeverityCritical
	}
	for _, a := range alerts {
		if a.Target == name && monitor.SeverityRank(a.Severity) > monitor.SeverityRank(tv.Worst) {
			tv.Worst = a.Severity
		}
	}
	return tv
}
