package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// Session cookies. Over HTTPS the name carries the __Host- prefix, which a
// browser accepts only with Secure, Path=/ and no Domain: no other host
// and no plain-HTTP page can plant or overwrite it.
const (
	sessionCookie       = "syncmon_session"
	secureSessionCookie = "__Host-syncmon_session"
)

func sessionToken(r *http.Request) string {
	for _, name := range []string{secureSessionCookie, sessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// secure reports whether the browser sees this response over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.opt.Auth.SecureCookies || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setSessionCookie hands the browser its session token: HttpOnly (no
// script reads it), SameSite=Lax (no cross-site POST carries it), Secure
// over HTTPS. maxAge 0 makes a browser-session cookie.
func (s *Server) setSessionCookie(c echo.Context, token string, maxAge time.Duration) {
	name, secure := sessionCookie, s.secure(c.Request())
	if secure {
		name = secureSessionCookie
	}
	c.SetCookie(&http.Cookie{Name: name, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	r := c.Request()
	for _, name := range []string{secureSessionCookie, sessionCookie} {
		if _, err := r.Cookie(name); err == nil {
			c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
				Secure: name == secureSessionCookie || s.secure(r), SameSite: http.SameSiteLaxMode})
		}
	}
}

// loginPage is the sign-in form.
type loginPage struct {
	base
	Next    string
	Name    string
	Problem string // why the last attempt failed
	Notice  string // signed out, kiosk link invalid …
}

func (s *Server) loginForm(c echo.Context) error {
	page := loginPage{base: s.base(c, T(langOf(c), "sign_in")), Next: safeNext(c.QueryParam("next"))}
	page.Page, page.Refresh = "login", 0
	switch {
	case c.QueryParam("kiosk") == "invalid":
		page.Notice = T(page.Lang, "kiosk_link_invalid")
	case c.QueryParam("signed_out") != "":
		page.Notice = T(page.Lang, "signed_out")
	}
	return s.render(c, http.StatusOK, "login.html", page)
}

// login checks a name and password and starts a new session. Failures are
// counted per account and per address; past the limit the form answers 429
// and says for how long, without checking the password at all.
func (s *Server) login(c echo.Context) error {
	r := c.Request()
	name := strings.TrimSpace(c.FormValue("name"))
	password := c.FormValue("password")
	addr := clientAddress(r)
	page := loginPage{base: s.base(c, T(langOf(c), "sign_in")), Next: safeNext(c.FormValue("next")), Name: name}
	page.Page, page.Refresh = "login", 0

	try, wait := s.reserveSignIn(c, name, addr)
	if wait > 0 {
		s.log.Warn("sign-in refused: too many failures", "user", logText(name), "address", addr)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		page.Problem = fmt.Sprintf(T(page.Lang, "too_many_attempts"), minutesUp(wait))
		return s.render(c, http.StatusTooManyRequests, "login.html", page)
	}
	u, err := s.store.Authenticate(r.Context(), name, password)
	if errors.Is(err, store.ErrCredentials) {
		s.loginFailed(c, name, addr, "form")
		page.Problem = T(page.Lang, "wrong_credentials")
		return s.render(c, http.StatusUnauthorized, "login.html", page)
	}
	if err != nil {
		try.release()
		return fmt.Errorf("sign in: %w", err)
	}
	try.succeeded()
	// A new session id at every sign-in; the one the browser held ends.
	token, _, err := s.store.StartSession(r.Context(), u, store.Lifetime{Idle: s.opt.Auth.SessionIdle, Max: s.opt.Auth.SessionMax},
		addr, sessionToken(r))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, 0)
	s.log.Info("signed in", "user", u.Name, "address", addr)
	return c.Redirect(http.StatusSeeOther, page.Next)
}

// reserveSignIn reserves a sign-in attempt for name from addr (see
// limiter.reserve), with the account's unlock generation from the database
// so that `syncmon user unlock` reaches a running server.
func (s *Server) reserveSignIn(c echo.Context, name, addr string) (*attempt, time.Duration) {
	gen, err := s.store.UnlockGeneration(c.Request().Context(), accountName(name))
	if err != nil {
		s.log.Warn("sign-in: read unlocks", "err", err)
	}
	return s.auth.limits.reserve(s.opt.Now(), name, addr, gen)
}

// loginFailed records a failed sign-in (already counted by its
// reservation) in the log and the audit log.
func (s *Server) loginFailed(c echo.Context, name, addr, how string) {
	s.log.Info("sign-in failed", "user", logText(name), "address", addr, "via", how)
	ctx := context.WithoutCancel(c.Request().Context())
	if err := s.store.Audit(ctx, store.Actor{Name: clipText(name, 100), Address: addr}, store.AuditLoginFailed, "user "+clipText(name, 100), "via "+how); err != nil {
		s.log.Error("audit", "action", store.AuditLoginFailed, "err", err)
	}
}

func minutesUp(d time.Duration) int {
	return int((d + time.Minute - 1) / time.Minute)
}

// logout ends the session on the server (the cookie alone is not trusted
// to go away) and closes the streams it opened.
func (s *Server) logout(c echo.Context) error {
	if token := sessionToken(c.Request()); token != "" {
		sess, err := s.store.EndSession(context.WithoutCancel(c.Request().Context()), token)
		switch {
		case err == nil:
			s.closeScreensOfSession(sess.ID)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}
