package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/internal/testutil"
)

// serveAt runs the server as main does on the given database.
func serveAt(t *testing.T, db string) (base string, stop func()) {
	t.Helper()
	base, _, stop = startServer(t, "--database", db)
	return base, stop
}

// A graceful stop in the middle of a stream of events, then a restart on the
// same database: a client that resumes with its last seq misses nothing and
// sees nothing twice.
func TestShutdownDuringStreamThenRestartLosesNothing(t *testing.T) {
	t.Parallel()
	shutdownDuringStream(t, serveAt)
}

// The same with the real binary stopped by a real SIGTERM.
func TestSIGTERMDuringStreamThenRestartLosesNothing(t *testing.T) {
	t.Parallel()
	bin := testutil.Build(t, ".", "")
	shutdownDuringStream(t, func(t *testing.T, db string) (string, func()) {
		p := testutil.Start(t, exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--database", db), nil)
		addr := p.Listening(t, 20*time.Second)
		var once sync.Once
		return "http://" + addr, func() {
			once.Do(func() {
				if err := p.Stop(t, 20*time.Second); err != nil {
					t.Errorf("after SIGTERM the server exited with %v, want 0", err)
				}
				if !p.Logs.Contains("msg=stopped") {
					t.Errorf("no clean stop in the log:\n%s", p.Logs.String())
				}
			})
		}
	})
}

func shutdownDuringStream(t *testing.T, serve func(t *testing.T, db string) (base string, stop func())) {
	db := filepath.Join(t.TempDir(), "restart.db")
	if err := run(context.Background(), []string{"user", "add", "ops", "--role", "admin", "--database", db},
		os.Getenv, strings.NewReader("s3cret-pass\n"), io.Discard, io.Discard); err != nil {
		t.Fatalf("user add: %v", err)
	}
	post := func(base string, i int) (int64, bool) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/alerts/test", strings.NewReader(fmt.Sprintf(`{"message":"drill %d"}`, i)))
		req.SetBasicAuth("ops", "s3cret-pass")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var out struct {
			Seq int64 `json:"seq"`
		}
		if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&out) != nil {
			return 0, false
		}
		return out.Seq, true
	}

	base, stop := serve(t, db)
	got := map[int64]int{}
	var last int64
	// read consumes one connection until it closes or, with want, until it has seen want.
	read := func(base string, want int64) {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+fmt.Sprintf("/ws?since=%d", last), nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.Close()
		deadline := time.Now().Add(30 * time.Second)
		for want == 0 || last < want {
			ws.SetReadDeadline(deadline)
			_, data, err := ws.ReadMessage()
			if err != nil {
				if want != 0 {
					t.Fatalf("connection ended at seq %d, want %d: %v", last, want, err)
				}
				return
			}
			var m struct {
				Seq int64 `json:"seq"`
			}
			json.Unmarshal(data, &m)
			if m.Seq == 0 {
				continue
			}
			got[m.Seq]++
			if m.Seq != last+1 {
				t.Fatalf("seq %d after %d: gap or duplicate", m.Seq, last)
			}
			last = m.Seq
		}
	}
	readerDone := make(chan struct{})
	go func() { defer close(readerDone); read(base, 0) }()

	var posted []int64
	for i := 0; i < 40; i++ {
		if i == 20 {
			go stop() // the stop lands in the middle of the stream
		}
		seq, ok := post(base, i)
		if !ok {
			break
		}
		posted = append(posted, seq)
	}
	stop()
	select {
	case <-readerDone:
	case <-time.After(20 * time.Second):
		t.Fatal("the client was not told to go: its connection stayed open after shutdown")
	}
	if len(posted) < 20 {
		t.Fatalf("only %d alerts posted before the stop", len(posted))
	}

	base2, stop2 := serve(t, db)
	defer stop2()
	for i := 0; i < 5; i++ {
		seq, ok := post(base2, 100+i)
		if !ok {
			t.Fatal("post after restart failed")
		}
		posted = append(posted, seq)
	}
	read(base2, posted[len(posted)-1])
	for _, seq := range posted {
		if got[seq] != 1 {
			t.Fatalf("alert event seq %d received %d times, want exactly once", seq, got[seq])
		}
	}
}
