package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// This file forwards the writes of accounts, sessions, kiosk tokens and
// silences (cluster mode) like forward.go forwards acks. The asking node
// draws every secret itself (a session's token, a kiosk token's secret)
// and hashes passwords, and the command carries only what the tables keep:
// SHA-256 of tokens and bcrypt hashes. The writer runs the write on its
// store, which puts the changed rows into the log (state.go); the asking
// node answers its client once it has applied them, so a session made
// through any node works on every node.

// Forwarded state operations.
const (
	OpStartSession       = "start_session"
	OpEndSession         = "end_session"
	OpEndUserSessions    = "end_user_sessions"
	OpCreateUser         = "create_user"
	OpSetPassword        = "set_password"
	OpRemoveUser         = "remove_user"
	OpCreateKioskToken   = "create_kiosk_token"
	OpRevokeKioskToken   = "revoke_kiosk_token"
	OpExchangeKioskToken = "exchange_kiosk_token"
	OpCreateSilence      = "create_silence"
	OpExpireSilence      = "expire_silence"
)

// executeState runs a forwarded state command on this (the writer's) store.
func (s *Store) executeState(ctx context.Context, cmd Command, res *CommandResult) error {
	if err := cmd.checkHashes(); err != nil {
		return err
	}
	var err error
	switch cmd.Op {
	case OpStartSession:
		if cmd.Life == nil {
			return fmt.Errorf("%w: no lifetime", ErrInvalid)
		}
		var u User
		if u, err = userByName(ctx, s.db, cmd.Name); err == nil && u.ID != cmd.ID {
			err = fmt.Errorf("user %s is another account now: %w", cmd.Name, ErrNotFound)
		}
		if err == nil {
			var sess Session
			sess, err = s.startSession(ctx, u, cmd.Session, *cmd.Life, cmd.Address, cmd.Replace)
			res.Session = &sess
		}
	case OpEndSession:
		var sess Session
		sess, err = s.endSession(ctx, cmd.Hash)
		res.Session = &sess
	case OpEndUserSessions:
		var u User
		u, res.Count, err = s.endUserSessions(ctx, cmd.By, cmd.Name)
		res.setUser(u)
	case OpCreateUser:
		if err = CheckUserName(cmd.Name); err == nil {
			err = checkRole(cmd.Role)
		}
		if err == nil {
			var u User
			u, err = s.createUser(ctx, cmd.By, cmd.Name, cmd.Role, cmd.Hash)
			res.setUser(u)
		}
	case OpSetPassword:
		err = s.setPassword(ctx, cmd.By, cmd.Name, cmd.Hash)
	case OpRemoveUser:
		var u User
		u, err = s.removeUser(ctx, cmd.By, cmd.Name)
		res.setUser(u)
	case OpCreateKioskToken:
		if err = CheckKioskName(cmd.Name); err == nil {
			var t KioskToken
			t, err = s.createKioskToken(ctx, cmd.By, cmd.Name, cmd.Hash)
			res.Token = &t
		}
	case OpRevokeKioskToken:
		var t KioskToken
		t, err = s.revokeKioskToken(ctx, cmd.By, cmd.ID)
		res.Token = &t
	case OpExchangeKioskToken:
		if cmd.Life == nil {
			return fmt.Errorf("%w: no lifetime", ErrInvalid)
		}
		var sess Session
		sess, err = s.exchangeKioskToken(ctx, cmd.Hash, cmd.Session, *cmd.Life, cmd.Address, cmd.Replace)
		res.Session = &sess
	case OpCreateSilence:
		if cmd.Silence == nil {
			return fmt.Errorf("%w: no silence", ErrInvalid)
		}
		in := normalSilence(cmd.By, *cmd.Silence)
		if err = CheckSilence(in); err == nil {
			in, err = s.createSilence(ctx, cmd.By, in)
			res.Silence = &in
		}
	case OpExpireSilence:
		err = s.expireSilence(ctx, cmd.By, cmd.ID)
	default:
		return fmt.Errorf("%w: unknown command %q", ErrInvalid, cmd.Op)
	}
	res.Seq = s.Head()
	return err
}

// checkHashes refuses a command whose hashes are not hashes: a session's
// and a token's are hex SHA-256, a password's is bcrypt.
func (cmd Command) checkHashes() error {
	for _, h := range []string{cmd.Session, cmd.Replace} {
		if h != "" && !isSHA256Hex(h) {
			return fmt.Errorf("%w: not a token hash", ErrInvalid)
		}
	}
	switch cmd.Op {
	case OpStartSession, OpExchangeKioskToken:
		if !isSHA256Hex(cmd.Session) {
			return fmt.Errorf("%w: no session hash", ErrInvalid)
		}
	}
	switch cmd.Op {
	case OpEndSession, OpCreateKioskToken, OpExchangeKioskToken:
		if !isSHA256Hex(cmd.Hash) {
			return fmt.Errorf("%w: not a token hash", ErrInvalid)
		}
	case OpCreateUser, OpSetPassword:
		if _, err := bcrypt.Cost([]byte(cmd.Hash)); err != nil {
			return fmt.Errorf("%w: not a password hash", ErrInvalid)
		}
	}
	return nil
}

func isSHA256Hex(h string) bool {
	return len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

func (res *CommandResult) setUser(u User) {
	res.User, res.UserVersion = &u, u.Version
}

// session, user and token read the writer's answer.
func (res CommandResult) session() (Session, error) {
	if res.Session == nil {
		return Session{}, errors.New("the writer's answer has no session")
	}
	return *res.Session, nil
}

func (res CommandResult) user() (User, error) {
	if res.User == nil {
		return User{}, errors.New("the writer's answer has no user")
	}
	u := *res.User
	u.Version = res.UserVersion
	return u, nil
}

func (res CommandResult) token() (KioskToken, error) {
	if res.Token == nil {
		return KioskToken{}, errors.New("the writer's answer has no kiosk token")
	}
	return *res.Token, nil
}
