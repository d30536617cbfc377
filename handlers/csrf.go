package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// CSRF tokens are derived, not stored: HMAC-SHA256 under a server key kept
// in the database (server_keys), of the session id when the request comes
// with a live session, else of a random pre-session cookie. So a token
// belongs to one session, changes at sign-in (a new session id) and cannot
// be chosen by planting a cookie next to a signed-in session.
//
// A state-changing request passes when the browser says it is same-origin
// (Sec-Fetch-Site), or when it carries the token (form field _csrf or
// header X-CSRF-Token). Cross-site is refused whatever it carries; a
// same-site request (a sibling subdomain) needs the token.
const (
	csrfCookie       = "syncmon_csrf"
	secureCSRFCookie = "__Host-syncmon_csrf"
)

var errCSRF = echo.NewHTTPError(http.StatusForbidden, "the form is out of date or came from another site; reload the page and try again")

func (s *Server) csrfMAC(kind, id string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// preSessionCookie returns the visitor's pre-session id; mint sets a new
// one when there is none.
func (s *Server) preSessionCookie(c echo.Context, mint bool) string {
	r := c.Request()
	name := csrfCookie
	if s.secure(r) {
		name = secureCSRFCookie
	}
	if ck, err := r.Cookie(name); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	if !mint {
		return ""
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (it panics on a broken system)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: name, Value: v, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int((24 * time.Hour).Seconds())})
	return v
}

// csrfToken is the token for this request's principal ("" when none can be
// made without minting and mint is false).
func (s *Server) csrfToken(c echo.Context, p principal, mint bool) string {
	if p.SessionID != 0 {
		return s.csrfMAC("session", sessionToken(c.Request()))
	}
	if id := s.preSessionCookie(c, mint); id != "" {
		return s.csrfMAC("visitor", id)
	}
	return ""
}

// checkCSRF guards a browser's state-changing request; a safe one gets
// the token for its page's forms.
func (s *Server) checkCSRF(c echo.Context, p principal, next echo.HandlerFunc) error {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		c.Set("csrf", s.csrfToken(c, p, true))
		return next(c)
	}
	switch r.Header.Get(echo.HeaderSecFetchSite) {
	case "cross-site":
		return errCSRF
	case "same-origin":
		return next(c)
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("_csrf") // the body is bounded and urlencoded (limitBody)
	}
	want := s.csrfToken(c, p, false)
	if got == "" || want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return errCSRF
	}
	return next(c)
}

// Request body limits: a sign-in or admin form is a few hundred bytes, a
// JSON body a few KB. Larger bodies are refused before anything reads them.
const (
	formBodyMax = 8 << 10
	jsonBodyMax = 16 << 10
)

// limitBody bounds the body of every route and refuses what no route
// takes: multipart (no form uploads files) and bodies on GET.
func limitBody(c echo.Context, rt route) error {
	r := c.Request()
	limit := int64(jsonBodyMax)
	switch {
	case rt.method == http.MethodGet || rt.method == http.MethodDelete:
		limit = 0
	case rt.form:
		limit = formBodyMax
		if r.ContentLength != 0 {
			mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
			if err != nil || mt != echo.MIMEApplicationForm {
				return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the form as application/x-www-form-urlencoded")
			}
		}
	}
	if r.ContentLength > limit {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	if rt.form {
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
			}
			return echo.NewHTTPError(http.StatusBadRequest, "malformed form")
		}
	}
	return nil
}
