package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// shedLeaders hands the leadership of the lease bucket's, the event log's
// and the notification cursors' Raft groups to another replica when this
// server holds it. The
// writer calls it after winning and after each renewal: then a crash of the
// writer's process costs the lease's TTL only, not also a Raft election
// (4 to 9 s in nats-server) of the groups the next writer needs.
func (n *Node) shedLeaders(ctx context.Context) {
	if !n.srv.JetStreamIsClustered() || n.cfg.Replicas < 2 {
		return
	}
	for _, stream := range []string{"KV_" + LeaseBucket, StreamName, "KV_" + CursorBucket} {
		if !n.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			continue
		}
		n.mu.Lock()
		recent := time.Since(n.shed[stream]) < 10*time.Second
		n.mu.Unlock()
		if recent {
			continue
		}
		to, ok := n.currentReplica(ctx, stream)
		if !ok {
			// No other replica is online and caught up: stepping down would
			// start an election that may hand the leadership straight back.
			continue
		}
		n.mu.Lock()
		n.shed[stream] = time.Now()
		n.mu.Unlock()
		err := n.stepDown(ctx, stream, to)
		n.log.Debug("cluster: the writer hands over a stream's leadership", "stream", stream, "to", to, "err", err)
	}
}

// currentReplica names another replica of the stream that is online and
// caught up. One is enough: the leadership goes to it by name, so a
// replica that is still catching up (a node restarted a moment ago) does
// not keep the writer leading, which would make a crash of the writer
// then cost a Raft election on top of the lease's TTL.
func (n *Node) currentReplica(ctx context.Context, stream string) (string, bool) {
	s, err := n.js.Stream(ctx, stream)
	if err != nil {
		return "", false
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		return "", false
	}
	for _, p := range info.Cluster.Replicas {
		if p.Current && !p.Offline && p.Name != "" {
			return p.Name, true
		}
	}
	return "", false
}

// stepDown asks the stream's leader (this server) to hand its leadership
// to the replica named to.
func (n *Node) stepDown(ctx context.Context, stream, to string) error {
	req, err := json.Marshal(server.JSApiLeaderStepdownRequest{Placement: &server.Placement{Preferred: to}})
	if err != nil {
		return fmt.Errorf("step down %s: %w", stream, err)
	}
	msg, err := n.nc.RequestWithContext(ctx, fmt.Sprintf(server.JSApiStreamLeaderStepDownT, stream), req)
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
