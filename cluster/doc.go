// Package cluster runs SyncMon as several nodes sharing one event log in
// NATS JetStream, embedded (no other daemon). docs/CLUSTER.md is the
// operator's and the integrator's account; this is the short one.
//
// A [Node] is an embedded nats-server (ServerName = node name, routes to
// the peers, JetStream on with SyncAlways: every write is on disk before it
// is acknowledged) and an in-process client. [Start] needs no quorum;
// [Node.Open] then creates or finds, retrying until the meta leader exists:
//
//   - the event log: the stream SYNCMON_EVENTS on the subject
//     syncmon.events, file storage, Replicas copies. An event's seq is its
//     stream sequence, one global sequence for the whole cluster. The
//     epoch ([Node.Epoch]) is the stream's name and creation time: a log
//     made again has a new epoch.
//   - the writer lease: the key "writer" in the KV bucket SYNCMON_LEASE,
//     whose TTL (default 5 s) ends a lease nobody renews (see [Lease]).
//
// [Node.Append] is fenced twice: by the expected last sequence (the append
// fails with [ErrFenced] unless the log ends where the writer thinks) and
// by a message id (an id already in the log returns its original seq, so
// a retry after [ErrNoQuorum] never duplicates). A deposed writer that
// still believes it writes cannot append: its expectation is stale as soon
// as the new writer has appended anything, which is why a new writer
// should append one event (e.g. "writer changed") before anything else.
//
// [Node.Read] is an ordered consumer from a seq: every node applies the log
// in order into its own SQLite and feeds its screens only from what it read
// back, so whatever a screen sees is quorum-durable and every node tells the
// same story. [Node.Info] and [Node.CheckQuorum] serve GET /api/cluster and
// the syncmon/cluster alert a node raises when it cannot reach a quorum.
package cluster
