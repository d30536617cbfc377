package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// route is one entry of the HTTP surface: method, path, the role it needs.
type route struct {
	method string
	path   string
	role   Role
	stream bool // an event transport: the Origin check applies
	form   bool // a browser form post: CSRF token required
	h      echo.HandlerFunc
}

// routes is SyncMon's whole HTTP surface, on one screen.
func (s *Server) routes() []route {
	return []route{
		// Pages (server-rendered; work without JS).
		{method: http.MethodGet, path: "/", role: RoleViewer, h: s.dashboard},
		{method: http.MethodGet, path: "/alerts", role: RoleViewer, h: s.alertList},
		{method: http.MethodGet, path: "/alerts/:id", role: RoleViewer, h: s.alertDetail},
		{method: http.MethodPost, path: "/alerts/:id/ack", role: RoleAdmin, form: true, h: s.ackForm},
		{method: http.MethodPost, path: "/alerts/:id/unack", role: RoleAdmin, form: true, h: s.unackForm},
		{method: http.MethodPost, path: "/alerts/test", role: RoleAdmin, form: true, h: s.testAlertForm},
		{method: http.MethodGet, path: "/targets/:name", role: RoleViewer, h: s.targetDetail},
		{method: http.MethodGet, path: "/fragments", role: RoleViewer, h: s.fragments}, // the dashboard's parts that changed
		{method: http.MethodGet, path: "/silences", role: RoleViewer, h: s.silencesPage},
		{method: http.MethodPost, path: "/silences", role: RoleAdmin, form: true, h: s.silenceForm},
		{method: http.MethodPost, path: "/silences/:id/expire", role: RoleAdmin, form: true, h: s.expireSilenceForm},
		{method: http.MethodGet, path: "/kiosk", role: RoleViewer, h: s.kiosk},
		{method: http.MethodGet, path: "/screens", role: RoleAdmin, h: s.screensPage},
		{method: http.MethodPost, path: "/lang", role: RolePublic, form: true, h: s.setLang},

		// Accounts: sign-in, kiosk tokens, users, the audit log.
		{method: http.MethodGet, path: "/login", role: RolePublic, h: s.loginForm},
		{method: http.MethodPost, path: "/login", role: RolePublic, form: true, h: s.login},
		{method: http.MethodPost, path: "/logout", role: RolePublic, form: true, h: s.logout},
		{method: http.MethodGet, path: "/kiosk/pair", role: RolePublic, h: s.exchangeKioskToken}, // /kiosk?token= lands here too
		{method: http.MethodGet, path: "/tokens", role: RoleAdmin, h: s.tokenList},
		{method: http.MethodPost, path: "/tokens", role: RoleAdmin, form: true, h: s.tokenCreate},
		{method: http.MethodPost, path: "/tokens/:id/revoke", role: RoleAdmin, form: true, h: s.tokenRevoke},
		{method: http.MethodGet, path: "/users", role: RoleAdmin, h: s.userList},
		{method: http.MethodPost, path: "/users", role: RoleAdmin, form: true, h: s.userCreate},
		{method: http.MethodPost, path: "/users/:name/remove", role: RoleAdmin, form: true, h: s.userRemove},
		{method: http.MethodPost, path: "/users/:name/logout", role: RoleAdmin, form: true, h: s.userSignOut},
		{method: http.MethodGet, path: "/audit", role: RoleAdmin, h: s.auditLog},
		{method: http.MethodGet, path: "/notifications", role: RoleAdmin, h: s.notificationsPage},

		// Event transports: the same events, the same seq.
		{method: http.MethodGet, path: "/ws", role: RoleViewer, stream: true, h: s.serveWS},
		{method: http.MethodGet, path: "/events", role: RoleViewer, stream: true, h: s.serveSSE},
		{method: http.MethodGet, path: "/poll", role: RoleViewer, stream: true, h: s.servePoll},

		// JSON API.
		{method: http.MethodGet, path: "/api/state", role: RoleViewer, h: s.apiState},
		{method: http.MethodGet, path: "/api/alerts", role: RoleViewer, h: s.apiAlerts},
		{method: http.MethodGet, path: "/api/cluster", role: RoleViewer, h: s.apiCluster},
		{method: http.MethodGet, path: "/api/alerts/:id", role: RoleViewer, h: s.apiAlert},
		{method: http.MethodPost, path: "/api/alerts/:id/ack", role: RoleAdmin, h: s.apiAck},
		{method: http.MethodPost, path: "/api/alerts/:id/unack", role: RoleAdmin, h: s.apiUnack},
		{method: http.MethodPost, path: "/api/alerts/test", role: RoleAdmin, h: s.apiTestAlert},
		{method: http.MethodGet, path: "/api/silences", role: RoleViewer, h: s.apiSilences},
		{method: http.MethodGet, path: "/api/tts", role: RoleViewer, h: s.apiTTS},
		{method: http.MethodPost, path: "/api/silences", role: RoleAdmin, h: s.apiCreateSilence},
		{method: http.MethodDelete, path: "/api/silences/:id", role: RoleAdmin, h: s.apiExpireSilence},

		// Operations.
		{method: http.MethodGet, path: "/healthz", role: RolePublic, h: s.healthz},
		{method: http.MethodGet, path: "/readyz", role: RolePublic, h: s.readyz},
		{method: http.MethodGet, path: "/static/:hash/:file", role: RolePublic, h: s.static},
		{method: http.MethodGet, path: "/metrics", role: RoleMetrics, h: s.serveMetrics},
	}
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The peer's address, or the client a trusted proxy names, is the
	// request's RemoteAddr from here on: for the log, limits and audit.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Pre(s.forwardedFor, kioskLinks, serveHead)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic in handler", "path", c.Path(), "err", err, "stack", string(stack))
			return err
		}}))
	e.Use(s.securityHeaders)
	e.Use(s.requestLogger())
	for _, rt := range s.routes() {
		// authorize decides access and applies csrf where a browser could
		// be made to act (not on event streams, not for Basic scripts).
		e.Add(rt.method, rt.path, rt.h, s.authorize(rt))
	}
	return e
}

// securityHeaders: a CSP with no inline scripts, no framing, no sniffing.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// kioskLinks sends a kiosk link, /kiosk?token=…, to the pairing route
// before routing: the links /tokens hands out (and every one already on a
// wall) keep their form, and pairing is a route like any other.
func kioskLinks(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := c.Request().URL; u.Path == "/kiosk" && u.Query().Get("token") != "" {
			u.Path, u.RawPath = "/kiosk/pair", ""
		}
		return next(c)
	}
}

// serveHead answers HEAD on every GET route but the event transports as
// GET, without the body: probes and link checkers get the GET's status and
// headers instead of 405.
func serveHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodHead || r.URL.Path == "/ws" || r.URL.Path == "/events" || r.URL.Path == "/poll" {
			return next(c)
		}
		r.Method = http.MethodGet
		c.Response().Writer = headWriter{c.Response().Writer}
		return next(c)
	}
}

// headWriter drops the body of a GET answered to HEAD.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
