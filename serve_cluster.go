package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/syncmon/syncmon/cluster"
	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// This file runs a node of a cluster (config `cluster:`): the embedded
// NATS node, the writer lease (only its holder runs the scheduler: checks,
// ggserr followers, engine), the quorum watch that raises syncmon/cluster
// on this node's screens, and the cluster's status for GET /api/cluster.
// Without `cluster:` none of it runs (serve.go).

// Cluster timings.
const (
	quorumEvery    = 3 * time.Second // how often the quorum is checked
	quorumTimeout  = 2 * time.Second // one check's bound
	quorumGrace    = 10 * time.Second
	appliedEvery   = 2 * time.Second // how often a node tells its applied seq
	appliedTimeout = 3 * appliedEvery
	appliedSubject = "syncmon.applied."
)

// clusterRun is one node's part in the cluster.
type clusterRun struct {
	node     *cluster.Node
	st       *store.Store
	log      *slog.Logger
	newSched func() (*monitor.Scheduler, error)
	targets  []monitor.Target // whose engine memory a new writer rebuilds
	wake     func()           // the notifier's Wake; set before run
	// firstAdmin makes the first admin, through the log, when there is no
	// account yet: run by each writer as its tenure begins. Nil: none
	// (the admin was made on every node from SYNCMON_ADMIN_PASSWORD).
	firstAdmin func(context.Context) error

	open       atomic.Bool
	quorum     atomic.Bool
	appending  atomic.Bool   // this node is the writer and caught up: it may append
	sending    atomic.Bool   // this node is the writer and has taken over: it notifies
	fenced     chan struct{} // an append was fenced: another node has written
	markedTerm uint64        // the tenure whose writer.changed this node appended (run's goroutine only)
	tenure     uint64        // counts takeovers and step-downs (under mu)

	mu      sync.Mutex
	lease   *cluster.Lease
	sched   *monitor.Scheduler // running while this node holds the lease
	heard   map[string]appliedNote
	cursors *cluster.Cursors // the notification channels' progress (serve_cluster_notify.go)
	lost    lostNodes        // the other nodes this writer does not hear from (serve_cluster_self.go)
}

// appliedNote is what a node last told of its read model.
type appliedNote struct {
	Node    string `json:"node"`
	Applied int64  `json:"applied_seq"`
	at      time.Time
}

// startCluster starts this node's NATS server; run does the rest.
func startCluster(ctx context.Context, c *config.Cluster, st *store.Store, log *slog.Logger, newSched func() (*monitor.Scheduler, error), targets []monitor.Target) (*clusterRun, error) {
	var routeTLS *tls.Config
	if c.TLSCert != "" {
		var err error
		if routeTLS, err = cluster.RouteTLS(c.TLSCert, c.TLSKey, c.TLSCA); err != nil {
			return nil, err
		}
	}
	node, err := cluster.Start(ctx, cluster.Config{Node: c.Node, Listen: c.Listen, Advertise: c.Advertise, Peers: c.Peers, DataDir: c.DataDir,
		Replicas: c.Replicas, Secret: c.Secret.Reveal(), TLS: routeTLS, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("start cluster node %s: %w", c.Node, err)
	}
	r := &clusterRun{node: node, st: st, log: log.With("node", c.Node), newSched: newSched, targets: targets,
		heard: map[string]appliedNote{}, fenced: make(chan struct{}, 1),
		lost: lostNodes{after: cmp.Or(c.LostAfter, config.DefaultLostAfter), since: map[string]time.Time{}}}
	st.SetCommitHook(r.appendEvents)
	st.SetForwarder(r.appending.Load, r.forward)
	return r, nil
}

// clusterCSRFKey is the CSRF key every node of a cluster derives from the
// cluster secret, so a form loaded from one node passes on another.
func clusterCSRFKey(secret monitor.Secret) []byte {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte("syncmon/csrf/v1"))
	return m.Sum(nil)
}

// cmdSubject carries commands from any node to the writer.
const cmdSubject = "syncmon.cmd"

// forward sends a command to the writer and returns its answer.
func (r *clusterRun) forward(ctx context.Context, cmd store.Command) (store.CommandResult, error) {
	var res store.CommandResult
	b, err := json.Marshal(cmd)
	if err != nil {
		return res, fmt.Errorf("encode command: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg, err := r.node.Conn().RequestWithContext(ctx, cmdSubject, b)
	if err != nil {
		return res, fmt.Errorf("no writer answered: %w", err)
	}
	if err := json.Unmarshal(msg.Data, &res); err != nil {
		return res, fmt.Errorf("decode the writer's answer: %w", err)
	}
	return res, nil
}

// serveCommands answers commands while this node is the writer; the other
// nodes hear them too and stay silent.
func (r *clusterRun) serveCommands(ctx context.Context) {
	sub, err := r.node.Conn().Subscribe(cmdSubject, func(m *nats.Msg) {
		if !r.appending.Load() {
			return
		}
		go func() {
			var cmd store.Command
			res := store.CommandResult{Err: "bad command"}
			if json.Unmarshal(m.Data, &cmd) == nil {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				res = r.st.Execute(cctx, cmd)
				cancel()
			}
			b, _ := json.Marshal(res)
			_ = m.Respond(b)
		}()
	})
	if err != nil {
		r.log.Error("cluster: serve commands", "err", err)
		return
	}
	<-ctx.Done()
	_ = sub.Unsubscribe()
}

// errNotWriter refuses a local write on a node that is not the writer
// (answered 503, like a command no writer answered).
var errNotWriter = fmt.Errorf("this node is not the cluster's writer: %w", store.ErrUnavailable)

// appendEvents is the store's commit hook: each event goes to the shared
// log, fenced (the log must end just before its seq) and with an id made
// of the log's epoch and the seq, so that a retry cannot append it twice.
func (r *clusterRun) appendEvents(ctx context.Context, events []store.Event) error {
	if !r.appending.Load() {
		return errNotWriter
	}
	epoch := r.node.Epoch()
	for _, e := range events {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := r.node.Append(actx, epoch+"/"+strconv.FormatInt(e.Seq, 10), e.LogJSON(), uint64(e.Seq-1))
		cancel()
		if errors.Is(err, cluster.ErrFenced) {
			r.sending.Store(false)
			r.appending.Store(false)
			r.log.Error("cluster: fenced: another writer has appended; this node stops writing", "seq", e.Seq)
			select {
			case r.fenced <- struct{}{}: // run stops the checks, then decides again
			default:
			}
		}
		if err != nil {
			return fmt.Errorf("append seq %d: %w: %w", e.Seq, store.ErrUnavailable, err)
		}
	}
	return nil
}

// readLog applies the shared log, in order, into this node's SQLite, from
// what it has applied; the store hands each applied event to its screens.
func (r *clusterRun) readLog(ctx context.Context) {
	for ctx.Err() == nil {
		rd, err := r.node.Read(ctx, uint64(r.st.Head())+1)
		if err == nil {
			for {
				e, err := rd.Next(ctx)
				if err != nil {
					if ctx.Err() == nil {
						r.log.Warn("cluster: read the log", "err", err)
					}
					break
				}
				if err := r.st.ApplyEvent(ctx, int64(e.Seq), e.Data); err != nil {
					if ctx.Err() == nil {
						r.log.Error("cluster: apply the log", "seq", e.Seq, "err", err)
					}
					break
				}
			}
			rd.Close()
		} else if ctx.Err() == nil {
			r.log.Warn("cluster: open a reader of the log", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// catchUp waits until this node has applied the log up to its end, so that
// its next seq is the log's; false if the lease or ctx ends first.
func (r *clusterRun) catchUp(ctx context.Context, lease *cluster.Lease) bool {
	for ctx.Err() == nil && lease.IsWriter() {
		qctx, cancel := context.WithTimeout(ctx, quorumTimeout)
		last, err := r.node.LastSeq(qctx)
		cancel()
		if err == nil && r.st.Head() >= int64(last) {
			return true
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false
}

// run opens the log and the lease, then follows the lease until ctx ends:
// the scheduler runs exactly while this node is the writer. The quorum
// watch and the applied-seq notes run beside it.
func (r *clusterRun) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); r.serveCommands(ctx) }()
	go func() { defer wg.Done(); r.watchQuorum(ctx) }()
	go func() { defer wg.Done(); r.shareApplied(ctx) }()
	defer wg.Wait()

	if err := r.node.Open(ctx); err != nil {
		if ctx.Err() == nil {
			r.log.Error("cluster: open the event log", "err", err)
		}
		return
	}
	if err := r.st.AdoptEpoch(ctx, r.node.Epoch()); err != nil {
		r.log.Error("cluster: this database cannot be this cluster's read model: start the node with an empty database", "err", err)
		return
	}
	cursors, err := r.node.Cursors()
	if err != nil {
		r.log.Error("cluster: notification cursors", "err", err)
		return
	}
	r.mu.Lock()
	r.cursors = cursors
	r.mu.Unlock()
	r.open.Store(true)
	wg.Add(2)
	go func() { defer wg.Done(); r.readLog(ctx) }()
	go func() { defer wg.Done(); r.watchCursors(ctx, cursors) }()
	lease, err := r.node.NewLease()
	if err != nil {
		r.log.Error("cluster: writer lease", "err", err)
		return
	}
	r.mu.Lock()
	r.lease = lease
	r.mu.Unlock()
	defer func() {
		r.stepDown()
		lease.Close()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.Changes():
		case <-r.fenced:
			r.stepDown() // then, if it still holds the lease, catch up and take over again
		}
		if !lease.IsWriter() {
			r.stepDown()
		} else if !r.appending.Load() || !r.Writing() {
			r.takeOver(ctx, lease)
		}
	}
}

// takeOver makes this node the writer, once it holds the lease: it applies
// the log to its end, appends writer.changed (from then on a deposed
// writer's appends are fenced), rebuilds the engine's memory from its read
// model (so open alerts stay the same alerts), and only then starts the
// checks; the notifications start once it has read the notification
// cursors (startSending). Tried again every 0.5 s while it holds the lease
// and something fails.
func (r *clusterRun) takeOver(ctx context.Context, lease *cluster.Lease) {
	for ctx.Err() == nil && lease.IsWriter() {
		select {
		case <-r.fenced: // an earlier attempt's: this one catches up anyway
		default:
		}
		if !r.catchUp(ctx, lease) {
			return
		}
		r.appending.Store(true)
		err := r.beginTenure(ctx, lease.Term())
		if err == nil {
			r.startScheduler()
			// The checks do not wait for the notification cursors: their
			// bucket may be electing a leader (the dead writer's) for a few
			// seconds more. Notifications start once they are read.
			r.mu.Lock()
			r.tenure++
			gen := r.tenure
			r.mu.Unlock()
			go r.startSending(ctx, lease, gen)
			return
		}
		r.appending.Store(false)
		r.log.Warn("cluster: take over as the writer; trying again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// beginTenure records the writer change and prepares the engine and the
// notifier of this tenure.
func (r *clusterRun) beginTenure(ctx context.Context, term uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// A retried takeover of the same tenure (its marker appended, a later
	// step failed) appends no second marker.
	var seq int64
	if r.markedTerm != term {
		var err error
		if seq, err = r.st.RecordWriterChange(ctx, r.node.Name(), term); err != nil {
			return err
		}
		r.markedTerm = term
	}
	if err := r.st.RebuildMemory(ctx, r.targets); err != nil {
		return err
	}
	if r.firstAdmin != nil {
		if err := r.firstAdmin(ctx); err != nil {
			return err
		}
	}
	r.log.Info("cluster: writer changed", "seq", seq, "term", term)
	return nil
}

// startSending reads the notification cursors afresh (every 0.5 s until
// it can) and then lets this tenure's notifier send, unless the tenure
// (gen) has ended meanwhile.
func (r *clusterRun) startSending(ctx context.Context, lease *cluster.Lease, gen uint64) {
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := r.notifyCursors().Refresh(rctx)
		cancel()
		r.mu.Lock()
		current := r.tenure == gen && lease.IsWriter()
		if err == nil && current {
			r.sending.Store(true)
		}
		r.mu.Unlock()
		if !current || ctx.Err() != nil {
			return
		}
		if err == nil {
			if r.wake != nil {
				r.wake() // the notifier goes on from the cursors just read
			}
			return
		}
		r.log.Warn("cluster: read the notification cursors; notifications wait", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// stepDown stops what only the writer does: notifying, appending, checks.
func (r *clusterRun) stepDown() {
	r.mu.Lock()
	r.tenure++ // a startSending of the ended tenure lets nothing send
	r.sending.Store(false)
	r.mu.Unlock()
	r.appending.Store(false)
	r.stopScheduler()
}

func (r *clusterRun) startScheduler() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sched != nil {
		return
	}
	sched, err := r.newSched()
	if err != nil {
		r.log.Error("cluster: scheduler for this tenure", "err", err)
		return
	}
	r.log.Info("cluster: this node is the writer: checks start", "term", r.lease.Term())
	sched.Start()
	r.sched = sched
}

func (r *clusterRun) stopScheduler() {
	r.mu.Lock()
	sched := r.sched
	r.sched = nil
	r.mu.Unlock()
	if sched == nil {
		return
	}
	r.log.Info("cluster: this node is no longer the writer: checks stop")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sched.Stop(ctx); err != nil {
		r.log.Warn("cluster: stop scheduler", "err", err)
	}
}

// Writing reports whether this node runs the checks now.
func (r *clusterRun) Writing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sched != nil && r.sched.Running()
}

// watchQuorum checks the quorum every few seconds; when this node has had
// none for quorumGrace (a normal start or election takes less), it tells
// its own screens syncmon/cluster (Store.Announce: outside the log), and
// that it is resolved once back.
func (r *clusterRun) watchQuorum(ctx context.Context) {
	lastOK := time.Now()
	raised := false
	t := time.NewTicker(quorumEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, quorumTimeout)
		err := r.node.CheckQuorum(qctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			lastOK = time.Now()
			if !r.quorum.Swap(true) {
				r.log.Info("cluster: quorum reached")
				if raised {
					raised = false
					r.st.Announce(r.quorumAlert(monitor.StateResolved))
				}
			}
			continue
		}
		r.quorum.Store(false)
		if time.Since(lastOK) < quorumGrace {
			continue
		}
		if !raised {
			r.log.Error("cluster: no quorum", "err", err)
		}
		raised = true
		// Not in the log (it cannot be appended): told to this node's
		// screens, again at every check so that new screens get it too.
		r.st.Announce(r.quorumAlert(monitor.StateOpen))
	}
}

// quorumAlert is syncmon/cluster as this node's screens are told it.
func (r *clusterRun) quorumAlert(state string) store.Event {
	now := time.Now().UTC()
	a := monitor.Alert{ID: -1, Target: store.TargetSelf, Program: store.ProgramSelf, Group: "cluster", Rule: store.RuleSelf,
		Severity: monitor.SeverityCritical, State: state, OpenedAt: now, UpdatedAt: now,
		Message: fmt.Sprintf("SyncMon node %s cannot reach a quorum of its cluster: it shows only what it had", r.node.Name()),
		Speech: monitor.Speech{
			En: "SyncMon cluster: this node has lost its quorum.",
			Ko: "싱크몬 클러스터: 이 노드가 정족수를 잃었습니다.",
		}}
	typ := monitor.AlertOpened
	if state == monitor.StateResolved {
		a.ResolvedAt, typ = &now, monitor.AlertResolved
	}
	return store.Event{Type: typ, At: now, Alert: &a}
}

// shareApplied publishes this node's applied seq every appliedEvery on
// syncmon.applied.<node>, and keeps what the others publish.
func (r *clusterRun) shareApplied(ctx context.Context) {
	nc := r.node.Conn()
	sub, err := nc.Subscribe(appliedSubject+"*", func(m *nats.Msg) {
		var n appliedNote
		if json.Unmarshal(m.Data, &n) != nil || n.Node == "" {
			return
		}
		n.at = time.Now()
		r.mu.Lock()
		r.heard[n.Node] = n
		r.mu.Unlock()
	})
	if err != nil {
		r.log.Warn("cluster: subscribe to applied seqs", "err", err)
	} else {
		defer sub.Unsubscribe()
	}
	t := time.NewTicker(appliedEvery)
	defer t.Stop()
	for {
		b, _ := json.Marshal(appliedNote{Node: r.node.Name(), Applied: r.st.Head()})
		_ = nc.Publish(appliedSubject+r.node.Name(), b)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status is GET /api/cluster's answer on this node.
func (r *clusterRun) Status(ctx context.Context) (handlers.ClusterStatus, error) {
	self := r.node.Name()
	st := handlers.ClusterStatus{Node: self, Quorum: r.quorum.Load(), Epoch: r.node.Epoch()}
	r.mu.Lock()
	if r.lease != nil {
		st.Writer = r.lease.Writer()
	}
	heard := make(map[string]appliedNote, len(r.heard))
	for k, v := range r.heard {
		heard[k] = v
	}
	r.mu.Unlock()
	names := map[string]bool{self: true}
	for k := range heard {
		names[k] = true
	}
	if r.open.Load() {
		info, err := r.node.Info(ctx)
		if err == nil {
			st.Stream = handlers.ClusterStream{FirstSeq: int64(info.FirstSeq), LastSeq: int64(info.LastSeq), Replicas: info.Replicas}
			for _, p := range info.Peers {
				names[p.Name] = true
			}
		} else if !errors.Is(err, cluster.ErrNoQuorum) {
			r.log.Debug("cluster: info", "err", err)
		}
	}
	for name := range names {
		n := handlers.ClusterNode{Name: name, Writer: name == st.Writer}
		if name == self {
			n.Reachable, n.AppliedSeq = true, r.st.Head()
		} else if h, ok := heard[name]; ok {
			n.Reachable, n.AppliedSeq = time.Since(h.at) < appliedTimeout, h.Applied
		}
		st.Nodes = append(st.Nodes, n)
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return strings.Compare(st.Nodes[i].Name, st.Nodes[j].Name) < 0 })
	return st, nil
}

// Ready: the node serves once its log is open (writer or not).
func (r *clusterRun) Ready(context.Context) error {
	if !r.open.Load() {
		return errors.New("cluster: the event log is not open yet")
	}
	return nil
}

// Close stops the NATS node (run must have returned).
func (r *clusterRun) Close() { r.node.Close() }
