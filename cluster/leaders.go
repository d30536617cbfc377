package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// shedLeaders hands the leadership of the lease bucket's and the event
// log's Raft groups to another replica when this server holds it. The
// writer calls it after winning and after each renewal: then a crash of the
// writer's process costs the lease's TTL only, not also a Raft election
// (4 to 9 s in nats-server) of the groups the next writer needs.
func (n *Node) shedLeaders(ctx context.Context) {
	if !n.srv.JetStreamIsClustered() || n.cfg.Replicas < 2 {
		return
	}
	for _, stream := range []string{"KV_" + LeaseBucket, StreamName} {
		if !n.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			continue
		}
		n.mu.Lock()
		recent := time.Since(n.shed[stream]) < 10*time.Second
		n.mu.Unlock()
		if recent || !n.othersCurrent(ctx, stream) {
			// Stepping down with a replica missing or behind would start an
			// election that may hand the leadership straight back: churn.
			continue
		}
		n.mu.Lock()
		n.shed[stream] = time.Now()
		n.mu.Unlock()
		err := n.stepDown(ctx, stream)
		n.log.Debug("cluster: the writer hands over a stream's leadership", "stream", stream, "err", err)
	}
}

// othersCurrent tells whether every other replica of the stream is online
// and caught up.
func (n *Node) othersCurrent(ctx context.Context, stream string) bool {
	s, err := n.js.Stream(ctx, stream)
	if err != nil {
		return false
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil || len(info.Cluster.Replicas) != info.Config.Replicas-1 {
		return false
	}
	for _, p := range info.Cluster.Replicas {
		if !p.Current || p.Offline {
			return false
		}
	}
	return true
}

func (n *Node) stepDown(ctx context.Context, stream string) error {
	msg, err := n.nc.RequestWithContext(ctx, fmt.Sprintf(server.JSApiStreamLeaderStepDownT, stream), nil)
	if err != nil {
		return err
	}
	var resp server.JSApiStreamLeaderStepDownResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("step down %s: %w", stream, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("step down %s: %s", stream, resp.Error.Description)
	}
	return nil
}
