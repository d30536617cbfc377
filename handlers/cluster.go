package handlers

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// This file is the cluster's view for operators: GET /api/cluster, the
// syncmon_cluster_* metrics and the cluster section of /screens. Without a
// cluster the same shape describes one node, itself the writer, over its
// SQLite log.

// ClusterNode is one node as GET /api/cluster shows it.
type ClusterNode struct {
	Name       string `json:"name"`
	Reachable  bool   `json:"reachable"`
	AppliedSeq int64  `json:"applied_seq"`
	Writer     bool   `json:"writer"`
}

// ClusterStream is the event log's extent.
type ClusterStream struct {
	FirstSeq int64 `json:"first_seq"`
	LastSeq  int64 `json:"last_seq"`
	Replicas int   `json:"replicas"`
}

// ClusterStatus is GET /api/cluster's answer.
type ClusterStatus struct {
	Node   string        `json:"node"`
	Writer string        `json:"writer"`
	Epoch  string        `json:"epoch"`
	Nodes  []ClusterNode `json:"nodes"`
	Stream ClusterStream `json:"stream"`
	// Quorum is false while this node cannot reach a quorum (cluster only).
	Quorum bool `json:"quorum"`
}

// clusterStatus asks the cluster (Options.Cluster) or, without one,
// describes this single node from its store.
func (s *Server) clusterStatus(ctx context.Context) (ClusterStatus, error) {
	if s.opt.Cluster != nil {
		return s.opt.Cluster(ctx)
	}
	first, err := s.store.FirstSeq(ctx)
	if err != nil {
		return ClusterStatus{}, fmt.Errorf("cluster status: %w", err)
	}
	head := s.store.Head()
	if first == 0 {
		first = head + 1 // an empty log: nothing retained, next is head+1
	}
	name := s.opt.NodeName
	if name == "" {
		name, _ = os.Hostname()
	}
	return ClusterStatus{
		Node: name, Writer: name, Epoch: s.store.Epoch(), Quorum: true,
		Nodes:  []ClusterNode{{Name: name, Reachable: true, AppliedSeq: head, Writer: true}},
		Stream: ClusterStream{FirstSeq: first, LastSeq: head, Replicas: 1},
	}, nil
}

func (s *Server) apiCluster(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	st, err := s.clusterStatus(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// clusterCollector exports syncmon_cluster_*.
type clusterCollector struct {
	s                                        *Server
	writer, applied, last, reachable, quorum *prometheus.Desc
}

func newClusterCollector(s *Server) *clusterCollector {
	return &clusterCollector{s: s,
		writer:    prometheus.NewDesc("syncmon_cluster_writer", "1 when this node holds the writer lease.", nil, nil),
		applied:   prometheus.NewDesc("syncmon_cluster_applied_seq", "The newest seq each node has applied into its read model.", []string{"node"}, nil),
		last:      prometheus.NewDesc("syncmon_cluster_stream_last_seq", "The event log's last seq.", nil, nil),
		reachable: prometheus.NewDesc("syncmon_cluster_nodes_reachable", "Nodes this node can reach, itself included.", nil, nil),
		quorum:    prometheus.NewDesc("syncmon_cluster_quorum", "1 when this node reaches a quorum.", nil, nil),
	}
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.writer, c.applied, c.last, c.reachable, c.quorum} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.s.clusterStatus(ctx)
	if err != nil {
		return
	}
	reachable := 0
	for _, n := range st.Nodes {
		if n.Reachable {
			reachable++
		}
		ch <- prometheus.MustNewConstMetric(c.applied, prometheus.GaugeValue, float64(n.AppliedSeq), n.Name)
	}
	ch <- prometheus.MustNewConstMetric(c.writer, prometheus.GaugeValue, b2f(st.Writer == st.Node))
	ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(st.Stream.LastSeq))
	ch <- prometheus.MustNewConstMetric(c.reachable, prometheus.GaugeValue, float64(reachable))
	ch <- prometheus.MustNewConstMetric(c.quorum, prometheus.GaugeValue, b2f(st.Quorum))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The cluster section's words, kept beside the section.
func init() {
	for k, v := range map[string][2]string{
		"cluster":        {"Cluster", "클러스터"},
		"node":           {"Node", "노드"},
		"writer":         {"Writer", "기록 노드"},
		"epoch":          {"Epoch", "로그 식별자"},
		"applied_seq":    {"Applied seq", "적용한 순번"},
		"reachable":      {"Reachable", "연결됨"},
		"unreachable":    {"unreachable", "연결 안 됨"},
		"stream":         {"Event log", "이벤트 로그"},
		"replicas":       {"Replicas", "복제본"},
		"no_quorum":      {"no quorum", "정족수 없음"},
		"cluster_failed": {"cluster status unavailable", "클러스터 상태를 알 수 없음"},
	} {
		if _, ok := catalog[k]; !ok {
			catalog[k] = v
		}
	}
}
