package handlers

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// screen is one connected client on one transport.
type screen struct {
	ID        int64     `json:"id"`
	Who       string    `json:"who"`
	Transport string    `json:"transport"`
	Address   string    `json:"address"`
	Since     time.Time `json:"connected_since"`
	LastSeen  time.Time `json:"last_heartbeat"`
}

// screens tracks every connected screen for /screens and metrics.
type screens struct {
	now  func() time.Time // the server's clock (Options.Now)
	mu   sync.Mutex
	next int64
	all  map[*screen]struct{}
	// polls are long-poll screens by client key; they expire, having no connection.
	polls map[string]*screen
	// pollsBy counts tracked poll screens per user ("u:") and per address ("a:").
	pollsBy map[string]int
	swept   time.Time // when expired poll screens were last removed
}

// Bounds on what long-poll clients can make the server keep: a client id
// longer than pollClientMax is refused; past pollScreensMax screens of one
// user or one address, further ids share one screen of that user or address.
const (
	pollClientMax  = 64
	pollScreensMax = 100
)

func newScreens(now func() time.Time) *screens {
	return &screens{now: now, all: make(map[*screen]struct{})}
}

func (sc *screens) add(who, transport string, r *http.Request) *screen {
	now := sc.now()
	if who == "" {
		who = "anonymous"
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.next++
	s := &screen{ID: sc.next, Who: who, Transport: transport, Address: clientAddress(r), Since: now, LastSeen: now}
	sc.all[s] = struct{}{}
	return s
}

func (sc *screens) touch(s *screen) {
	if s == nil {
		return
	}
	sc.mu.Lock()
	s.LastSeen = sc.now()
	sc.mu.Unlock()
}

func (sc *screens) remove(s *screen) {
	if s == nil {
		return
	}
	sc.mu.Lock()
	delete(sc.all, s)
	sc.mu.Unlock()
}

// list returns a copy of every screen, oldest connection first.
func (sc *screens) list() []screen {
	sc.mu.Lock()
	out := make([]screen, 0, len(sc.all))
	for s := range sc.all {
		out = append(out, *s)
	}
	sc.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// count returns the number of connected screens per transport.
func (sc *screens) count() map[string]int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := map[string]int{"ws": 0, "sse": 0, "poll": 0}
	for s := range sc.all {
		out[s.Transport]++
	}
	return out
}

// pollScreenTTL is how long a long-poll screen counts as connected after its last poll.
const pollScreenTTL = time.Minute

// poll records a long-poll request: each poll is a heartbeat of its screen,
// known by its user, address and the client id the page sends.
func (sc *screens) poll(who string, r *http.Request, client string) {
	if who == "" {
		who = "anonymous"
	}
	// A page's polls arrive on new connections whenever a proxy opens one
	// per request, so the client's port is no part of which screen it is
	// (nor, for the same look on /screens, of any transport's address).
	host := clientAddress(r)
	key := who + "|" + host + "|" + client
	now := sc.now()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.polls == nil {
		sc.polls = make(map[string]*screen)
		sc.pollsBy = make(map[string]int)
	}
	// Expire now and then, not on every poll: a sweep visits every screen.
	if now.Sub(sc.swept) > pollScreenTTL/4 {
		sc.swept = now
		for k, s := range sc.polls {
			if now.Sub(s.LastSeen) > pollScreenTTL {
				sc.dropPoll(k, s)
			}
		}
	}
	if s, ok := sc.polls[key]; ok {
		s.LastSeen = now
		return
	}
	overflow := ""
	switch {
	case sc.pollsBy["u:"+who] >= pollScreensMax:
		overflow = who + "|*|*"
	case sc.pollsBy["a:"+host] >= pollScreensMax:
		overflow = "*|" + host + "|*"
	}
	if overflow != "" {
		key = overflow
		if s, ok := sc.polls[key]; ok {
			s.LastSeen = now
			return
		}
	}
	sc.next++
	s := &screen{ID: sc.next, Who: who, Transport: "poll", Address: host, Since: now, LastSeen: now}
	sc.polls[key] = s
	sc.all[s] = struct{}{}
	sc.pollsBy["u:"+who]++
	sc.pollsBy["a:"+host]++
}

func (sc *screens) dropPoll(key string, s *screen) {
	delete(sc.polls, key)
	delete(sc.all, s)
	for _, k := range []string{"u:" + s.Who, "a:" + s.Address} {
		if sc.pollsBy[k]--; sc.pollsBy[k] <= 0 {
			delete(sc.pollsBy, k)
		}
	}
}

// screenQuietAfter: a screen not heard from for longer is flagged on /screens.
const screenQuietAfter = 30 * time.Second

// Quiet reports whether a screen has gone quiet: no heartbeat for more than
// screenQuietAfter when the page was made.
func (p screensPage) Quiet(sc screen) bool { return p.Now.Sub(sc.LastSeen) > screenQuietAfter }

type screensPage struct {
	base
	Screens []screen
	Now     time.Time
	Cluster *ClusterStatus // nil when its status could not be read
}

func (s *Server) screensPage(c echo.Context) error {
	page := screensPage{base: s.base(c, T(langOf(c), "screens")), Screens: s.screens.list(), Now: s.opt.Now()}
	page.Page = "screens"
	if st, err := s.clusterStatus(c.Request().Context()); err == nil {
		page.Cluster = &st
	} else {
		s.log.Warn("cluster status for /screens", "err", err)
	}
	return s.render(c, http.StatusOK, "screens.html", page)
}
