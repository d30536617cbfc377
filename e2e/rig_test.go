package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// rig is SyncMon behind the proxy rig: the real binary (started through
// run(), as in production; a test alert goes in through the API and the
// app's own feed delivers it), nginx as a child process in front of it.
type rig struct {
	app      *proc
	strict   string // base URLs through the proxies
	friendly string
	proxyDir string
}

func newRig(t *testing.T, configure ...func(*proc)) *rig {
	t.Helper()
	for attempt := 0; ; attempt++ {
		strict, friendly := freePort(t), freePort(t)
		a := startProc(t, append([]func(*proc){func(a *proc) {
			a.origins = []string{"http://127.0.0.1:" + strconv.Itoa(strict), "http://127.0.0.1:" + strconv.Itoa(friendly)}
		}}, configure...)...)
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
