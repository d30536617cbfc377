package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

// rig is SyncMon behind the proxy rig: the app in-process (so that a test
// can commit a test alert and have the app's own feed deliver it), nginx
// as a child process in front of it.
type rig struct {
	app      *app
	strict   string // base URLs through the proxies
	friendly string
	proxyDir string
}

func newRig(t *testing.T, configure ...func(*app)) *rig {
	t.Helper()
	for attempt := 0; ; attempt++ {
		strict, friendly := freePort(t), freePort(t)
		a := &app{db: filepath.Join(t.TempDir(), "e2e.db"), addr: "127.0.0.1:0", version: "e2e", origins: []string{
			"http://127.0.0.1:" + strconv.Itoa(strict), "http://127.0.0.1:" + strconv.Itoa(friendly)}}
		for _, f := range configure {
			f(a)
		}
		a.start(t)
		t.Cleanup(func() {
			a.stop(t)
			if t.Failed() {
				t.Logf("app log:\n%s", a.logs.String())
			}
		})
		dir, err := startProxy(t, a.port(), strict, friendly)
		if errors.Is(err, errPortTaken) && attempt < 3 {
			continue // a port chosen free was taken before nginx bound it
		}
		if err != nil {
			t.Fatal(err)
		}
		return &rig{app: a, proxyDir: dir,
			strict:   "http://127.0.0.1:" + strconv.Itoa(strict),
			friendly: "http://127.0.0.1:" + strconv.Itoa(friendly)}
	}
}

// accessLog returns nginx's access log so far.
func (r *rig) accessLog(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(r.proxyDir, "logs", "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// app runs SyncMon's HTTP surface as serve does (store, handlers, an
// http.Server on a listener), and can stop and start again on the same
// database file and port.
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

// lockedBuffer keeps the app's log for a failing test to show.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var errPortTaken = errors.New("port taken")

// startProxy renders testdata/proxy/nginx.conf.tmpl for these ports and
// runs nginx in the foreground as a child process, stopped at cleanup.
func startProxy(t *testing.T, upstream, strict, friendly int) (string, error) {
	t.Helper()
	tmpl, err := template.ParseFiles(filepath.Join("..", "testdata", "proxy", "nginx.conf.tmpl"))
	if err != nil {
		return "", err
	}
	// Not t.TempDir: nginx's workers run as nobody and must reach it.
	dir, err := os.MkdirTemp("", "syncmon-nginx-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	for _, d := range []string{"logs", "tmp", "run"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return "", err
		}
	}
	var conf bytes.Buffer
	if err := tmpl.Execute(&conf, map[string]int{"Upstream": upstream, "Strict": strict, "Friendly": friendly}); err != nil {
		return "", err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		return "", err
	}
	var out bytes.Buffer
	cmd := exec.Command(nginxPath, "-p", dir+"/", "-c", confPath, "-e", filepath.Join(dir, "logs", "error.log"))
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start nginx: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, port := range []int{strict, friendly} {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-exited:
				log, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
				if bytes.Contains(log, []byte("Address already in use")) {
					return "", errPortTaken
				}
				return "", fmt.Errorf("nginx exited (%v): %s%s", err, out.Bytes(), log)
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return "", fmt.Errorf("nginx not listening on %d within 10 s: %s", port, out.Bytes())
			}
		}
	}
	return dir, nil
}
