package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// This file forwards commands to the cluster's writer. On a node that is
// not the writer, Ack, Unack and CreateTestAlert are sent (SetForwarder)
// to the writer, which runs them on its store, so their events go into the
// shared log; the answer comes back with the seq of the log the command
// reached, and this node answers once it has applied that far, so a client
// reads its own writes on any node.

// Command is one forwarded command.
type Command struct {
	Op      string `json:"op"` // "ack", "unack", "test_alert"
	By      Actor  `json:"by"`
	ID      int64  `json:"id,omitempty"`
	Comment string `json:"comment,omitempty"`
	Message string `json:"message,omitempty"`
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
}

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

// SetForwarder makes Ack, Unack and CreateTestAlert go to forward while
// local() is false. Set it before serving.
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
		err = fmt.Errorf("%w: unknown command %q", ErrInvalid, cmd.Op)
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
		}
	}
	return res
}

// forwardCmd sends cmd to the writer and waits until this node has applied
// the log up to the command's seq.
func (s *Store) forwardCmd(ctx context.Context, f *forwarder, cmd Command) (CommandResult, error) {
	res, err := f.forward(ctx, cmd)
	if err != nil {
		return res, fmt.Errorf("%s: forward to the writer: %w", cmd.Op, err)
	}
	switch res.Kind {
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
