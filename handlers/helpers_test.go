package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

type testServer struct {
	URL    string
	DBPath string
	Store  *store.Store
	srv    *handlers.Server
	http   *httptest.Server
}

func newTestServer(t testing.TB, opt handlers.Options) *testServer {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "h.db")
	st, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	opt.Store = st
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Version == "" {
		opt.Version = "test"
	}
	opt.AnonymousViewer = true
	srv, err := handlers.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		st.Close()
	})
	return &testServer{URL: hs.URL, DBPath: dbPath, Store: st, srv: srv, http: hs}
}

// wire is an event or ephemeral message as a client reads it.
type wire struct {
	Seq       int64  `json:"seq"`
	Type      string `json:"type"`
	Head      int64  `json:"head"`
	Transport string `json:"transport"`
	Version   string `json:"version"`
	Alert     *struct {
		ID      int64  `json:"id"`
		Message string `json:"message"`
		Test    bool   `json:"test"`
	} `json:"alert"`
}

func dialWS(t *testing.T, base, query string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws" + query
	return websocket.DefaultDialer.Dial(u, hdr)
}

func readWire(t *testing.T, c *websocket.Conn, within time.Duration) wire {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return w
}

// readEvent skips pings and returns the next message that is not one.
func readEvent(t *testing.T, c *websocket.Conn, within time.Duration) wire {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		w := readWire(t, c, time.Until(deadline))
		if w.Type != "ping" {
			return w
		}
	}
}

func testAlert(t *testing.T, st *store.Store, msg string) int64 {
	t.Helper()
	_, seq, err := st.CreateTestAlert(context.Background(), store.Actor{Name: "tester"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}
