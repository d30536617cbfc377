package handlers

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// Role is what a route requires and what a principal holds.
type Role int

// Roles, from least to most. RoleMetrics stands apart from the order: see
// metricsAllowed.
const (
	RolePublic  Role = iota // anyone, no credentials (login, health, static files)
	RoleViewer              // read pages, state and events
	RoleAdmin               // act: ack, silence, test alerts, tokens, users
	RoleMetrics             // Prometheus: loopback, the metrics bearer token, or an admin
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleAdmin:
		return "admin"
	case RoleMetrics:
		return "metrics"
	}
	return "public"
}

// Principal kinds.
const (
	kindNone      = "none"      // no credentials, anonymous viewing off
	kindAnonymous = "anonymous" // no credentials, anonymous viewing on
	kindUser      = "user"      // a session or HTTP Basic credentials of an account
	kindKiosk     = "kiosk"     // a kiosk session (from a kiosk token)
)

// principal is who is making a request.
type principal struct {
	Name      string // user name, "kiosk:NAME", "anonymous" or ""
	Role      Role
	Kind      string
	UserID    int64 // kindUser
	KioskID   int64 // kindKiosk
	SessionID int64 // when it came with a session cookie
	Basic     bool  // when it came with HTTP Basic credentials
	version   int64 // the account's version when its Basic credentials were checked
}

func (p principal) authenticated() bool { return p.Kind == kindUser || p.Kind == kindKiosk }

const principalKey = "syncmon.principal"

func principalOf(c echo.Context) principal {
	p, _ := c.Get(principalKey).(principal)
	return p
}

// errBadCredentials: the request carried credentials, and they are wrong
// (or the account is locked out for a while). Never downgraded to anonymous.
var errBadCredentials = errors.New("bad credentials")

// identify works out who is asking, from (in this order) HTTP Basic
// credentials on machine paths, the session cookie, then anonymous viewing
// when it is on. Wrong Basic credentials are an error, not anonymity; a
// stale session cookie is simply no session.
func (s *Server) identify(c echo.Context) (principal, error) {
	r := c.Request()
	if name, password, ok := r.BasicAuth(); ok && isMachinePath(r.URL.Path) {
		return s.basicPrincipal(c, name, password)
	}
	if token := sessionToken(r); token != "" {
		sess, err := s.store.Session(r.Context(), token)
		switch {
		case err == nil:
			return principalOfSession(sess), nil
		case !errors.Is(err, store.ErrNotFound):
			return principal{}, err
		}
		// Ended, expired or revoked: forget the cookie, go on as anonymous.
		s.clearSessionCookie(c)
	}
	if s.opt.AnonymousViewer {
		return principal{Name: "anonymous", Role: RoleViewer, Kind: kindAnonymous}, nil
	}
	return principal{Kind: kindNone}, nil
}

func principalOfSession(sess store.Session) principal {
	if sess.Kind == store.SessionKiosk {
		return principal{Name: "kiosk:" + sess.Name, Role: RoleViewer, Kind: kindKiosk, KioskID: sess.KioskID, SessionID: sess.ID}
	}
	return principal{Name: sess.Name, Role: roleOf(sess.Role), Kind: kindUser, UserID: sess.UserID, SessionID: sess.ID}
}

func roleOf(role string) Role {
	if role == store.RoleAdmin {
		return RoleAdmin
	}
	return RoleViewer
}

// authorize is the one place access is decided. In order: the body's size
// and type for the route (413, 415: before anything parses it); who is asking
// (wrong credentials: 401); the Origin of an event transport (foreign: 403,
// whatever the credentials); no credentials where some are needed (401 on
// machine paths, a redirect to /login on pages); the CSRF check of a
// browser's state-changing request (403); the route's role (403).
func (s *Server) authorize(rt route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withRole := s.requireRole(rt, next)
		return func(c echo.Context) error {
			if err := limitBody(c, rt); err != nil {
				return err
			}
			if rt.role == RolePublic && !rt.form && rt.path != "/login" {
				// Static files and health probes: nobody to identify, so
				// no session lookup and no bcrypt for stray credentials.
				c.Set(principalKey, principal{Kind: kindNone})
				return next(c)
			}
			p, err := s.identify(c)
			if errors.Is(err, errBadCredentials) {
				return s.refuseCredentials(c)
			}
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			if rt.stream && !s.originAllowed(c.Request()) {
				return echo.NewHTTPError(http.StatusForbidden, "origin not allowed")
			}
			if rt.role == RoleMetrics {
				if s.metricsAllowed(c, p) {
					return next(c)
				}
				if p.authenticated() {
					return echo.NewHTTPError(http.StatusForbidden, "your role may not read metrics")
				}
				return s.refuseCredentials(c)
			}
			if !p.authenticated() && p.Role < rt.role {
				if isMachinePath(c.Request().URL.Path) {
					return s.refuseCredentials(c)
				}
				return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			if rt.stream {
				// The request is in; the stream outlives the server's
				// ReadTimeout (a WebSocket sets its own deadlines).
				if err := http.NewResponseController(c.Response()).SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
					return err
				}
				return s.trackStream(c, p, withRole)
			}
			if p.Basic && c.Request().Header.Get(echo.HeaderOrigin) == "" {
				// A script with its own credentials: no ambient cookie to forge with.
				return withRole(c)
			}
			return s.checkCSRF(c, p, withRole)
		}
	}
}

// requireRole lets the request through when the principal holds the route's role.
func (s *Server) requireRole(rt route, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c).Role >= rt.role {
			return next(c)
		}
		return echo.NewHTTPError(http.StatusForbidden, "your role may not do this")
	}
}

// refuseCredentials answers a request without valid credentials: 401 with
// a Basic challenge on machine paths, a redirect to the sign-in page else.
func (s *Server) refuseCredentials(c echo.Context) error {
	if isMachinePath(c.Request().URL.Path) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="SyncMon", charset="UTF-8"`)
		return echo.NewHTTPError(http.StatusUnauthorized, "credentials required")
	}
	return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
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

// clientAddress is the client's IP address: what rate limits and the audit
// log use. It is the peer's, or the one a trusted proxy named (forwardedFor).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor replaces the request's RemoteAddr with the client a trusted
// proxy names: the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy, else X-Real-IP. From any other peer both headers are
// ignored: anyone can send them.
func (s *Server) forwardedFor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if len(s.opt.TrustedProxies) == 0 {
			return next(c)
		}
		r := c.Request()
		host, port, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return next(c)
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !s.trustedProxy(peer) {
			return next(c)
		}
		var client netip.Addr
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			client = a
			if !s.trustedProxy(a) {
				break
			}
		}
		if !client.IsValid() {
			client, _ = netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP")))
		}
		if client.IsValid() {
			r.RemoteAddr = net.JoinHostPort(client.Unmap().String(), port)
		}
		return next(c)
	}
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
