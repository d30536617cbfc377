package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// This file forwards commands to the cluster's writer. On a node that is
// not the writer, Ack, Unack and CreateTestAlert, and the writes of
// accounts, sessions, kiosk tokens and silences (forward_state.go) are sent (SetForwarder)
// to the writer, which runs them on its store, so their events go into the
// shared log; the answer comes back with the seq of the log the command
// reached, and this node answers once it has applied that far, so a client
// reads its own writes on any node.

// Command is one forwarded command. It never carries a secret a client
// holds: the asking node sends hashes (forward_state.go).
type Command struct {
	Op      string `json:"op"` // "ack", "unack", "test_alert", and the Op… of forward_state.go
	By      Actor  `json:"by"`
	ID      int64  `json:"id,omitempty"`
	Comment string `json:"comment,omitempty"`
	Message string `json:"message,omitempty"`

	Name    string           `json:"name,omitempty"`    // user or kiosk name
	Role    string           `json:"role,omitempty"`    // a new user's role
	Hash    string           `json:"hash,omitempty"`    // a password's bcrypt hash, or a token's SHA-256
	Replace string           `json:"replace,omitempty"` // SHA-256 of the session token to end
	Session string           `json:"session,omitempty"` // SHA-256 of a new session's token
	Life    *Lifetime        `json:"life,omitempty"`
	Address string           `json:"address,omitempty"`
	Silence *monitor.Silence `json:"silence,omitempty"`
}

// CommandResult is the writer's answer.
type CommandResult struct {
	Alert monitor.Alert `json:"alert"`
	Seq   int64         `json:"seq"` // the command's event, or the log's head after it
	// Err is the refusal, Kind its class: not_found, conflict, invalid, or
	// empty for any other failure.
	Err      string   `json:"error,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Problems []string `json:"problems,omitempty"`

	Session     *Session         `json:"session,omitempty"`
	User        *User            `json:"user,omitempty"`
	UserVersion int64            `json:"user_version,omitempty"`
	Token       *KioskToken      `json:"token,omitempty"`
	Silence     *monitor.Silence `json:"silence,omitempty"`
	Count       int              `json:"count,omitempty"`
}

// ErrUnavailable: the cluster cannot take a command now (no writer
// answered, or the writer could not append to the log). Handlers answer
// 503.
var ErrUnavailable = errors.New("the cluster's writer cannot be reached")

// Forwarding operations.
const (
	OpAck       = "ack"
	OpUnack     = "unack"
	OpTestAlert = "test_alert"
)

type forwarder struct {
	local   func() bool // true: this node runs commands itself
	forward func(context.Context, Command) (CommandResult, error)
}

// SetForwarder makes commands (Ack, Unack, CreateTestAlert and the writes
// of forward_state.go) go to forward while local() is false. Set it before serving.
func (s *Store) SetForwarder(local func() bool, forward func(context.Context, Command) (CommandResult, error)) {
	s.fwd.Store(&forwarder{local: local, forward: forward})
}

func (s *Store) forwarding() *forwarder {
	f := s.fwd.Load()
	if f == nil || f.local() {
		return nil
	}
	return f
}

// Execute runs a forwarded command on this (the writer's) store.
func (s *Store) Execute(ctx context.Context, cmd Command) CommandResult {
	var (
		res CommandResult
		err error
	)
	switch cmd.Op {
	case OpAck:
		res.Alert, err = s.Ack(ctx, cmd.By, cmd.ID, cmd.Comment)
		res.Seq = s.Head()
	case OpUnack:
		res.Alert, err = s.Unack(ctx, cmd.By, cmd.ID)
		res.Seq = s.Head()
	case OpTestAlert:
		res.Alert, res.Seq, err = s.CreateTestAlert(ctx, cmd.By, cmd.Message)
	default:
		err = s.executeState(ctx, cmd, &res)
	}
	if err != nil {
		res.Err = err.Error()
		var inv *InvalidError
		switch {
		case errors.As(err, &inv):
			res.Kind, res.Problems = "invalid", inv.Problems
		case errors.Is(err, ErrNotFound):
			res.Kind = "not_found"
		case errors.Is(err, ErrConflict):
			res.Kind = "conflict"
		case errors.Is(err, ErrInvalid):
			res.Kind = "invalid"
		case errors.Is(err, ErrUnavailable):
			res.Kind = "unavailable"
		}
	}
	return res
}

// forwardCmd sends cmd to the writer and waits until this node has applied
// the log up to the command's seq.
func (s *Store) forwardCmd(ctx context.Context, f *forwarder, cmd Command) (CommandResult, error) {
	res, err := f.forward(ctx, cmd)
	if err != nil {
		return res, fmt.Errorf("%s: forward to the writer: %w: %w", cmd.Op, ErrUnavailable, err)
	}
	switch res.Kind {
	case "unavailable":
		return res, fmt.Errorf("%s on the writer: %w", cmd.Op, ErrUnavailable)
	case "not_found":
		return res, fmt.Errorf("%s: %w", cmd.Op, ErrNotFound)
	case "conflict":
		return res, fmt.Errorf("%s: %w", cmd.Op, ErrConflict)
	case "invalid":
		return res, &InvalidError{Problems: res.Problems}
	}
	if res.Err != "" {
		return res, fmt.Errorf("%s on the writer: %s", cmd.Op, res.Err)
	}
	if err := s.waitApplied(ctx, res.Seq); err != nil {
		return res, fmt.Errorf("%s: %w", cmd.Op, err)
	}
	return res, nil
}

// waitApplied waits (at most 10 s) until Head() reaches seq.
func (s *Store) waitApplied(ctx context.Context, seq int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for s.Head() < seq {
		select {
		case <-ctx.Done():
			return fmt.Errorf("seq %d not applied on this node (at %d): %w", seq, s.Head(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
