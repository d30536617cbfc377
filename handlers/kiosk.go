package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// exchangeKioskToken answers GET /kiosk/pair?token=… (and /kiosk?token=…): a valid token becomes a
// long-lived kiosk session cookie and the display is sent to /kiosk without
// the token, so it stays out of the address bar, history and Referer. The
// token is never logged. An unknown or revoked token goes to the sign-in
// page with a notice (and counts against the address's kiosk-link limit, not its sign-in limit).
func (s *Server) exchangeKioskToken(c echo.Context) error {
	r := c.Request()
	addr := clientAddress(r)
	secret := c.QueryParam("token")
	rest := r.URL.Query() // a copy: the context's own stays intact
	rest.Del("token")
	if err := s.pairingAllowed(c); err != nil {
		return err
	}
	// Kiosk links have their own count: a page elsewhere that makes
	// browsers fetch bogus links must not lock out password sign-in.
	try, wait := s.auth.kiosk.reserve(s.opt.Now(), "", addr, 0)
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return echo.NewHTTPError(http.StatusTooManyRequests, "too many unknown kiosk links from this address; try again later")
	}
	token, sess, err := s.store.ExchangeKioskToken(r.Context(), secret,
		store.Lifetime{Max: s.opt.Auth.KioskSessionMax}, addr, sessionToken(r))
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info("kiosk link refused: unknown or revoked token", "address", addr)
		return c.Redirect(http.StatusSeeOther, "/login?kiosk=invalid&next="+url.QueryEscape("/kiosk"))
	}
	if err != nil {
		try.release()
		return err
	}
	try.succeeded()
	s.setSessionCookie(c, token, s.opt.Auth.KioskSessionMax)
	s.log.Info("kiosk paired", "kiosk", sess.Name, "address", addr)
	loc := "/kiosk"
	if q := rest.Encode(); q != "" {
		loc += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, loc)
}

// pairingAllowed: a kiosk link pairs only as a top-level navigation, and
// replaces a live session only when the browser says the link was opened
// directly (typed, pasted, a bookmark: Sec-Fetch-Site none) or from
// SyncMon itself. A link followed from another site (or an <img> there)
// must not end its visitor's own session. Browsers that send no
// Sec-Fetch-* headers are let through: the link's secret is the guard.
func (s *Server) pairingAllowed(c echo.Context) error {
	r := c.Request()
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" && dest != "document" {
		return echo.NewHTTPError(http.StatusForbidden, "open a kiosk link in the address bar")
	}
	switch r.Header.Get(echo.HeaderSecFetchSite) {
	case "", "none", "same-origin":
		return nil
	}
	token := sessionToken(r)
	if token == "" {
		return nil
	}
	if _, err := s.store.Session(r.Context(), token); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return echo.NewHTTPError(http.StatusConflict, "this browser is signed in: sign out first, then open the kiosk link again from the address bar")
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
	return s.renderRevalidated(c, "kiosk.html", page)
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
