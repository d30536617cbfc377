package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
)

// serveBare is the reference of the A/B (-bare): echo and melody as they
// come, no store, no auth, no queue of our own. POST /api/alerts/test
// numbers a message and broadcasts it to every WebSocket; GET /api/state
// says head 0; GET /ws says hello on connect. What SyncMon adds to a
// broadcast is what it costs more than this.
//
// size pads each message to that many bytes (0: as short as it comes, as in
// the reference runs), to tell apart what the bytes of SyncMon's events
// cost (a test alert's is about 460) from what its path costs.
func serveBare(prof *profiles, size int) error {
	m := melody.New()
	m.HandleConnect(func(s *melody.Session) { _ = s.Write([]byte(`{"type":"hello"}`)) })
	var (
		mu  sync.Mutex
		seq int64
	)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/api/state", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]int64{"head": 0}) })
	e.GET("/ws", func(c echo.Context) error { return m.HandleRequest(c.Response(), c.Request()) })
	e.POST("/api/alerts/test", func(c echo.Context) error {
		mu.Lock()
		seq++
		n := seq
		err := m.Broadcast(bareMessage(n, size))
		mu.Unlock()
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]int64{"seq": n})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	fmt.Printf("listening %s\n", ln.Addr())
	if err := answerSignals(prof, ""); err != nil {
		return err
	}
	_ = m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(ctx)
}

// bareMessage is message n, padded to size bytes when it is shorter.
func bareMessage(n int64, size int) []byte {
	msg := fmt.Appendf(nil, `{"seq":%d,"type":"alert.opened"`, n)
	const pad = `,"pad":""}`
	if k := size - len(msg) - len(pad); k > 0 {
		msg = append(msg, `,"pad":"`...)
		msg = append(msg, bytes.Repeat([]byte{'x'}, k)...)
		return append(msg, `"}`...)
	}
	return append(msg, '}')
}
