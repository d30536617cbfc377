package handlers

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// metricsAllowed is /metrics' access policy: a scraper on the same host
// (loopback, and no proxy in between: a reverse proxy on loopback would
// otherwise open it to everyone), the configured bearer token from any
// address, or an admin's credentials.
func (s *Server) metricsAllowed(c echo.Context, p principal) bool {
	r := c.Request()
	if want := s.opt.Auth.MetricsToken.Reveal(); want != "" {
		if got, ok := strings.CutPrefix(r.Header.Get(echo.HeaderAuthorization), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1 {
			return true
		}
	}
	if p.Kind == kindUser && p.Role >= RoleAdmin {
		return true
	}
	return isLoopback(r)
}

// isLoopback reports whether the request comes straight from this host.
func isLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	ip := net.ParseIP(clientAddress(r))
	return ip != nil && ip.IsLoopback()
}
