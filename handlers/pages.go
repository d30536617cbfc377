package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
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
	"sevclass": func(s string) string {
		switch s {
		case monitor.SeverityCritical, monitor.StatusAbended, monitor.StatusKilled:
			return "crit"
		case monitor.SeverityWarning, monitor.StatusStopped, monitor.StatusStarting, monitor.StatusUnknown:
			return "warn"
		}
		return "ok"
	},
	"icon": func(s string) string {
		switch s {
		case monitor.SeverityCritical, monitor.StatusAbended, monitor.StatusKilled:
			return "✖"
		case monitor.SeverityWarning, monitor.StatusStopped, monitor.StatusStarting, monitor.StatusUnknown:
			return "▲"
		}
		return "●"
	},
	"speechFor": func(a monitor.Alert, lang string) string {
		if lang == "ko" {
			return a.Speech.Ko
		}
		return a.Speech.En
	},
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
	return base{
		Lang: langOf(c), Title: title, User: p.Name, IsAdmin: p.Role >= RoleAdmin, SignedIn: p.SessionID != 0, CSRF: csrf,
		Version: s.opt.Version, Head: s.store.Head(), Path: c.Request().URL.RequestURI(), Refresh: max(1, int(s.opt.PageRefresh.Seconds())),
		SpeechSec: int(s.opt.SpeechRepeat.Seconds()), StaleSec: max(1, int(s.opt.StaleAlarm.Seconds())), assets: assetURLs(),
	}
}

// render executes a page into a buffer first, so a template error is a clean 500.
func (s *Server) render(c echo.Context, code int, name string, data any) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("render: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(code, buf.Bytes())
}

// Page data: one typed struct per template.

type dashboardPage struct {
	base
	Targets []targetView
	Alerts  []monitor.Alert
}

type targetView struct {
	Name       string
	Kind       string
	Reachable  bool
	Error      string
	ObservedAt time.Time
	Processes  []monitor.Process
	Worst      string
}

type alertListPage struct {
	base
	State  string
	States []string
	Alerts []monitor.Alert
}

type alertPage struct {
	base
	Alert    monitor.Alert
	History  []historyView
	Problems []string
	Comment  string
}

type historyView struct {
	At     time.Time
	Actor  string
	Action string
	Detail string
}

type kioskPage struct {
	base
	Alerts  []monitor.Alert // the first kioskTiles, most urgent first
	More    int             // active alerts beyond those tiles
	Targets []targetView
	// Critical and Warning count the unacknowledged, unsilenced alerts.
	Critical, Warning int
}

// kioskTiles is how many alerts a wall display shows as tiles: few enough
// to read from across the room.
const kioskTiles = 6

type screensPage struct {
	base
	Screens []screen
	Now     time.Time
}

type errorPage struct {
	base
	Code    int
	Message string
}

func (s *Server) dashboard(c echo.Context) error {
	st, err := s.store.State(c.Request().Context())
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	page := dashboardPage{base: s.base(c, "SyncMon"), Alerts: st.Alerts}
	page.Page, page.Head = "dashboard", st.Head
	for _, t := range st.Targets {
		page.Targets = append(page.Targets, viewTarget(t.Name, t.Kind, t.Reachable, t.Error, t.ObservedAt, t.Processes, st.Alerts))
	}
	return s.render(c, http.StatusOK, "dashboard.html", page)
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

func (s *Server) alertList(c echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		state = "active"
	}
	alerts, err := s.store.Alerts(c.Request().Context(), storeFilter(state))
	if err != nil {
		return err
	}
	page := alertListPage{base: s.base(c, T(langOf(c), "alerts")), State: state, Alerts: alerts,
		States: []string{"active", monitor.StateOpen, monitor.StateAcked, "silenced", monitor.StateResolved, "all"}}
	page.Page = "alerts"
	return s.render(c, http.StatusOK, "alerts.html", page)
}

func (s *Server) alertDetail(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	return s.renderAlert(c, http.StatusOK, id, "", nil)
}

func (s *Server) renderAlert(c echo.Context, code int, id int64, comment string, problems []string) error {
	ctx := c.Request().Context()
	a, err := s.store.Alert(ctx, id)
	if err != nil {
		return err
	}
	hist, err := s.store.History(ctx, id)
	if err != nil {
		return err
	}
	page := alertPage{base: s.base(c, a.Message), Alert: a, Problems: problems, Comment: comment}
	page.Page = "alert"
	if page.IsAdmin && a.State == monitor.StateOpen {
		page.Refresh = 0 // a reload would throw away a comment being typed
	}
	for _, h := range hist {
		page.History = append(page.History, historyView(h))
	}
	return s.render(c, code, "alert.html", page)
}

func (s *Server) ackForm(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	in := ackInput{Comment: strings.TrimSpace(c.FormValue("comment"))}
	if p := in.problems(langOf(c)); len(p) > 0 {
		return s.renderAlert(c, http.StatusUnprocessableEntity, id, in.Comment, p)
	}
	if _, err := s.store.Ack(c.Request().Context(), id, principalOf(c).Name, in.Comment); err != nil {
		return err
	}
	s.audit(c, store.AuditAck, fmt.Sprintf("alert %d", id), in.Comment)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", id))
}

func (s *Server) unackForm(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Unack(c.Request().Context(), id, principalOf(c).Name); err != nil {
		return err
	}
	s.audit(c, store.AuditUnack, fmt.Sprintf("alert %d", id), "")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", id))
}

func (s *Server) testAlertForm(c echo.Context) error {
	msg := strings.TrimSpace(c.FormValue("message"))
	if err := checkTestMessage(msg); err != nil {
		return err
	}
	a, _, err := s.store.CreateTestAlert(c.Request().Context(), principalOf(c).Name, msg)
	if err != nil {
		return err
	}
	s.audit(c, store.AuditTestAlert, fmt.Sprintf("alert %d", a.ID), msg)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", a.ID))
}

func (s *Server) kiosk(c echo.Context) error {
	st, err := s.store.State(c.Request().Context())
	if err != nil {
		return fmt.Errorf("kiosk: %w", err)
	}
	page := kioskPage{base: s.base(c, T(langOf(c), "kiosk")), Alerts: sortForKiosk(st.Alerts)}
	page.Page, page.Head = "kiosk", st.Head
	for _, a := range st.Alerts {
		if a.State != monitor.StateOpen || a.Silenced {
			continue
		}
		switch a.Severity {
		case monitor.SeverityCritical:
			page.Critical++
		case monitor.SeverityWarning:
			page.Warning++
		}
	}
	if len(page.Alerts) > kioskTiles {
		page.More = len(page.Alerts) - kioskTiles
		page.Alerts = page.Alerts[:kioskTiles]
	}
	for _, t := range st.Targets {
		page.Targets = append(page.Targets, viewTarget(t.Name, t.Kind, t.Reachable, t.Error, t.ObservedAt, t.Processes, st.Alerts))
	}
	return s.render(c, http.StatusOK, "kiosk.html", page)
}

// sortForKiosk orders the wall's tiles: unacknowledged before acknowledged
// (someone is on those), then by severity, newest first; silenced alerts
// (maintenance) after all others.
func sortForKiosk(alerts []monitor.Alert) []monitor.Alert {
	out := append([]monitor.Alert(nil), alerts...)
	rank := func(a monitor.Alert) int {
		r := monitor.SeverityRank(a.Severity)
		if a.State == monitor.StateOpen {
			r += 4
		}
		if !a.Silenced {
			r += 10
		}
		return r
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0; j-- {
			a, b := out[j-1], out[j]
			if rank(b) > rank(a) || (rank(b) == rank(a) && (b.OpenedAt.After(a.OpenedAt) || (b.OpenedAt.Equal(a.OpenedAt) && b.ID > a.ID))) {
				out[j-1], out[j] = b, a
			}
		}
	}
	return out
}

func (s *Server) screensPage(c echo.Context) error {
	page := screensPage{base: s.base(c, T(langOf(c), "screens")), Screens: s.screens.list(), Now: time.Now()}
	page.Page = "screens"
	return s.render(c, http.StatusOK, "screens.html", page)
}
