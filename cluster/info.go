package cluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Info is the cluster as this node sees it, for GET /api/cluster.
type Info struct {
	Node       string // this node
	Epoch      string
	MetaLeader string // JetStream's meta leader; empty: no quorum
	Leader     string // the event stream's leader
	FirstSeq   uint64
	LastSeq    uint64
	Replicas   int
	Peers      []Peer // the stream's replicas, leader included, by name
}

// Peer is one replica of the event log.
type Peer struct {
	Name    string
	Leader  bool
	Current bool          // caught up with the leader
	Offline bool          // the leader does not hear from it
	Lag     uint64        // entries behind the leader
	Active  time.Duration // since the leader last heard from it
}

// Info asks the stream's leader for the log's state and its replicas.
func (n *Node) Info(ctx context.Context) (Info, error) {
	stream, err := n.open()
	if err != nil {
		return Info{}, err
	}
	si, err := stream.Info(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("cluster: stream info: %w", classify(ctx, err))
	}
	info := Info{Node: n.cfg.Node, Epoch: n.Epoch(), MetaLeader: n.MetaLeader(),
		FirstSeq: si.State.FirstSeq, LastSeq: si.State.LastSeq, Replicas: si.Config.Replicas}
	if ci := si.Cluster; ci != nil {
		info.Leader = ci.Leader
		if ci.Leader != "" {
			info.Peers = append(info.Peers, Peer{Name: ci.Leader, Leader: true, Current: true})
		}
		for _, p := range ci.Replicas {
			info.Peers = append(info.Peers, Peer{Name: p.Name, Current: p.Current, Offline: p.Offline, Lag: p.Lag, Active: p.Active})
		}
	} else {
		info.Leader = n.cfg.Node
		info.Peers = []Peer{{Name: n.cfg.Node, Leader: true, Current: true}}
	}
	sort.Slice(info.Peers, func(i, j int) bool { return info.Peers[i].Name < info.Peers[j].Name })
	return info, nil
}

// MetaLeader is the name of JetStream's meta leader as this server knows
// it, without asking the network; empty when there is none (an election
// is going on, or this node is cut off from a quorum).
func (n *Node) MetaLeader() string {
	jsz, err := n.srv.Jsz(&server.JSzOptions{})
	if err != nil || jsz.Meta == nil {
		if !n.srv.JetStreamIsClustered() && n.srv.JetStreamEnabled() {
			return n.cfg.Node // a single server is its own leader
		}
		return ""
	}
	return jsz.Meta.Leader
}

// CheckQuorum tells whether this node reaches a quorum: the meta leader is
// known and the event stream's leader answers within ctx. It returns nil or
// an error wrapping ErrNoQuorum (or ErrNotOpen). Run it every few seconds
// and raise syncmon/cluster on this node's screens while it fails.
func (n *Node) CheckQuorum(ctx context.Context) error {
	stream, err := n.open()
	if err != nil {
		return err
	}
	if peers, need := n.connectedPeers(), n.cfg.Replicas/2; peers < need {
		// Cut off from a majority: known at once, where the Raft groups
		// would notice only after their election timeouts.
		return fmt.Errorf("cluster: %s is connected to %d other node(s), a majority needs %d: %w", n.cfg.Node, peers, need, ErrNoQuorum)
	}
	if n.MetaLeader() == "" {
		return fmt.Errorf("cluster: %s knows no JetStream meta leader: %w", n.cfg.Node, ErrNoQuorum)
	}
	si, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("cluster: %s: stream info: %w", n.cfg.Node, classify(ctx, err))
	}
	if si.Cluster != nil && si.Cluster.Leader == "" {
		return fmt.Errorf("cluster: %s: the event log has no leader: %w", n.cfg.Node, ErrNoQuorum)
	}
	return nil
}

// connectedPeers counts the other nodes this server has a route to.
func (n *Node) connectedPeers() int { return len(n.Routed()) }

// Routed names the other nodes this server has a route to now.
func (n *Node) Routed() map[string]bool {
	names := map[string]bool{}
	rz, err := n.srv.Routez(nil)
	if err != nil {
		return names
	}
	for _, r := range rz.Routes {
		if r.RemoteName != "" && r.RemoteName != n.cfg.Node {
			names[r.RemoteName] = true
		}
	}
	return names
}
