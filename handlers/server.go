// Package handlers is SyncMon's HTTP surface: pages, the JSON API, and the
// event transports (WebSocket, Server-Sent Events, long-poll), with the
// access, CSRF and Origin checks in front of them. Handlers stay thin: parse,
// check, call the store, respond.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

// Options are what the handlers need from the rest of SyncMon.
type Options struct {
	Store           *store.Store
	Log             *slog.Logger
	Version         string
	PingInterval    time.Duration // heartbeat on every transport (default 10 s)
	SpeechRepeat    time.Duration // screens repeat unacknowledged critical alerts this often
	StaleAlarm      time.Duration // a screen stale this long says so aloud (ui.stale_alarm; default 60s)
	PageRefresh     time.Duration // pages reload themselves this often when JS is off (default 30 s)
	AnonymousViewer bool          // visitors without credentials may read
	AllowedOrigins  []string      // browser origins besides our own
	// TrustedProxies are the peers whose X-Forwarded-For / X-Real-IP names
	// the client (config trusted_proxies); from anyone else they are ignored.
	TrustedProxies []netip.Prefix
	// PublicURL is where people reach SyncMon (config public_url), used for
	// links handed out of band (kiosk links). Empty: the request's own host.
	PublicURL string
	Auth      AuthOptions // sessions, kiosk tokens, rate limits, /metrics
	Now       func() time.Time
	// Ready reports whether the server can do its job (scheduler running …).
	Ready func(ctx context.Context) error
	// Metrics is the Prometheus exposition; New makes one when nil.
	Metrics *Metrics
	// Notifications reports the outbound channels' counters; nil: none.
	Notifications func() []notify.ChannelStats
	// Cluster describes the cluster for GET /api/cluster, the metrics and
	// /screens; nil: one node over its own store (cluster.go).
	Cluster func(ctx context.Context) (ClusterStatus, error)
	// NodeName names this node when not clustered; empty: the host name.
	NodeName string
	// ReadTimeout bounds reading a whole request, body included (default
	// 15 s): a client trickling a body cannot hold a connection longer.
	// Event transports lift it once their request is in.
	ReadTimeout time.Duration
	// CSRFKey derives the CSRF tokens. In a cluster every node is given the
	// same one (derived from the cluster secret), so a form loaded from one
	// node can be posted through another. Empty: this database's own key
	// (store.ServerKey "csrf"), as a single node has always had.
	CSRFKey []byte
	// WarmSpeech renders each alert's server speech as it opens (ttswarm.go),
	// a subscriber of the store's feed; serve.go turns it on.
	WarmSpeech bool
}

// Server holds the HTTP surface's state.
type Server struct {
	opt     Options
	store   *store.Store
	log     *slog.Logger
	echo    *echo.Echo
	melody  *melody.Melody
	ws      wsRegistry // the WebSocket connections (ws.go)
	screens *screens
	pages   *pages
	assets  *assets
	tts     *ttsEngine

	metricsHandler http.Handler
	auth           *authState
	csrfKey        []byte // derives CSRF tokens (csrf.go)

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New builds the server and its route table.
func New(opt Options) (*Server, error) {
	if opt.PingInterval <= 0 {
		opt.PingInterval = 10 * time.Second
	}
	if opt.SpeechRepeat <= 0 {
		opt.SpeechRepeat = 60 * time.Second
	}
	if opt.StaleAlarm <= 0 {
		opt.StaleAlarm = 60 * time.Second
	}
	if opt.PageRefresh <= 0 {
		opt.PageRefresh = 30 * time.Second
	}
	if opt.ReadTimeout <= 0 {
		opt.ReadTimeout = 15 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	// Our own copy: the caller's slice is theirs.
	origins := make([]string, len(opt.AllowedOrigins))
	for i, o := range opt.AllowedOrigins {
		origins[i] = strings.ToLower(strings.TrimRight(o, "/"))
	}
	opt.AllowedOrigins = origins
	opt.PublicURL = strings.TrimRight(opt.PublicURL, "/")
	pg, err := loadPages()
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	files, err := loadAssets()
	if err != nil {
		return nil, err
	}
	opt.Auth.defaults()
	csrfKey := opt.CSRFKey
	if len(csrfKey) == 0 {
		if csrfKey, err = opt.Store.ServerKey(context.Background(), "csrf"); err != nil {
			return nil, err
		}
	}
	s := &Server{opt: opt, store: opt.Store, log: opt.Log, screens: newScreens(opt.Now), pages: pg, assets: files, tts: newTTS(), stop: make(chan struct{}),
		auth: newAuthState(opt.Auth), csrfKey: csrfKey}
	s.metricsHandler = s.newMetricsHandler()
	s.echo = s.newEcho()
	s.melody = s.newMelody()
	s.wg.Add(1)
	go s.heartbeat()
	s.wg.Add(1)
	go s.recheckStreams()
	if opt.WarmSpeech {
		s.wg.Add(1)
		go s.warmSpeech() // ttswarm.go
	}
	return s, nil
}

// HTTPServer returns an http.Server for this surface with its timeouts:
// headers within 10 s, the whole request within Options.ReadTimeout.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.opt.ReadTimeout,
		IdleTimeout: 120 * time.Second}
}

// ServeHTTP serves SyncMon's HTTP surface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Close tells every connected screen to reconnect and stops the heartbeat.
// Call it before the HTTP server's Shutdown: hijacked WebSockets are not
// tracked by http.Server.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		_ = s.melody.CloseWithMsg(melody.FormatCloseMessage(1012, "server restarting; resume with since"))
	})
}
