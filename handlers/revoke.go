package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"github.com/syncmon/syncmon/store"
)

// Open event streams (WebSocket, SSE, a waiting long-poll) outlive the
// request that checked their credentials. Each authenticated one is
// registered here with a cancel function; revoking a kiosk token, signing
// out, removing a user or ending their sessions ends the matching streams
// at once, and a periodic re-check ends those whose session expired.
//
// How a stream ends, without the transports knowing of accounts:
//   - SSE and long-poll run under a request context derived here; cancelling
//     it ends them (serveSSE and servePoll return on ctx.Done). A long-poll
//     that had written nothing yet is answered 401.
//   - A WebSocket is a melody session whose Request is the request passed
//     in from here; its context carries the *liveStream, so the session is
//     found among melody's and closed with 1008 (policy violation).
//
// Either way the client reconnects, is refused (401), and its page goes to
// the sign-in form.

type liveStream struct {
	p       principal
	cancel  context.CancelFunc
	revoked atomic.Bool
}

type liveStreamKey struct{}

type streamSet struct {
	mu  sync.Mutex
	all map[*liveStream]struct{}
}

func newStreamSet() *streamSet { return &streamSet{all: map[*liveStream]struct{}{}} }

func (ss *streamSet) add(ls *liveStream) {
	ss.mu.Lock()
	ss.all[ls] = struct{}{}
	ss.mu.Unlock()
}

func (ss *streamSet) remove(ls *liveStream) {
	ss.mu.Lock()
	delete(ss.all, ls)
	ss.mu.Unlock()
}

func (ss *streamSet) list() []*liveStream {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*liveStream, 0, len(ss.all))
	for ls := range ss.all {
		out = append(out, ls)
	}
	return out
}

// trackStream runs an event transport's handler as a revocable stream.
func (s *Server) trackStream(c echo.Context, p principal, next echo.HandlerFunc) error {
	if !p.authenticated() {
		return next(c) // anonymous viewing: no credential to revoke
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	ls := &liveStream{p: p, cancel: cancel}
	c.SetRequest(c.Request().WithContext(context.WithValue(ctx, liveStreamKey{}, ls)))
	s.auth.streams.add(ls)
	defer s.auth.streams.remove(ls)
	err := next(c)
	upgraded := strings.EqualFold(c.Request().Header.Get("Upgrade"), "websocket") // hijacked: nothing more to write
	if ls.revoked.Load() && !c.Response().Committed && !upgraded {
		return echo.NewHTTPError(http.StatusUnauthorized, "credentials revoked")
	}
	return err
}

// endStreams ends every open stream whose principal matches and returns
// how many it ended.
func (s *Server) endStreams(match func(principal) bool) int {
	hit := map[*liveStream]bool{}
	for _, ls := range s.auth.streams.list() {
		if match(ls.p) {
			hit[ls] = true
			ls.revoked.Store(true)
			ls.cancel()
		}
	}
	if len(hit) == 0 {
		return 0
	}
	closing := melody.FormatCloseMessage(1008, "credentials revoked") // 1008: policy violation
	for _, sess := range s.melodySessions() {
		if sess.Request == nil {
			continue
		}
		if ls, ok := sess.Request.Context().Value(liveStreamKey{}).(*liveStream); ok && hit[ls] {
			_ = sess.CloseWithMsg(closing)
		}
	}
	return len(hit)
}

// closeScreensOfKiosk ends every stream of a kiosk token (it was revoked).
func (s *Server) closeScreensOfKiosk(kioskID int64) int {
	return s.endStreams(func(p principal) bool { return p.Kind == kindKiosk && p.KioskID == kioskID })
}

// closeScreensOfUser ends every stream of an account, by session or Basic
// credentials (removed, or signed out everywhere).
func (s *Server) closeScreensOfUser(userID int64) int {
	s.auth.basic.forgetUser(userID)
	return s.endStreams(func(p principal) bool { return p.Kind == kindUser && p.UserID == userID })
}

// closeScreensOfSession ends every stream of one session (signed out).
func (s *Server) closeScreensOfSession(sessionID int64) int {
	return s.endStreams(func(p principal) bool { return p.SessionID == sessionID })
}

// recheckStreams ends streams whose session expired or whose account
// changed, every StreamRecheck, and prunes dead sessions now and then.
func (s *Server) recheckStreams() {
	defer s.wg.Done()
	t := time.NewTicker(s.opt.Auth.StreamRecheck)
	defer t.Stop()
	lastPrune := s.opt.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for _, ls := range s.auth.streams.list() {
			ok, err := s.stillValid(ctx, ls.p)
			if err != nil {
				s.log.Warn("re-check stream credentials", "err", err)
				continue
			}
			if !ok {
				s.endStreams(func(p principal) bool { return p == ls.p })
			}
		}
		if now := s.opt.Now(); now.Sub(lastPrune) >= 10*time.Minute {
			lastPrune = now
			if _, err := s.store.PruneSessions(ctx); err != nil {
				s.log.Warn("prune sessions", "err", err)
			}
		}
		cancel()
	}
}

func (s *Server) stillValid(ctx context.Context, p principal) (bool, error) {
	if p.SessionID != 0 {
		return s.store.SessionLive(ctx, p.SessionID)
	}
	if p.Basic {
		u, err := s.store.User(ctx, p.Name)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return u.ID == p.UserID && u.Version == p.version, nil
	}
	return true, nil
}
