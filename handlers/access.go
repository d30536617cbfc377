package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// Role is what a route requires and what a principal holds.
type Role int

// Roles, from least to most.
const (
	RolePublic Role = iota // anyone, no credentials (login, health, static files)
	RoleViewer             // read pages, state and events
	RoleAdmin              // act: ack, silence, test alerts, tokens
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleAdmin:
		return "admin"
	}
	return "public"
}

// principal is who is making a request.
type principal struct {
	Name string
	Role Role
	Kind string // "user", "kiosk", "anonymous"
}

func (p principal) authenticated() bool { return p.Kind == "user" || p.Kind == "kiosk" }

const principalKey = "syncmon.principal"

func principalOf(c echo.Context) principal {
	p, _ := c.Get(principalKey).(principal)
	return p
}

// identify works out who is asking. Sessions, kiosk tokens and HTTP Basic
// credentials come with accounts; until then, anonymous viewing when enabled.
func (s *Server) identify(c echo.Context) principal {
	if s.opt.AnonymousViewer {
		return principal{Name: "anonymous", Role: RoleViewer, Kind: "anonymous"}
	}
	return principal{Kind: "none"}
}

// authorize enforces a route's role: the one place access is decided.
func (s *Server) authorize(rt route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := s.identify(c)
			c.Set(principalKey, p)
			if rt.stream && !s.originAllowed(c.Request()) {
				return echo.NewHTTPError(http.StatusForbidden, "origin not allowed")
			}
			if p.Role >= rt.role {
				return next(c)
			}
			if p.authenticated() {
				return echo.NewHTTPError(http.StatusForbidden, "your role may not do this")
			}
			if isMachinePath(c.Request().URL.Path) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="SyncMon", charset="UTF-8"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "credentials required")
			}
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
	}
}

// isMachinePath: scripts and transports get status codes, not redirects.
func isMachinePath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/ws" || p == "/events" || p == "/poll" || p == "/metrics"
}

// originAllowed: a request with no Origin (a script) passes; a browser's
// Origin must be SyncMon's own or a configured one.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	origin = strings.ToLower(strings.TrimRight(origin, "/"))
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		if fwd := r.Header.Get("X-Forwarded-Proto"); fwd != "" {
			scheme = strings.ToLower(fwd)
		}
		if u.Scheme == scheme || u.Scheme == "https" {
			return true
		}
	}
	for _, o := range s.opt.AllowedOrigins {
		if o == origin {
			return true
		}
	}
	return false
}
