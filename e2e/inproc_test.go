package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

// app runs SyncMon's HTTP surface in-process, as serve does (store, handlers, an
// http.Server on a listener), and can stop and start again on the same
// database file and port. The speech tests use it: they record checks of
// their own (store.Record, as the scheduler does) to drive the engine.
type app struct {
	db      string
	addr    string
	origins []string
	version string                  // what hello says; change it between restarts to upgrade
	ping    time.Duration           // heartbeat; 0: the default 10 s
	options func(*handlers.Options) // further options (speech repeat, page refresh …)

	mu  sync.Mutex
	st  *store.Store
	srv *handlers.Server
	hs  *http.Server

	logs lockedBuffer
}

func (a *app) start(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := store.Open(context.Background(), a.db)
	if err != nil {
		t.Fatal(err)
	}
	opt := handlers.Options{
		Store: st, Log: slog.New(slog.NewTextHandler(&a.logs, nil)), Version: a.version, PingInterval: a.ping,
		AnonymousViewer: true, AllowedOrigins: a.origins,
	}
	if a.options != nil {
		a.options(&opt)
	}
	srv, err := handlers.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		t.Fatalf("listen %s: %v", a.addr, err)
	}
	a.addr = ln.Addr().String() // a restart comes back on the same port
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	a.st, a.srv, a.hs = st, srv, hs
}

// stop shuts down as serve does: screens told to reconnect, HTTP drained,
// the store closed.
func (a *app) stop(t *testing.T) {
	a.mu.Lock()
	srv, hs, st := a.srv, a.hs, a.st
	a.srv, a.hs, a.st = nil, nil, nil
	a.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Errorf("http shutdown: %v", err)
	}
	st.Close()
}

func (a *app) port() int {
	_, p, _ := net.SplitHostPort(a.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// alert commits a test alert through the running app's store, so that its
// feed delivers it to every screen, and returns its id.
func (a *app) alert(t *testing.T, msg string) int64 {
	t.Helper()
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	al, _, err := st.CreateTestAlert(context.Background(), store.Actor{Name: "e2e"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	return al.ID
}

func (a *app) head() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st.Head()
}
