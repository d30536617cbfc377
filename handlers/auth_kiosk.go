package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// exchangeKioskToken answers GET /kiosk?token=…: a valid token becomes a
// long-lived kiosk session cookie and the display is sent to /kiosk without
// the token, so it stays out of the address bar, history and Referer. The
// token is never logged. An unknown or revoked token goes to the sign-in
// page with a notice (and counts as a failure for the address).
func (s *Server) exchangeKioskToken(c echo.Context) error {
	r := c.Request()
	addr := clientAddress(r)
	secret := c.QueryParam("token")
	rest := r.URL.Query() // a copy: the context's own stays intact
	rest.Del("token")
	if wait := s.auth.limits.wait(s.opt.Now(), "", addr); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return echo.NewHTTPError(http.StatusTooManyRequests, "too many failed attempts from this address; try again later")
	}
	token, sess, err := s.store.ExchangeKioskToken(r.Context(), secret,
		store.Lifetime{Max: s.opt.Auth.KioskSessionMax}, addr, sessionToken(r))
	if errors.Is(err, store.ErrNotFound) {
		s.auth.limits.fail(s.opt.Now(), "", addr)
		s.log.Info("kiosk link refused: unknown or revoked token", "address", addr)
		return c.Redirect(http.StatusSeeOther, "/login?kiosk=invalid&next="+url.QueryEscape("/kiosk"))
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, s.opt.Auth.KioskSessionMax)
	s.log.Info("kiosk paired", "kiosk", sess.Name, "address", addr)
	loc := "/kiosk"
	if q := rest.Encode(); q != "" {
		loc += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, loc)
}

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
	scheme := "http"
	if s.secure(c.Request()) {
		scheme = "https"
	}
	link := scheme + "://" + c.Request().Host + "/kiosk?token=" + url.QueryEscape(secret)
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
