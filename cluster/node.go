package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of what the cluster keeps in JetStream.
const (
	ClusterName = "syncmon"        // the NATS cluster name every node uses
	StreamName  = "SYNCMON_EVENTS" // the event log
	Subject     = "syncmon.events" // the event log's one subject
	LeaseBucket = "SYNCMON_LEASE"  // the KV bucket holding the writer lease
	LeaseKey    = "writer"         // the lease's key
)

// Config is what a node needs. The lead fills it from config.Cluster.
type Config struct {
	Node   string // unique, stable server name
	Listen string // host:port of the route listener
	// Advertise is the host:port this node tells its peers its routes are
	// at (nats-server's cluster advertise); empty: Listen's, or the address
	// a peer sees the connection come from.
	Advertise string
	Peers     []string // host:port of the routes (may include this node's own)
	DataDir   string   // JetStream store directory
	Replicas  int      // copies of the log and of the lease bucket

	// Secret authenticates the routes: every node of a cluster needs the
	// same one (at least MinSecret characters). Required when Listen is
	// set. Never logged.
	Secret string
	// TLS, when set, encrypts every route and verifies both ends: a node
	// accepts a route only from a certificate its CA signed, and checks the
	// peer's certificate against the peer's host name (RouteTLS builds it).
	// Nil: routes in plain TCP, authenticated by Secret alone.
	TLS *tls.Config
	// ClientListen is a host:port for NATS clients (tools, debugging), best
	// on loopback. Empty: a random loopback port when clustered (nats-server
	// starts its routes only after its client listener), none otherwise.
	ClientListen string
	// ClientToken is the token a client of the client listener must
	// present (nats.Token). Empty: a random one drawn at Start, known only
	// to this process, so no other program can use the listener.
	ClientToken string
	// LeaseTTL is how long a writer lease lives without renewal. Default 5s.
	LeaseTTL time.Duration
	// Duplicates is the message id de-duplication window. Default 2m.
	Duplicates time.Duration
	// Logger receives nats-server's log (notices as info). Default slog.Default().
	Logger *slog.Logger
	// Debug passes nats-server's debug lines on (at slog debug level).
	Debug bool
}

// RouteUser is the user name routes authenticate with; the password is
// Config.Secret.
const RouteUser = "syncmon"

// MinSecret is the shortest Config.Secret accepted.
const MinSecret = 16

// Node is one running cluster member: the embedded nats-server and an
// in-process client. Its methods are safe for concurrent use.
type Node struct {
	cfg Config
	log *slog.Logger
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream

	mu      sync.Mutex
	stream  jetstream.Stream     // set by Open
	kv      jetstream.KeyValue   // set by Open
	cursors jetstream.KeyValue   // set by Open (cursors.go)
	epoch   string               // set by Open
	shed    map[string]time.Time // when this node last stepped down as a stream's leader
	closed  bool
}

// ErrNotOpen is returned by the log's methods before Open has succeeded.
var ErrNotOpen = errors.New("cluster: the event log is not open yet")

// Start starts the embedded nats-server with JetStream, clustered with the
// peers, and connects an in-process client. It needs no quorum: it returns
// once this server accepts connections, so a node can wait for its peers
// (see Open) while its own screens already tell that it is waiting.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 5 * time.Second
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = 2 * time.Minute
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ClientToken == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // crypto/rand.Read does not fail (it panics on a broken system)
		cfg.ClientToken = hex.EncodeToString(b)
	}
	opts, err := serverOptions(cfg)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: new nats-server %s: %w", cfg.Node, err)
	}
	logger := cfg.Logger.With("node", cfg.Node, "component", "nats")
	srv.SetLoggerV2(slogBridge{logger}, cfg.Debug, false, false)
	go srv.Start()
	wait := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: nats-server %s not ready within %s", cfg.Node, wait.Round(time.Millisecond))
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("syncmon-"+cfg.Node),
		nats.Token(cfg.ClientToken),
		nats.MaxReconnects(-1), nats.NoCallbacksAfterClientClose())
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: in-process client of %s: %w", cfg.Node, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: jetstream client: %w", err)
	}
	return &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.Node), srv: srv, nc: nc, js: js, shed: map[string]time.Time{}}, nil
}

func serverOptions(cfg Config) (*server.Options, error) {
	if cfg.Node == "" || cfg.DataDir == "" {
		return nil, errors.New("cluster: node and data_dir are required")
	}
	opts := &server.Options{
		ServerName: cfg.Node,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		// Every write reaches the disk before it is acknowledged: a power
		// loss of a majority then loses nothing a screen was sent.
		SyncAlways: true,
		NoSigs:     true,
		DontListen: cfg.ClientListen == "" && cfg.Listen == "",
		// Every client, the in-process one included, presents the token:
		// no other local user can reach the node's client listener.
		Authorization: cfg.ClientToken,
	}
	if cfg.ClientListen == "" && cfg.Listen != "" {
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	}
	if cfg.ClientListen != "" {
		host, port, err := splitHostPort(cfg.ClientListen)
		if err != nil {
			return nil, fmt.Errorf("cluster: client listen: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("cluster: listen: %w", err)
		}
		// Routes go to the configured peers. nats-server also tells each
		// node of the others' route addresses (gossip) and connects to any
		// it has not configured: with Advertise set to the address every
		// peers list names, there are no such implicit routes. NoAdvertise
		// keeps the route addresses out of what NATS clients are told.
		if len(cfg.Secret) < MinSecret {
			return nil, fmt.Errorf("cluster: a secret of at least %d characters is required for the routes", MinSecret)
		}
		// Routes authenticate with the cluster secret, both ways: a route
		// accepted here must present it, and ours present it (the URL's
		// user info; nats-server logs route URLs redacted).
		if cfg.Advertise != "" {
			if _, _, err := splitHostPort(cfg.Advertise); err != nil {
				return nil, fmt.Errorf("cluster: advertise %q: %w", cfg.Advertise, err)
			}
		}
		opts.Cluster = server.ClusterOpts{Name: ClusterName, Host: host, Port: port, NoAdvertise: true,
			Advertise: cfg.Advertise, Username: RouteUser, Password: cfg.Secret}
		if cfg.TLS != nil {
			opts.Cluster.TLSConfig, opts.Cluster.TLSTimeout = cfg.TLS, routeTLSTimeout.Seconds()
		}
		for _, p := range cfg.Peers {
			if _, _, err := splitHostPort(p); err != nil {
				return nil, fmt.Errorf("cluster: peer %q: %w", p, err)
			}
			opts.Routes = append(opts.Routes, &url.URL{Scheme: "nats", Host: p, User: url.UserPassword(RouteUser, cfg.Secret)})
		}
	}
	return opts, nil
}

func splitHostPort(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// Name is this node's name.
func (n *Node) Name() string { return n.cfg.Node }

// Conn is the in-process NATS connection, for request subjects such as
// forwarded commands (syncmon.cmd).
func (n *Node) Conn() *nats.Conn { return n.nc }

// Open creates (or finds) the event log stream and the lease bucket,
// retrying until the JetStream meta leader exists or ctx ends. It is
// idempotent, and safe on every node at once.
func (n *Node) Open(ctx context.Context) error {
	n.mu.Lock()
	done := n.stream != nil
	n.mu.Unlock()
	if done {
		return nil
	}
	scfg := jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{Subject}, Replicas: n.cfg.Replicas,
		Storage: jetstream.FileStorage, Duplicates: n.cfg.Duplicates,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
	}
	kcfg := jetstream.KeyValueConfig{
		Bucket: LeaseBucket, TTL: n.cfg.LeaseTTL, Replicas: n.cfg.Replicas,
		Storage: jetstream.FileStorage, History: 1,
	}
	ccfg := jetstream.KeyValueConfig{
		Bucket: CursorBucket, Replicas: n.cfg.Replicas, Storage: jetstream.FileStorage, History: 1,
	}
	var stream jetstream.Stream
	var kv, cursors jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		if stream == nil {
			if stream, err = n.js.CreateOrUpdateStream(ctx, scfg); err != nil {
				return fmt.Errorf("stream %s: %w", StreamName, err)
			}
		}
		if kv, err = n.js.CreateOrUpdateKeyValue(ctx, kcfg); err != nil {
			return fmt.Errorf("bucket %s: %w", LeaseBucket, err)
		}
		if cursors, err = n.js.CreateOrUpdateKeyValue(ctx, ccfg); err != nil {
			return fmt.Errorf("bucket %s: %w", CursorBucket, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: open the event log on %s: %w", n.cfg.Node, err)
	}
	info := stream.CachedInfo()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stream, n.kv, n.cursors = stream, kv, cursors
	n.epoch = epochOf(info)
	n.log.Info("cluster: event log open", "stream", StreamName, "epoch", n.epoch,
		"first_seq", info.State.FirstSeq, "last_seq", info.State.LastSeq, "replicas", info.Config.Replicas)
	return nil
}

// retry calls try until it succeeds or ctx ends, each attempt bounded by a
// two seconds (a request sent before the meta leader exists may never be
// answered), with a short pause between attempts.
func retry(ctx context.Context, try func(context.Context) error) error {
	pause := time.NewTimer(0)
	defer pause.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("%w (last: %w)", ErrNoQuorum, last)
		case <-pause.C:
		}
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = try(actx)
		cancel()
		if last == nil {
			return nil
		}
		pause.Reset(250 * time.Millisecond)
	}
}

// Close stops the node: the client first, then the server, waiting until
// it has shut down (its files closed). A held lease should be released
// before (Lease.Close), so the next writer need not wait for the TTL.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.mu.Unlock()
	n.nc.Close()
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.log.Info("cluster: node stopped")
}

// slogBridge is nats-server's Logger on slog: notices are info, debug
// lines debug; its errors are warnings (mostly a peer not answering yet,
// which a cluster rides out); traces are dropped (never switched on).
type slogBridge struct{ l *slog.Logger }

func (b slogBridge) Noticef(format string, v ...any) { b.l.Info(fmt.Sprintf(format, v...)) }
func (b slogBridge) Warnf(format string, v ...any)   { b.l.Warn(fmt.Sprintf(format, v...)) }
func (b slogBridge) Fatalf(format string, v ...any)  { b.l.Error(fmt.Sprintf(format, v...)) }
func (b slogBridge) Errorf(format string, v ...any)  { b.l.Warn(fmt.Sprintf(format, v...)) }
func (b slogBridge) Debugf(format string, v ...any)  { b.l.Debug(fmt.Sprintf(format, v...)) }
func (b slogBridge) Tracef(string, ...any)           {}
