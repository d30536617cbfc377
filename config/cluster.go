package config

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Cluster is the cluster mode configuration: this node's name, its embedded
// NATS route listener, its peers, where JetStream keeps its files and how
// many copies of the event log there are. Nil in Config: one node on SQLite.
type Cluster struct {
	Node   string // unique per node; JetStream's server name, so it must stay stable
	Listen string // host:port of the route listener, e.g. 0.0.0.0:6222
	// Advertise is the host:port the other nodes reach this node's routes
	// at, when that is not Listen (a 0.0.0.0 listener, NAT, a proxy): it is
	// what this node tells its peers. Best the same as the other nodes'
	// peers entry for it. Empty: nats-server's own guess.
	Advertise string
	Peers     []string // host:port of every route (this node's own may be listed too)
	DataDir   string   // JetStream's store directory
	Replicas  int      // copies of the log and the lease: 1, 3 or 5
	// Secret, read from the variable SecretEnv names, authenticates the
	// routes between nodes and derives the CSRF key every node shares:
	// the same on every node, at least MinClusterSecret characters.
	Secret    monitor.Secret
	SecretEnv string
	// TLSCert, TLSKey and TLSCA (PEM files, all three or none) encrypt the
	// routes and verify both ends against the CA.
	TLSCert, TLSKey, TLSCA string
	// LostAfter is how long the writer goes without hearing from another
	// node of the log before it raises syncmon/nodes: longer than a
	// restart in a rolling upgrade.
	LostAfter time.Duration
}

// DefaultLostAfter is cluster.lost_after when left out.
const DefaultLostAfter = 30 * time.Second

// DefaultReplicas is the replica count a cluster section leaves out.
const DefaultReplicas = 3

// DefaultClusterSecretEnv is the variable holding the cluster secret when
// the section names none (cluster.secret_env).
const DefaultClusterSecretEnv = "SYNCMON_CLUSTER_SECRET"

// MinClusterSecret is the shortest cluster secret accepted.
const MinClusterSecret = 16

type fileCluster struct {
	Node      string   `yaml:"node"`
	Listen    string   `yaml:"listen"`
	Advertise string   `yaml:"advertise"`
	Peers     []string `yaml:"peers"`
	DataDir   string   `yaml:"data_dir"`
	Replicas  *int     `yaml:"replicas"`
	SecretEnv string   `yaml:"secret_env"`
	LostAfter string   `yaml:"lost_after"`
	TLSCert   string   `yaml:"tls_cert"`
	TLSKey    string   `yaml:"tls_key"`
	TLSCA     string   `yaml:"tls_ca"`
}

// cluster checks the cluster section, when there is one.
func (v *validator) cluster(fc *fileCluster, getenv func(string) string, cfg *Config) {
	if fc == nil {
		return
	}
	c := &Cluster{Node: fc.Node, Listen: fc.Listen, DataDir: fc.DataDir, Replicas: DefaultReplicas}
	switch {
	case c.Node == "":
		v.fail("cluster.node", "required: this node's name, unique in the cluster")
	case strings.Trim(c.Node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "":
		v.fail("cluster.node", "%q: use letters, digits, '-', '_' or '.'", c.Node)
	}
	if c.Listen == "" {
		v.fail("cluster.listen", "required: the route address, e.g. 0.0.0.0:6222")
	} else if err := hostPort(c.Listen); err != nil {
		v.fail("cluster.listen", "%q: %v", c.Listen, err)
	}
	if fc.Advertise != "" {
		if err := hostPort(fc.Advertise); err != nil || strings.HasPrefix(fc.Advertise, ":") {
			v.fail("cluster.advertise", "%q: want the host:port other nodes reach this node's routes at, e.g. syncmon-1:6222", fc.Advertise)
		} else {
			c.Advertise = fc.Advertise
		}
	}
	seen := map[string]int{}
	for i, p := range fc.Peers {
		key := fmt.Sprintf("cluster.peers[%d]", i)
		if err := hostPort(p); err != nil || strings.HasPrefix(p, ":") {
			v.fail(key, "%q: want host:port, e.g. syncmon-2:6222", p)
			continue
		}
		if prev, dup := seen[p]; dup {
			v.fail(key, "duplicate peer %q (also cluster.peers[%d])", p, prev)
			continue
		}
		seen[p] = i
		c.Peers = append(c.Peers, p)
	}
	if c.DataDir == "" {
		v.fail("cluster.data_dir", "required: the directory JetStream keeps the event log in")
	}
	if fc.Replicas != nil {
		c.Replicas = *fc.Replicas
		if c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5 {
			// A quorum is a majority: 2 and 4 copies survive no more failures than 1 and 3.
			v.fail("cluster.replicas", "must be 1, 3 or 5, not %d", c.Replicas)
		}
	}
	if c.Replicas > 1 && len(fc.Peers) == 0 {
		v.fail("cluster.peers", "required with replicas %d: the routes of the other nodes", c.Replicas)
	} else if c.Replicas > len(fc.Peers)+1 {
		key := "cluster.peers"
		if fc.Replicas != nil {
			key = "cluster.replicas"
		}
		v.fail(key, "replicas %d needs at least %d nodes, but peers names %d", c.Replicas, c.Replicas, len(fc.Peers))
	}
	c.LostAfter = v.duration("cluster.lost_after", fc.LostAfter, DefaultLostAfter)
	if c.LostAfter < 5*time.Second || c.LostAfter > time.Hour {
		v.fail("cluster.lost_after", "must be from 5s to 1h (how long a node may go unheard before syncmon/nodes is raised)")
	}
	v.clusterTLS(fc, c)
	c.SecretEnv = fc.SecretEnv
	if c.SecretEnv == "" {
		c.SecretEnv = DefaultClusterSecretEnv
	}
	switch secret := getenv(c.SecretEnv); {
	case secret == "":
		v.fail("cluster.secret_env", "%s is not set: every node needs the same secret, at least %d characters", c.SecretEnv, MinClusterSecret)
	case len(secret) < MinClusterSecret:
		v.fail("cluster.secret_env", "the secret in %s is too short: every node needs the same secret, at least %d characters", c.SecretEnv, MinClusterSecret)
	default:
		c.Secret = monitor.Secret(secret)
	}
	cfg.Cluster = c
}

// hostPort checks a host:port address with a port in 1..65535.
func hostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not in 1..65535", port)
	}
	return nil
}

// clusterTLS checks the routes' certificate, key and CA: all three or
// none, each a file that exists (serve loads them).
func (v *validator) clusterTLS(fc *fileCluster, c *Cluster) {
	files := [][2]string{{"cluster.tls_cert", fc.TLSCert}, {"cluster.tls_key", fc.TLSKey}, {"cluster.tls_ca", fc.TLSCA}}
	var set []string
	for _, kv := range files {
		if kv[1] != "" {
			set = append(set, kv[0])
		}
	}
	if len(set) == 0 {
		return
	}
	for _, kv := range files {
		switch {
		case kv[1] == "":
			v.fail(kv[0], "required with %s: this node's certificate, its key and the CA that signed every node's go together", strings.Join(set, ", "))
		default:
			if _, err := os.Stat(kv[1]); err != nil {
				v.fail(kv[0], "cannot read %q", kv[1])
			}
		}
	}
	c.TLSCert, c.TLSKey, c.TLSCA = fc.TLSCert, fc.TLSKey, fc.TLSCA
}
