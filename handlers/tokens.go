package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// tokensPage lists kiosk tokens and creates them; a new token's secret is
// on this page once and never again.
type tokensPage struct {
	base
	Tokens   []store.KioskToken
	Created  *store.KioskToken
	Link     string // the new token's kiosk URL, shown once
	Name     string
	Problems []string
}

func (s *Server) tokensPage(c echo.Context, code int, page tokensPage) error {
	tokens, err := s.store.KioskTokens(c.Request().Context())
	if err != nil {
		return err
	}
	page.base = s.base(c, T(langOf(c), "kiosk_tokens"))
	page.Page, page.Refresh, page.Tokens = "tokens", 0, tokens
	return s.render(c, code, "tokens.html", page)
}

func (s *Server) tokenList(c echo.Context) error { return s.tokensPage(c, http.StatusOK, tokensPage{}) }

func (s *Server) tokenCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if err := store.CheckKioskName(name); err != nil {
		return s.tokensPage(c, http.StatusUnprocessableEntity, tokensPage{Name: name, Problems: []string{T(langOf(c), "kiosk_name_invalid")}})
	}
	t, secret, err := s.store.CreateKioskToken(c.Request().Context(), actorOf(c), name)
	if err != nil {
		return err
	}
	link := s.publicURL(c.Request()) + "/kiosk?token=" + url.QueryEscape(secret)
	return s.tokensPage(c, http.StatusOK, tokensPage{Created: &t, Link: link})
}

func (s *Server) tokenRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound, "no such kiosk token")
	}
	t, err := s.store.RevokeKioskToken(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	n := s.closeScreensOfKiosk(t.ID)
	s.log.Info("kiosk token revoked", "kiosk", t.Name, "streams_closed", n, "by", principalOf(c).Name)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/tokens#token-%d", t.ID))
}

// publicURL is where people reach SyncMon: the configured public URL, or
// without one (the demo, a single host) the scheme and host of r.
func (s *Server) publicURL(r *http.Request) string {
	if s.opt.PublicURL != "" {
		return s.opt.PublicURL
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
