package cluster_test

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/syncmon/syncmon/cluster"
	"github.com/syncmon/syncmon/internal/testutil"
)

// routeHandshake speaks to a route listener as a would-be peer: it reads
// the INFO, sends a route CONNECT with these credentials, a subscription to
// the command subject and a PING, and returns the first answer line after
// the INFO ("PONG", "-ERR …", or "" when the connection closed).
func routeHandshake(t *testing.T, addr, user, pass string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial route %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	info, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(info, "INFO ") {
		t.Fatalf("route %s: first line %q, %v", addr, info, err)
	}
	creds := ""
	if user != "" {
		creds = `"user":` + strconv.Quote(user) + `,"pass":` + strconv.Quote(pass) + `,`
	}
	connect := `CONNECT {` + creds + `"echo":false,"verbose":false,"pedantic":false,"tls_required":false,"name":"intruder","cluster":"syncmon"}` + "\r\n"
	if _, err := c.Write([]byte(connect + "RS+ $G syncmon.cmd\r\nPING\r\n")); err != nil {
		t.Fatalf("write to route %s: %v", addr, err)
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return ""
		}
		l = strings.TrimSpace(l)
		if l == "PONG" || strings.HasPrefix(l, "-ERR") {
			return l
		}
	}
}

func TestRoutesAndClientsNeedTheSecret(t *testing.T) {
	ports := testutil.FreePorts(t, 4)
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	var logs, blogs testutil.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := startNode(t, ctx, cluster.Config{Node: "a", Listen: addr(0), Peers: []string{addr(0), addr(1)},
		ClientListen: addr(2), DataDir: t.TempDir(), Replicas: 1, Secret: testSecret, Logger: logger, Debug: true})
	cmds, err := a.Conn().SubscribeSync("syncmon.cmd")
	if err != nil {
		t.Fatal(err)
	}

	// A would-be route without the secret, or with another, is refused
	// before it can subscribe; the secret gets an answer.
	for _, tc := range []struct{ user, pass, want string }{
		{"", "", "-ERR 'Authorization Violation'"},
		{cluster.RouteUser, "not-the-cluster-secret", "-ERR 'Authorization Violation'"},
		{"admin", testSecret, "-ERR 'Authorization Violation'"},
		{cluster.RouteUser, testSecret, "PONG"},
	} {
		if got := routeHandshake(t, addr(0), tc.user, tc.pass); got != tc.want {
			t.Errorf("route CONNECT as %q/%q: got %q, want %q", tc.user, tc.pass, got, tc.want)
		}
	}

	// A node with another secret does not join: each side refuses the
	// other's route, and what its clients publish never reaches a.
	b := startNode(t, ctx, cluster.Config{Node: "b", Listen: addr(1), Peers: []string{addr(0), addr(1)},
		DataDir: t.TempDir(), Replicas: 1, Secret: "another-secret-0123456789", Debug: true,
		Logger: slog.New(slog.NewTextHandler(&blogs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	blogs.WaitFor(t, regexp.MustCompile(`(?i)authorization violation|authentication error`), 20*time.Second)
	if err := b.Conn().Publish("syncmon.cmd", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}

	// The client port: no token, or a wrong one, cannot connect at all.
	for _, opts := range [][]nats.Option{nil, {nats.Token("guess")}, {nats.UserInfo(cluster.RouteUser, testSecret)}} {
		nc, err := nats.Connect("nats://"+addr(2), append(opts, nats.Timeout(5*time.Second), nats.NoReconnect())...)
		if err == nil {
			_ = nc.Publish("syncmon.cmd", []byte("forged"))
			_ = nc.Flush()
			nc.Close()
			t.Fatalf("client with %d options connected to the node's client port", len(opts))
		}
		if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Errorf("client refused with %v, want an authorization violation", err)
		}
	}
	// Its own in-process client still works; nothing forged came in first.
	if err := a.Conn().Publish("syncmon.cmd", []byte("own")); err != nil {
		t.Fatal(err)
	}
	msg, err := cmds.NextMsg(10 * time.Second)
	if err != nil || string(msg.Data) != "own" {
		t.Fatalf("first command a received: %v %v, want its own", msg, err)
	}
	if s := logs.String() + blogs.String(); strings.Contains(s, testSecret) || strings.Contains(s, "another-secret") {
		t.Fatalf("a secret is in the log:\n%s", s)
	}
}

func TestSecretIsRequiredForRoutes(t *testing.T) {
	ports := testutil.FreePorts(t, 1)
	for _, secret := range []string{"", "short"} {
		_, err := cluster.Start(context.Background(), cluster.Config{Node: "a", Listen: "127.0.0.1:" + strconv.Itoa(ports[0]),
			DataDir: t.TempDir(), Replicas: 1, Secret: secret, Logger: testLogger()})
		if err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("secret %q: Start gave %v, want it refused", secret, err)
		}
	}
}

func TestClusterSecretNotLogged(t *testing.T) {
	cfgs := configs(t, 3)
	var logs testutil.Buffer
	for i := range cfgs {
		cfgs[i].Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfgs[i].Debug = true
	}
	startCluster(t, cfgs)
	if !logs.Contains("Route connection created") {
		t.Fatalf("no route in the log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Fatalf("the cluster secret is in the log")
	}
}
