package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/config"
)

func TestClusterSection(t *testing.T) {
	cfg, err := config.Parse([]byte("targets: [{name: east, kind: simulator}]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cluster != nil {
		t.Fatalf("no cluster section gave %+v, want nil (one node)", cfg.Cluster)
	}
	doc := `cluster:
  node: syncmon-1
  listen: "0.0.0.0:6222"
  advertise: "syncmon-1:6222"
  peers: ["syncmon-1:6222", "syncmon-2:6222", "syncmon-3:6222"]
  data_dir: /var/lib/syncmon/jetstream
targets: [{name: east, kind: simulator}]
`
	cfg, err = config.Parse([]byte(doc), env(map[string]string{"SYNCMON_CLUSTER_SECRET": testClusterSecret}))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Cluster
	if c == nil || c.Node != "syncmon-1" || c.Listen != "0.0.0.0:6222" || c.Advertise != "syncmon-1:6222" || c.LostAfter != config.DefaultLostAfter || c.DataDir != "/var/lib/syncmon/jetstream" ||
		c.Replicas != config.DefaultReplicas || !slices.Equal(c.Peers, []string{"syncmon-1:6222", "syncmon-2:6222", "syncmon-3:6222"}) {
		t.Fatalf("cluster = %+v", c)
	}
	if c.SecretEnv != "SYNCMON_CLUSTER_SECRET" || c.Secret.Reveal() != testClusterSecret || strings.Contains(fmt.Sprintf("%+v %v", cfg, c), testClusterSecret) {
		t.Fatalf("cluster secret: env %q, secret read %v, or printed", c.SecretEnv, c.Secret.Reveal() == testClusterSecret)
	}
}

const testClusterSecret = "0123456789abcdef-cluster"

// clusterEnv sets the cluster secret for the tests of other keys.
var clusterEnv = env(map[string]string{"SYNCMON_CLUSTER_SECRET": testClusterSecret})

func TestClusterSecret(t *testing.T) {
	const base = "cluster:\n  node: a\n  listen: \"127.0.0.1:6222\"\n  data_dir: /d\n  replicas: 1\n"
	const tgt = "targets: [{name: east, kind: simulator}]\n"
	for _, tc := range []struct {
		doc  string
		env  map[string]string
		want string
	}{
		{base + tgt, nil, "line 1: cluster.secret_env: SYNCMON_CLUSTER_SECRET is not set: every node needs the same secret, at least 16 characters"},
		{base + tgt, map[string]string{"SYNCMON_CLUSTER_SECRET": "fifteen-chars.."}, "cluster.secret_env: the secret in SYNCMON_CLUSTER_SECRET is too short: every node needs the same secret, at least 16 characters"},
		{base + "  secret_env: MY_SECRET\n" + tgt, map[string]string{"SYNCMON_CLUSTER_SECRET": testClusterSecret}, "line 6: cluster.secret_env: MY_SECRET is not set"},
	} {
		_, err := config.Parse([]byte(tc.doc), env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %v: err %v, want %q", tc.doc, tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "fifteen-chars") {
			t.Errorf("the secret is in the error: %v", err)
		}
	}
	cfg, err := config.Parse([]byte(base+"  secret_env: MY_SECRET\n"+tgt), env(map[string]string{"MY_SECRET": "sixteen-chars..."}))
	if err != nil || cfg.Cluster.Secret.Reveal() != "sixteen-chars..." || cfg.Cluster.SecretEnv != "MY_SECRET" {
		t.Fatalf("secret_env MY_SECRET: %v", err)
	}
}

func TestClusterErrorsNameKeyAndLine(t *testing.T) {
	const tgt = "targets: [{name: east, kind: simulator}]\n"
	for _, tc := range []struct{ doc, want string }{
		{"cluster:\n  listen: \":6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 1: cluster.node: required`},
		{"cluster:\n  node: \"a b\"\n  listen: \":6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 2: cluster.node: "a b"`},
		{"cluster:\n  node: a\n  listen: \"6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 3: cluster.listen: "6222": want host:port`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  peers:\n    - b:6222\n    - c:99999\n  data_dir: /d\n" + tgt, `line 6: cluster.peers[1]: "c:99999"`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  advertise: \":6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 4: cluster.advertise: ":6222": want the host:port other nodes reach`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  tls_cert: /etc/hostname\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `cluster.tls_key: required with cluster.tls_cert`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  tls_cert: /etc/hostname\n  tls_key: /etc/hostname\n  tls_ca: /no/such/ca.pem\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 6: cluster.tls_ca: cannot read "/no/such/ca.pem"`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  lost_after: 1s\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 4: cluster.lost_after: must be from 5s to 1h`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  advertise: a\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n" + tgt, `line 4: cluster.advertise: "a"`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  peers: [\"b:6222\", \"b:6222\"]\n  data_dir: /d\n" + tgt, `cluster.peers[1]: duplicate peer "b:6222"`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n" + tgt, `line 1: cluster.data_dir: required`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  peers: [\"b:6222\", \"c:6222\"]\n  data_dir: /d\n  replicas: 2\n" + tgt, `line 6: cluster.replicas: must be 1, 3 or 5, not 2`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  data_dir: /d\n" + tgt, `line 1: cluster.peers: required with replicas 3`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  peers: [\"b:6222\"]\n  data_dir: /d\n" + tgt, `line 4: cluster.peers: replicas 3 needs at least 3 nodes`},
		{"cluster:\n  node: a\n  listen: \":6222\"\n  data_dir: /d\n  replica: 1\n" + tgt, `line 5: unknown key "replica"`},
	} {
		_, err := config.Parse([]byte(tc.doc), clusterEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.doc, err, tc.want)
		}
	}
	// One node needs no peers.
	if _, err := config.Parse([]byte("cluster: {node: a, listen: \"127.0.0.1:6222\", data_dir: /d, replicas: 1}\n"+tgt), clusterEnv); err != nil {
		t.Errorf("a one-node cluster: %v", err)
	}
}
