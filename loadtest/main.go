// Command loadtest measures SyncMon's delivery under load, on loopback only:
// how long a test alert takes from POST /api/alerts/test to every connected
// screen (WebSocket, SSE and long-poll clients), whether any is lost or
// duplicated, and what the server pays per connection in memory and CPU.
//
//	go run ./loadtest -ws 1000 -sse 500 -poll 500
//	go run ./loadtest -ws 5000 -sse 500 -poll 500
//
// It starts the server as a child process (this same binary with -serve:
// SyncMon's store and handlers on 127.0.0.1:0, as serve wires them, over a
// fresh database with one admin account), so that the server's RSS and CPU
// can be read from /proc apart from the clients'. The clients connect as
// anonymous viewers; the alerts are posted with the admin's HTTP Basic
// credentials. Counts and duration are bounded (-max-clients, -timeout).
// See docs/PERFORMANCE.md for the method and the numbers.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

const (
	adminUser     = "load"
	adminPassword = "load-test-password"
	maxClients    = 20000
)

func main() {
	var (
		serveMode = flag.Bool("serve", false, "internal: run the server side (started by the driver)")
		db        = flag.String("db", "", "internal: the server's database")
		nWS       = flag.Int("ws", 1000, "WebSocket clients")
		nSSE      = flag.Int("sse", 500, "SSE clients")
		nPoll     = flag.Int("poll", 500, "long-poll clients")
		messages  = flag.Int("messages", 200, "test alerts to send")
		rate      = flag.Float64("rate", 20, "test alerts per second")
		timeout   = flag.Duration("timeout", 3*time.Minute, "give up after this long")
		jsonOut   = flag.String("json", "", "also write the results as JSON to this file")
		prof      profiles
		memProf   = flag.String("memprofile", "", "write the server's heap profile, idle with every client connected, to this file")
		bare      = flag.Bool("bare", false, "serve a bare echo+melody broadcast instead of SyncMon (the A/B reference; WebSocket clients only)")
		ping      = flag.Duration("ping", 0, "SyncMon's heartbeat interval (0: the product's default, 10 s)")
		bareBytes = flag.Int("bare-bytes", 0, "with -bare: pad each message to this many bytes (0: unpadded, about 40)")
	)
	flag.StringVar(&prof.CPU, "cpuprofile", "", "write the server's CPU profile of the send phase to this file")
	flag.StringVar(&prof.Trace, "trace", "", "write the server's execution trace of the send phase to this file")
	flag.StringVar(&prof.Block, "blockprofile", "", "write the server's block profile of the send phase to this file")
	flag.StringVar(&prof.Mutex, "mutexprofile", "", "write the server's mutex profile of the send phase to this file")
	flag.Parse()
	raiseFileLimit()
	if *serveMode && *bare {
		if err := serveBare(&prof, *bareBytes); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	if *serveMode {
		if err := serve(*db, &prof, *memProf, *ping); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	if *nWS < 0 || *nSSE < 0 || *nPoll < 0 || *nWS+*nSSE+*nPoll > maxClients || *messages < 1 || *messages > 10000 || *rate <= 0 || *rate > 1000 {
		fmt.Fprintf(os.Stderr, "loadtest: at most %d clients, 1..10000 messages, a rate in (0, 1000]\n", maxClients)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := drive(ctx, config{ws: *nWS, sse: *nSSE, poll: *nPoll, messages: *messages, rate: *rate, prof: prof, memProfile: *memProf, bare: *bare, bareBytes: *bareBytes, ping: *ping})
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	res.print(os.Stdout)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
	}
	if res.Lost > 0 || res.Duplicates > 0 {
		os.Exit(1)
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// connection is a descriptor on each side.
func raiseFileLimit() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

// ---- server side ---------------------------------------------------------

// serve runs SyncMon's HTTP surface as serve.go wires it, prints
// "listening ADDR", and on SIGUSR1 collects garbage and prints its memory
// ("mem HEAP STACK GOROUTINES"), so that the driver reads a settled RSS.
func serve(path string, prof *profiles, memProfile string, ping time.Duration) error {
	ctx := context.Background()
	writes := &durations{}
	st, err := store.Open(ctx, path, store.WithObserver(store.Observer{Write: writes.add}))
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() { fmt.Fprintf(os.Stderr, "server: store write transactions %s\n", writes) }()
	if _, err := st.CreateUser(ctx, store.Actor{Name: "cli"}, store.NewUser{Name: adminUser, Role: store.RoleAdmin,
		Password: adminPassword, Cost: bcrypt.MinCost}); err != nil {
		return err
	}
	srv, err := handlers.New(handlers.Options{Store: st, Version: "loadtest", AnonymousViewer: true, PingInterval: ping,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	fmt.Printf("listening %s\n", ln.Addr())

	if err := answerSignals(prof, memProfile); err != nil {
		return err
	}
	srv.Close()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// durations collects how long each store write took (commit and fsync
// included), for the server's report at exit.
type durations struct {
	mu sync.Mutex
	d  []time.Duration
}

func (d *durations) add(x time.Duration) {
	d.mu.Lock()
	d.d = append(d.d, x)
	d.mu.Unlock()
}

func (d *durations) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.d) == 0 {
		return "none"
	}
	s := slices.Clone(d.d)
	slices.Sort(s)
	ms := func(x time.Duration) float64 { return float64(x) / 1e6 }
	return fmt.Sprintf("n %d p50 %.2f p99 %.2f max %.2f ms", len(s), ms(s[len(s)/2]), ms(s[len(s)*99/100]), ms(s[len(s)-1]))
}

// answerSignals answers the driver until it says stop (SIGTERM): on
// SIGUSR1 it collects garbage and prints its memory ("mem HEAP STACK
// GOROUTINES"); on SIGUSR2 it starts the profiles of the send phase
// ("profiling"), which stop when it returns.
func answerSignals(prof *profiles, memProfile string) error {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	for s := range sig {
		switch s {
		case syscall.SIGUSR1:
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if memProfile != "" { // overwritten each time: the last one has every client
				if f, err := os.Create(memProfile); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
			fmt.Printf("mem %d %d %d\n", ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine())
		case syscall.SIGUSR2:
			if err := prof.start(); err != nil {
				return err
			}
			fmt.Println("profiling")
		default:
			return prof.stop()
		}
	}
	return nil
}

// child is the server process as the driver sees it.
type child struct {
	cmd   *exec.Cmd
	base  string
	lines chan string
}

func startChild(dir string, prof *profiles, memProfile string, bare bool, bareBytes int, ping time.Duration) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", "-db", filepath.Join(dir, "load.db")}
	if bare {
		args = append(args, "-bare", "-bare-bytes", strconv.Itoa(bareBytes))
	}
	if ping > 0 {
		args = append(args, "-ping", ping.String())
	}
	pargs, err := prof.args()
	if err != nil {
		return nil, err
	}
	args = append(args, pargs...)
	if memProfile != "" {
		abs, err := filepath.Abs(memProfile)
		if err != nil {
			return nil, err
		}
		args = append(args, "-memprofile", abs)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	select {
	case l, ok := <-c.lines:
		if !ok || !strings.HasPrefix(l, "listening ") {
			cmd.Process.Kill()
			return nil, fmt.Errorf("server did not start: %q", l)
		}
		addr := strings.TrimPrefix(l, "listening ")
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			cmd.Process.Kill()
			return nil, fmt.Errorf("server on %s, not loopback", addr)
		}
		c.base = "http://" + addr
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return nil, errors.New("server did not start within 30 s")
	}
	return c, nil
}

// memory has the server collect garbage, then reads its RSS and Go's view.
func (c *child) memory() (mem memory, err error) {
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return mem, err
	}
	select {
	case l := <-c.lines:
		if _, err := fmt.Sscanf(l, "mem %d %d %d", &mem.HeapInuse, &mem.StackInuse, &mem.Goroutines); err != nil {
			return mem, fmt.Errorf("server said %q", l)
		}
	case <-time.After(2 * time.Minute): // a loaded machine can take long to collect 5000 connections' garbage
		return mem, errors.New("server did not report its memory")
	}
	mem.RSS, err = procRSS(c.cmd.Process.Pid)
	return mem, err
}

// startProfiles has the server start its profiles of the send phase.
func (c *child) startProfiles() error {
	if err := c.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		return err
	}
	select {
	case l := <-c.lines:
		if l != "profiling" {
			return fmt.Errorf("server said %q", l)
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("server did not start its profiles")
	}
}

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

type memory struct {
	RSS        int64 `json:"rss_bytes"`
	HeapInuse  int64 `json:"heap_inuse_bytes"`
	StackInuse int64 `json:"stack_inuse_bytes"`
	Goroutines int   `json:"goroutines"`
}

func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// procCPU returns the process's user+system CPU time.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---- driver ----------------------------------------------------------------

type config struct {
	ws, sse, poll, messages int
	rate                    float64
	prof                    profiles
	memProfile              string
	bare                    bool
	bareBytes               int
	ping                    time.Duration
}

// client records when each message reached it.
type client struct {
	kind string
	id   int // sent as the long-poll client id, as the page sends its own
	// at[i] is when message i arrived (0: not yet); dup counts repeats.
	at   []int64
	got  atomic.Int64
	dup  atomic.Int64
	last atomic.Int64 // newest seq seen: where to resume after a drop
}

// take records seq; first is the seq of message 0.
func (c *client) take(seq, first int64, now int64) {
	c.last.Store(max(c.last.Load(), seq))
	i := seq - first
	if i < 0 || i >= int64(len(c.at)) {
		return
	}
	if atomic.LoadInt64(&c.at[i]) != 0 {
		c.dup.Add(1)
		return
	}
	atomic.StoreInt64(&c.at[i], now)
	c.got.Add(1)
}

var epoch = time.Now()

func nowNanos() int64 { return int64(time.Since(epoch)) }

func drive(ctx context.Context, cfg config) (*results, error) {
	dir, err := os.MkdirTemp("", "syncmon-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := startChild(dir, &cfg.prof, cfg.memProfile, cfg.bare, cfg.bareBytes, cfg.ping)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	res := &results{Config: map[string]any{"ws": cfg.ws, "sse": cfg.sse, "poll": cfg.poll, "messages": cfg.messages, "rate": cfg.rate,
		"cpus": runtime.NumCPU(), "go": runtime.Version(), "bare": cfg.bare, "bare_bytes": cfg.bareBytes, "ping": cfg.ping.String()}}

	// The first message's seq is the head + 1: nothing else writes.
	head, err := currentHead(ctx, srv.base)
	if err != nil {
		return nil, err
	}
	first := head + 1

	if res.Idle.Baseline, err = srv.memory(); err != nil {
		return nil, err
	}
	var all []*client
	var wg sync.WaitGroup
	connect := func(kind string, n int) error {
		start := time.Now()
		ready := make(chan error, n)
		sem := make(chan struct{}, 100) // connections being set up at once
		for range n {
			c := &client{kind: kind, id: len(all), at: make([]int64, cfg.messages)}
			c.last.Store(head)
			all = append(all, c)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				run(ctx, srv.base, c, first, cfg.messages, func(err error) { <-sem; ready <- err })
			}()
		}
		for range n {
			select {
			case err := <-ready:
				if err != nil {
					return fmt.Errorf("%s client: %w", kind, err)
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		res.Connect = append(res.Connect, connectTime{kind, n, time.Since(start).Seconds()})
		return nil
	}
	if err := connect("ws", cfg.ws); err != nil {
		return nil, err
	}
	if res.Idle.AfterWS, err = srv.memory(); err != nil {
		return nil, err
	}
	if err := connect("sse", cfg.sse); err != nil {
		return nil, err
	}
	if err := connect("poll", cfg.poll); err != nil {
		return nil, err
	}
	if res.Idle.AfterAll, err = srv.memory(); err != nil {
		return nil, err
	}

	// Send: POST /api/alerts/test at the rate, timing each from just before
	// the request.
	if args, _ := cfg.prof.args(); len(args) > 0 {
		if err := srv.startProfiles(); err != nil {
			return nil, err
		}
	}
	sent := make([]int64, cfg.messages)
	cpu0, _ := procCPU(pid)
	self0 := selfCPU()
	wall0 := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	hc := &http.Client{Timeout: 10 * time.Second}
	var posts []int64 // how long each POST took
	for i := range cfg.messages {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		sent[i] = nowNanos()
		seq, err := postTestAlert(hc, srv.base, i)
		if err != nil {
			return nil, err
		}
		posts = append(posts, nowNanos()-sent[i])
		if seq != first+int64(i) {
			return nil, fmt.Errorf("message %d got seq %d, want %d (something else wrote to the log)", i, seq, first+int64(i))
		}
	}
	tick.Stop()
	// Wait for every client to have every message, or the deadline.
	total := int64(len(all) * cfg.messages)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int64
		for _, c := range all {
			got += c.got.Load()
		}
		if got == total || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wall := time.Since(wall0)
	cpu1, _ := procCPU(pid)
	res.ServerCPU = (cpu1 - cpu0).Seconds()
	res.DriverCPU = (selfCPU() - self0).Seconds()
	res.Wall = wall.Seconds()
	res.summarise(all, sent)
	res.spans(all, sent)
	slices.Sort(posts)
	res.PostP99ms, res.PostMaxms = float64(posts[len(posts)*99/100])/1e6, float64(posts[len(posts)-1])/1e6
	return res, nil
}

func currentHead(ctx context.Context, base string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/state", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Head int64 `json:"head"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("GET /api/state: %s: %w", resp.Status, err)
	}
	return st.Head, nil
}

func postTestAlert(hc *http.Client, base string, i int) (int64, error) {
	body := fmt.Sprintf(`{"message":"load test alert %d"}`, i)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/alerts/test", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(adminUser, adminPassword)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Seq int64 `json:"seq"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
		return 0, fmt.Errorf("POST /api/alerts/test: %s %s", resp.Status, b)
	}
	return out.Seq, nil
}

// run keeps one client connected until it has every message or ctx ends,
// resuming from the last seq it saw after any drop. ready is called once,
// when the first connection is up (or failed).
func run(ctx context.Context, base string, c *client, first int64, n int, ready func(error)) {
	var once sync.Once
	up := func(err error) { once.Do(func() { ready(err) }) }
	for c.got.Load() < int64(n) && ctx.Err() == nil {
		var err error
		switch c.kind {
		case "ws":
			err = runWS(ctx, base, c, first, n, up)
		case "sse":
			err = runSSE(ctx, base, c, first, n, up)
		case "poll":
			err = runPoll(ctx, base, c, first, n, up)
		}
		up(err)
		if err != nil && ctx.Err() == nil {
			// A drop: resume from the last seq, as the page does.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
	up(ctx.Err())
}

// seqOf reads the seq at the front of an event's JSON ({"seq":N,...}).
func seqOf(raw []byte) int64 {
	const p = `{"seq":`
	if !bytes.HasPrefix(raw, []byte(p)) {
		return 0
	}
	rest := raw[len(p):]
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(rest[:i]), 10, 64)
	return n
}

func runWS(ctx context.Context, base string, c *client, first int64, n int, up func(error)) error {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws?since=" + strconv.FormatInt(c.last.Load(), 10)
	conn, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for c.got.Load() < int64(n) {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if seq := seqOf(data); seq > 0 {
			c.take(seq, first, nowNanos())
		} else if bytes.Contains(data, []byte(`"type":"hello"`)) {
			up(nil)
		}
	}
	return nil
}

func runSSE(ctx context.Context, base string, c *client, first int64, n int, up func(error)) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events?since="+strconv.FormatInt(c.last.Load(), 10), nil)
	resp, err := sseClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /events: %s", resp.Status)
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	for c.got.Load() < int64(n) {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if bytes.HasPrefix(line, []byte("id: ")) {
			seq, _ := strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
			c.take(seq, first, nowNanos())
		} else if bytes.HasPrefix(line, []byte(`data: {"type":"hello"`)) {
			up(nil)
		}
	}
	return nil
}

func runPoll(ctx context.Context, base string, c *client, first int64, n int, up func(error)) error {
	wait := "0" // the first poll answers at once, as the page's does
	for c.got.Load() < int64(n) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
			base+"/poll?wait="+wait+"&since="+strconv.FormatInt(c.last.Load(), 10)+"&client="+strconv.Itoa(c.id), nil)
		wait = "10" // then held, up to the heartbeat
		resp, err := pollClient.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		now := nowNanos()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /poll: %s", resp.Status)
		}
		var a struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		for _, e := range a.Events {
			c.take(seqOf(e), first, now)
		}
		up(nil)
	}
	return nil
}

// One transport per kind, each with room for every client's connection.
var (
	sseClient  = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxClients, MaxConnsPerHost: 0}}
	pollClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxClients, MaxConnsPerHost: 0}, Timeout: 40 * time.Second}
)

// ---- results -----------------------------------------------------------

type connectTime struct {
	Kind    string  `json:"kind"`
	N       int     `json:"n"`
	Seconds float64 `json:"seconds"`
}

type latency struct {
	Kind      string  `json:"kind"`
	Clients   int     `json:"clients"`
	Receipts  int     `json:"receipts"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	P999ms    float64 `json:"p999_ms"`
	Maxms     float64 `json:"max_ms"`
	Lost      int64   `json:"lost"`
	Duplicate int64   `json:"duplicates"`
}

type results struct {
	Config  map[string]any `json:"config"`
	Connect []connectTime  `json:"connect"`
	Idle    struct {
		Baseline memory `json:"baseline"`
		AfterWS  memory `json:"after_ws"`
		AfterAll memory `json:"after_all"`
	} `json:"idle_memory"`
	PerWSBytes   float64   `json:"rss_per_idle_ws_bytes"`
	PerRestBytes float64   `json:"rss_per_idle_sse_or_poll_bytes"`
	Latency      []latency `json:"latency"`
	Lost         int64     `json:"lost"`
	Duplicates   int64     `json:"duplicates"`
	ServerCPU    float64   `json:"server_cpu_seconds"`
	DriverCPU    float64   `json:"driver_cpu_seconds"`
	Wall         float64   `json:"send_wall_seconds"`
	PostP99ms    float64   `json:"post_p99_ms"`
	PostMaxms    float64   `json:"post_max_ms"`
	// Per message: from the POST to its first receipt (the path before the
	// fan-out), and from its first receipt to its last (the fan-out's span).
	FirstP50ms float64 `json:"first_receipt_p50_ms"`
	FirstP99ms float64 `json:"first_receipt_p99_ms"`
	SpanP50ms  float64 `json:"span_p50_ms"`
	SpanP99ms  float64 `json:"span_p99_ms"`
}

func (r *results) summarise(all []*client, sent []int64) {
	ws, _ := r.Config["ws"].(int)
	rest := len(all) - ws
	if ws > 0 {
		r.PerWSBytes = float64(r.Idle.AfterWS.RSS-r.Idle.Baseline.RSS) / float64(ws)
	}
	if rest > 0 {
		r.PerRestBytes = float64(r.Idle.AfterAll.RSS-r.Idle.AfterWS.RSS) / float64(rest)
	}
	byKind := map[string][]*client{}
	for _, c := range all {
		byKind[c.kind] = append(byKind[c.kind], c)
		byKind["all"] = append(byKind["all"], c)
	}
	for _, kind := range []string{"ws", "sse", "poll", "all"} {
		cs := byKind[kind]
		if len(cs) == 0 {
			continue
		}
		l := latency{Kind: kind, Clients: len(cs)}
		var ds []int64
		for _, c := range cs {
			for i := range c.at {
				at := atomic.LoadInt64(&c.at[i])
				if at == 0 {
					l.Lost++
					continue
				}
				ds = append(ds, at-sent[i])
			}
			l.Duplicate += c.dup.Load()
		}
		slices.Sort(ds)
		l.Receipts = len(ds)
		if len(ds) > 0 {
			ms := func(ns int64) float64 { return float64(ns) / 1e6 }
			l.P50ms, l.P99ms, l.P999ms, l.Maxms = ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)*999/1000]), ms(ds[len(ds)-1])
		}
		if kind == "all" {
			r.Lost, r.Duplicates = l.Lost, l.Duplicate
		}
		r.Latency = append(r.Latency, l)
	}
}

// spans splits each message's delivery in two: the path from the POST to
// the first client that got it, and the fan-out from there to the last.
func (r *results) spans(all []*client, sent []int64) {
	var firsts, spans []int64
	for i := range sent {
		var lo, hi int64
		for _, c := range all {
			at := atomic.LoadInt64(&c.at[i])
			if at == 0 {
				continue
			}
			if lo == 0 || at < lo {
				lo = at
			}
			hi = max(hi, at)
		}
		if lo != 0 {
			firsts, spans = append(firsts, lo-sent[i]), append(spans, hi-lo)
		}
	}
	if len(firsts) == 0 {
		return
	}
	slices.Sort(firsts)
	slices.Sort(spans)
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	r.FirstP50ms, r.FirstP99ms = ms(firsts[len(firsts)/2]), ms(firsts[len(firsts)*99/100])
	r.SpanP50ms, r.SpanP99ms = ms(spans[len(spans)/2]), ms(spans[len(spans)*99/100])
}

func (r *results) print(w io.Writer) {
	fmt.Fprintf(w, "config: %v\n", r.Config)
	for _, c := range r.Connect {
		fmt.Fprintf(w, "connected %d %s clients in %.1f s\n", c.N, c.Kind, c.Seconds)
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	for _, m := range []struct {
		name string
		m    memory
	}{{"idle, no clients", r.Idle.Baseline}, {"idle, WebSocket clients", r.Idle.AfterWS}, {"idle, all clients", r.Idle.AfterAll}} {
		fmt.Fprintf(w, "server %-24s RSS %7.1f MiB  heap %6.1f MiB  stacks %6.1f MiB  goroutines %d\n",
			m.name+":", mib(m.m.RSS), mib(m.m.HeapInuse), mib(m.m.StackInuse), m.m.Goroutines)
	}
	fmt.Fprintf(w, "server RSS per idle WebSocket connection: %.1f KiB\n", r.PerWSBytes/1024)
	fmt.Fprintf(w, "server RSS per idle SSE/long-poll connection: %.1f KiB\n", r.PerRestBytes/1024)
	fmt.Fprintf(w, "%-5s %8s %9s %9s %9s %9s %9s %6s %6s\n", "kind", "clients", "receipts", "p50 ms", "p99 ms", "p999 ms", "max ms", "lost", "dups")
	for _, l := range r.Latency {
		fmt.Fprintf(w, "%-5s %8d %9d %9.2f %9.2f %9.2f %9.2f %6d %6d\n", l.Kind, l.Clients, l.Receipts, l.P50ms, l.P99ms, l.P999ms, l.Maxms, l.Lost, l.Duplicate)
	}
	fmt.Fprintf(w, "POST /api/alerts/test: p99 %.2f ms, slowest %.2f ms\n", r.PostP99ms, r.PostMaxms)
	fmt.Fprintf(w, "per message: POST to first receipt p50 %.2f / p99 %.2f ms, first to last receipt p50 %.2f / p99 %.2f ms\n",
		r.FirstP50ms, r.FirstP99ms, r.SpanP50ms, r.SpanP99ms)
	fmt.Fprintf(w, "while sending (%.1f s): server CPU %.1f s (%.0f%% of one core), load generator CPU %.1f s\n",
		r.Wall, r.ServerCPU, 100*r.ServerCPU/r.Wall, r.DriverCPU)
}
