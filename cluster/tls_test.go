package cluster_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/cluster"
	"github.com/syncmon/syncmon/internal/testutil"
)

// routeTLS issues name's certificate from ca into files and loads the
// routes' TLS from them, as serve does.
func routeTLS(t *testing.T, ca *testutil.CA, name string) *tls.Config {
	t.Helper()
	cert, key, caFile := ca.Files(t, t.TempDir(), name)
	tc, err := cluster.RouteTLS(cert, key, caFile)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// With route TLS, three nodes form the log over TLS only: a route
// listener asks for TLS before anything else, a node whose certificate
// another CA signed cannot join (even with the secret), and the log works.
func TestRoutesOverTLS(t *testing.T) {
	ca := testutil.NewCA(t, "syncmon routes")
	cfgs := configs(t, 3)
	for i := range cfgs {
		cfgs[i].TLS = routeTLS(t, ca, cfgs[i].Node)
	}
	nodes := startCluster(t, cfgs)
	last := appendN(t, nodes[0], "tls", 0, 5)
	if got := readN(t, nodes[2], 1, int(last)); len(got) != int(last) {
		t.Fatalf("n3 read %d entries over TLS routes, want %d", len(got), last)
	}

	// A plain TCP peer gets nothing in clear: the listener starts with the
	// TLS handshake (no INFO first), and a route CONNECT with the secret
	// gets no PONG before the connection is closed.
	c, err := net.DialTimeout("tcp", cfgs[0].Listen, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	connect := `CONNECT {"user":"` + cluster.RouteUser + `","pass":"` + testSecret + `","name":"plain","cluster":"syncmon"}` + "\r\nPING\r\n"
	if _, err := c.Write([]byte(connect)); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	c.Close()
	if strings.Contains(string(got), "INFO") || strings.Contains(string(got), "PONG") {
		t.Fatalf("a plain TCP route got %q in clear", got)
	}

	// A node with the secret but another CA's certificate is refused.
	tc := routeTLS(t, testutil.NewCA(t, "not the cluster's CA"), "intruder")
	var logs testutil.Buffer
	port := testutil.FreePorts(t, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	startNode(t, ctx, cluster.Config{Node: "intruder", Listen: "127.0.0.1:" + strconv.Itoa(port), Peers: []string{cfgs[0].Listen},
		DataDir: t.TempDir(), Replicas: 1, Secret: testSecret, TLS: tc,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	why := logs.WaitFor(t, regexp.MustCompile(`(?i)tls.*(unknown authority|bad certificate|certificate)`), 20*time.Second)
	t.Logf("refused: %s", why)
	for _, n := range nodes {
		if n.Routed()["intruder"] {
			t.Fatalf("%s has a route to the node of another CA", n.Name())
		}
	}
}

// RouteTLS says which file is wrong.
func TestRouteTLSErrorsNameTheFile(t *testing.T) {
	ca := testutil.NewCA(t, "syncmon routes")
	cert, key, caFile := ca.Files(t, t.TempDir(), "n1")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct{ cert, key, ca, want string }{
		{missing, key, caFile, missing},
		{cert, missing, caFile, missing},
		{cert, key, missing, missing},
		{cert, key, key, "holds no PEM certificate"},
	} {
		if _, err := cluster.RouteTLS(tc.cert, tc.key, tc.ca); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RouteTLS(%s, %s, %s) = %v, want an error naming %q", tc.cert, tc.key, tc.ca, err, tc.want)
		}
	}
}
