package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors an append can end with; test them with errors.Is.
var (
	// ErrFenced: the log's last sequence was not the one the writer
	// expected, so nothing was appended. A writer that sees it has been
	// deposed or has fallen behind: it must stop, re-read the log and win
	// the lease again before appending.
	ErrFenced = errors.New("cluster: fenced: the log's last sequence is not the expected one")
	// ErrNoQuorum: the log (or the lease) did not answer in time, or has no
	// leader: this node cannot reach a quorum. An append that ends so may
	// or may not be in the log; retry it with the same message id and
	// payload, which returns its sequence if it was.
	ErrNoQuorum = errors.New("cluster: no quorum: the cluster did not answer in time")
)

// Entry is one event read back from the log.
type Entry struct {
	Seq   uint64    // the stream sequence: the event's global seq
	MsgID string    // the message id it was appended with
	Time  time.Time // when the stream stored it
	Data  []byte
}

func (n *Node) open() (jetstream.Stream, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stream == nil {
		return nil, ErrNotOpen
	}
	return n.stream, nil
}

// Epoch names this incarnation of the log: the stream's name and creation
// time. A log deleted and created again has a new epoch, so clients holding
// seqs of the old one get reset. Empty before Open.
func (n *Node) Epoch() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.epoch
}

func epochOf(info *jetstream.StreamInfo) string {
	return StreamName + "." + strconv.FormatInt(info.Created.UnixNano(), 10)
}

// idDigestSep separates an entry's message id from its payload's digest
// in the id JetStream de-duplicates on.
const idDigestSep = "#"

// appendAttempt bounds one try of an append (Append tries again until its
// context ends).
const appendAttempt = 2 * time.Second

// Append appends payload to the log if, and only if, the log's last
// sequence is expectLastSeq (0 for an empty log), and returns its seq.
// msgID makes it idempotent: appending again the same payload under the
// same id (within the de-duplication window) returns the seq it landed
// at, so a retry after ErrNoQuorum never duplicates. Another payload
// under an id already in the log is not a retry: it is fenced like any
// append whose expectation is stale.
//
// The id JetStream de-duplicates on is msgID and a digest of the payload:
// JetStream answers a known id before it checks the expected last
// sequence, so an id alone would let a deposed writer that reuses an id
// (the same epoch and seq) take the other writer's entry for its own.
func (n *Node) Append(ctx context.Context, msgID string, payload []byte, expectLastSeq uint64) (uint64, error) {
	if _, err := n.open(); err != nil {
		return 0, err
	}
	if msgID == "" {
		return 0, errors.New("cluster: append needs a message id")
	}
	sum := sha256.Sum256(payload)
	dedupID := msgID + idDigestSep + hex.EncodeToString(sum[:8])
	// While the stream has no leader (an election, or the writer handing
	// the leadership over) an append finds no one to answer: try again
	// until ctx ends. The message id makes a retry harmless: one that did
	// land comes back with its seq.
	// Each attempt has its own bound: a publish that reaches a leader in
	// the middle of handing over is dropped, and its ack would otherwise be
	// waited for until ctx ends.
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, appendAttempt)
		ack, err := n.js.Publish(actx, Subject, payload,
			jetstream.WithMsgID(dedupID), jetstream.WithExpectLastSequence(expectLastSeq), jetstream.WithExpectStream(StreamName))
		cancel()
		if err == nil && ack.Duplicate && ack.Sequence != expectLastSeq+1 {
			// The same payload already landed, elsewhere than after
			// expectLastSeq: this writer's view of the log is stale.
			return 0, fmt.Errorf("append %s after %d: already in the log at %d: %w", msgID, expectLastSeq, ack.Sequence, ErrFenced)
		}
		if err == nil {
			return ack.Sequence, nil
		}
		err = fmt.Errorf("append %s after %d: %w", msgID, expectLastSeq, classify(ctx, err))
		if !errors.Is(err, ErrNoQuorum) {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// classify maps a JetStream error to ErrFenced or ErrNoQuorum (joined with
// the original), or returns it as it is.
func classify(ctx context.Context, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence,
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			return errors.Join(ErrFenced, err)
		case apiErr.Code == 503, apiErr.Code == 408:
			return errors.Join(ErrNoQuorum, err)
		}
	}
	if ctx.Err() == context.Canceled {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrStreamNotFound) {
		return errors.Join(ErrNoQuorum, err)
	}
	return err
}

// Reader delivers the log in order from a sequence. It is one goroutine's:
// call Next from one goroutine, then Close.
type Reader struct {
	node *Node
	cons jetstream.Consumer
	it   jetstream.MessagesContext
	next uint64 // the seq Next expects
}

// readerStall is how long Next waits for a message before it asks whether
// the log has one for it: an ordered consumer created while the stream's
// leader changes has been seen to stay silent (CI, 3 nodes, right after a
// clean stop of the writer), and is then opened again from where it was.
const readerStall = 3 * time.Second

// Read opens a reader from fromSeq (1 for the whole log). It is an ordered
// consumer: when the stream's leader changes it is recreated from where it
// stopped, so it neither skips nor repeats.
func (n *Node) Read(ctx context.Context, fromSeq uint64) (*Reader, error) {
	if _, err := n.open(); err != nil {
		return nil, err
	}
	if fromSeq == 0 {
		fromSeq = 1
	}
	cons, err := n.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: fromSeq,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: read the log from %d: %w", fromSeq, classify(ctx, err))
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("cluster: read the log from %d: %w", fromSeq, err)
	}
	return &Reader{node: n, cons: cons, it: it, next: fromSeq}, nil
}

// reopen replaces a silent consumer with a new one from r.next.
func (r *Reader) reopen(ctx context.Context) error {
	fresh, err := r.node.Read(ctx, r.next)
	if err != nil {
		return err
	}
	r.it.Stop()
	r.cons, r.it = fresh.cons, fresh.it
	return nil
}

// Next blocks until the next entry or until ctx ends. Entries come in
// sequence order; a gap (the log's start pruned past fromSeq) is reported
// through Entry.Seq being greater than the one expected.
func (r *Reader) Next(ctx context.Context) (Entry, error) {
	for {
		wait, cancel := context.WithTimeout(ctx, readerStall)
		msg, err := r.it.Next(jetstream.NextContext(wait))
		cancel()
		if err == nil {
			return r.entry(msg)
		}
		if ctx.Err() != nil {
			return Entry{}, ctx.Err()
		}
		if wait.Err() == nil {
			return Entry{}, fmt.Errorf("cluster: read the log at %d: %w", r.next, err)
		}
		// Silent for readerStall: reopen only if the log has what we wait for.
		if last, lerr := r.node.LastSeq(ctx); lerr == nil && last >= r.next {
			if err := r.reopen(ctx); err != nil && ctx.Err() == nil {
				continue // try again at the next stall
			}
		}
	}
}

func (r *Reader) entry(msg jetstream.Msg) (Entry, error) {
	md, err := msg.Metadata()
	if err != nil {
		return Entry{}, fmt.Errorf("cluster: read the log at %d: %w", r.next, err)
	}
	r.next = md.Sequence.Stream + 1
	id, _, _ := strings.Cut(msg.Headers().Get(jetstream.MsgIDHeader), idDigestSep)
	return Entry{Seq: md.Sequence.Stream, MsgID: id, Time: md.Timestamp, Data: msg.Data()}, nil
}

// Close stops the reader.
func (r *Reader) Close() { r.it.Stop() }

// LastSeq is the log's last sequence, asked of the stream's leader.
func (n *Node) LastSeq(ctx context.Context) (uint64, error) {
	stream, err := n.open()
	if err != nil {
		return 0, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("cluster: last seq: %w", classify(ctx, err))
	}
	return info.State.LastSeq, nil
}
