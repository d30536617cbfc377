package ggsci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Observe runs one check's session: INFO ALL, then, on the same stdin and
// for each running group, the deeper commands the target wants
// (monitor.Target.Wants): SEND EXTRACT x, SHOWTRANS and INFO EXTRACT x,
// SHOWCH per running Extract; STATS … TOTALSONLY * and SEND … STATUS per
// running Extract and Replicat. Each command waits for its reply up to the
// next prompt, within its own deadline (a quarter of the check's, at least
// 2 s). A command that fails or cannot be read costs only its group (an
// entry in obs.Unread); a session that stops answering ends the check's
// commands there, and the ones not run are Unread too. The deeper
// commands have half the check's timeout: past it the rest of the groups
// are Unread, and the next check begins with them, so that with hundreds
// of groups each is read in turn and a check still ends in time.
//
// Each asked-for field of obs is non-nil (possibly empty); the others stay
// nil. With nothing to ask beyond INFO ALL (collect: [], or every deeper
// rule off) it is Collect.
//
// For an adminclient target the session begins with CONNECT, written on
// stdin; a refused login is an *ErrLoginRefused, matching
// monitor.ErrCredentials. With a heartbeat_command, that command runs
// after the session (Heartbeats); its failure is an Unread of heartbeats.
func (c *Collector) Observe(ctx context.Context, obs *monitor.Observation) error {
	if err := c.observe(ctx, obs); err != nil {
		return err
	}
	if len(c.target.HeartbeatCommand) > 0 {
		hbs, err := c.Heartbeats(ctx)
		if err != nil {
			obs.Unread = append(obs.Unread, monitor.Unread{Source: monitor.SourceHeartbeats, Error: depthClip(err.Error(), 300)})
		} else {
			obs.Heartbeats = hbs
		}
	}
	return nil
}

func (c *Collector) observe(ctx context.Context, obs *monitor.Observation) error {
	t := c.target
	want := map[string]bool{}
	for _, w := range monitor.CollectAll {
		want[w] = t.Wants(w)
	}
	if !want[monitor.CollectShowTrans] && !want[monitor.CollectShowCh] && !want[monitor.CollectStats] && t.Connect == nil {
		procs, err := c.Collect(ctx)
		obs.Processes = procs
		return err
	}
	if len(t.Command) == 0 || t.Command[0] == "" {
		return fmt.Errorf("%s %s: %w: no command configured", t.Kind, t.Name, monitor.ErrUnreachable)
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = monitor.DefaultCheckTimeout
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	per := max(timeout/4, 2*time.Second)
	conv, err := startConversation(ctx, t.Command)
	if err != nil {
		return fmt.Errorf("%s %s: %w: start %s: %w", t.Kind, t.Name, monitor.ErrUnreachable, t.Command[0], err)
	}
	s := &observing{c: c, conv: conv, ctx: ctx, per: per, obs: obs, now: c.now(),
		budget: time.Now().Add(timeout / 2), budgetLen: timeout / 2}
	err = s.run(want)
	overflow, waitErr := conv.finish()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNoPrompt) && obs.Processes == nil && t.Connect == nil && ctx.Err() == nil:
		// No prompt came: a wrapper that buffers GGSCI's output until it
		// exits, say. Fall back to INFO ALL alone, written at once; the
		// deeper commands need the prompts, so they are reported unread.
		procs, cerr := c.Collect(ctx)
		if cerr != nil {
			return cerr
		}
		obs.Processes = procs
		s.unreadAll(want, "GGSCI printed no prompt within "+per.String()+": its output seems buffered; only INFO ALL was run")
		return nil
	case overflow:
		return fmt.Errorf("%s %s: output exceeds %d bytes: %w", t.Kind, t.Name, maxOutput, monitor.ErrUnreadable)
	case errors.Is(err, errEnded) && len(bytes.TrimSpace(s.greeting)) > 0 && t.Connect == nil:
		// It answered and left without a prompt (a wrapper that runs its
		// own INFO ALL, a host printing garbage): judge the answer as
		// Collect would.
		procs, perr := ParseInfoAll(bytes.NewReader(s.greeting))
		switch {
		case perr == nil:
			obs.Processes = procs
			s.unreadAll(want, "GGSCI left before its first prompt; only its INFO ALL could be read")
			return nil
		case waitErr == nil:
			return fmt.Errorf("%s %s: info all: %w", t.Kind, t.Name, perr)
		}
		fallthrough
	case errors.Is(err, errEnded) || errors.Is(err, errNoPrompt):
		detail := string(c.redact([]byte(conv.errText())))
		if detail == "" && waitErr != nil {
			detail = waitErr.Error()
		}
		if detail != "" {
			detail = " (" + detail + ")"
		}
		return fmt.Errorf("%s %s: %w: %w%s", t.Kind, t.Name, monitor.ErrUnreachable, err, detail)
	}
	return err
}

// observing is one Observe call's state.
type observing struct {
	c    *Collector
	conv *conversation
	ctx  context.Context
	per  time.Duration
	obs  *monitor.Observation
	now  time.Time
	dead error // set once the session stopped answering (or the budget ran out)
	// budget is when the deeper commands stop (half the check's timeout
	// after it began), so that a check of hundreds of groups ends in time.
	budget    time.Time
	budgetLen time.Duration
	greeting  []byte // what came before GGSCI ended without a first prompt
}

func (s *observing) run(want map[string]bool) error {
	t := s.c.target
	greeting, _, err := s.conv.ask(s.ctx, "", s.per)
	if err != nil {
		s.greeting = greeting
		return fmt.Errorf("waiting for the first prompt: %w", err)
	}
	if t.Connect != nil {
		if err := s.connect(*t.Connect); err != nil {
			return err
		}
	}
	reply, _, err := s.ask("INFO ALL")
	procs, perr := ParseInfoAll(bytes.NewReader(reply))
	switch {
	case perr == nil:
	case err != nil:
		return fmt.Errorf("info all: %w", err)
	default:
		return fmt.Errorf("%s %s: info all: %w", t.Kind, t.Name, perr)
	}
	s.obs.Processes = procs
	if want[monitor.CollectShowTrans] {
		s.obs.Transactions = []monitor.Transaction{}
	}
	if want[monitor.CollectShowCh] {
		s.obs.Recovery = []monitor.Recovery{}
	}
	if want[monitor.CollectStats] {
		s.obs.Activity = []monitor.Activity{}
	}
	var groups []monitor.Process
	for _, p := range procs {
		if p.Status == monitor.StatusRunning && p.Group != "" && (p.Program == "EXTRACT" || p.Program == "REPLICAT") {
			groups = append(groups, p)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	// Start where the previous check's budget ran out, so that with
	// hundreds of groups every group is read in turn.
	first := int(s.c.next.Load() % int64(len(groups)))
	for i := range groups {
		p := groups[(first+i)%len(groups)]
		if s.dead == nil && time.Now().After(s.budget) {
			s.dead = fmt.Errorf("the check's budget for deeper commands (%s) ran out before this group; the next check starts here", s.budgetLen)
			s.c.next.Store(int64((first + i) % len(groups)))
		}
		if p.Program == "EXTRACT" && want[monitor.CollectShowTrans] {
			s.showTrans(p)
		}
		if p.Program == "EXTRACT" && want[monitor.CollectShowCh] {
			s.showCh(p)
		}
		if want[monitor.CollectStats] {
			s.activity(p)
		}
	}
	return nil
}

// ask sends one command; once the session has stopped answering it sends
// nothing more and returns that error.
func (s *observing) ask(command string) ([]byte, bool, error) {
	if s.dead != nil {
		return nil, false, s.dead
	}
	within := s.per
	if dl, ok := s.ctx.Deadline(); ok {
		within = min(within, time.Until(dl))
	}
	if within <= 0 {
		s.dead = errors.New("check deadline reached before this command")
		return nil, false, s.dead
	}
	reply, cut, err := s.conv.ask(s.ctx, command, within)
	if err != nil {
		s.dead = fmt.Errorf("%s: %w", strings.ToLower(command), err)
	}
	return s.c.redact(reply), cut, err
}

// unread records a group's failed command.
func (s *observing) unread(source string, p monitor.Process, err error) {
	s.obs.Unread = append(s.obs.Unread, monitor.Unread{Source: source, Program: p.Program, Group: p.Group,
		Error: depthClip(string(s.c.redact([]byte(err.Error()))), 300)})
}

// reply asks command and returns its reply, or records why there is none.
func (s *observing) reply(source string, p monitor.Process, command string) ([]byte, bool) {
	out, cut, err := s.ask(command)
	switch {
	case err != nil:
		s.unread(source, p, err)
		return nil, false
	case cut:
		s.unread(source, p, fmt.Errorf("%s: reply larger than %d bytes", strings.ToLower(command), maxReply))
		return nil, false
	}
	return out, true
}

func (s *observing) showTrans(p monitor.Process) {
	out, ok := s.reply(monitor.SourceTransactions, p, "SEND EXTRACT "+p.Group+", SHOWTRANS")
	if !ok {
		return
	}
	replies, err := ParseShowTrans(out, s.now)
	if err != nil {
		s.unread(monitor.SourceTransactions, p, err)
		return
	}
	for _, r := range replies {
		if r.Extract != p.Group {
			continue
		}
		if r.Error != "" {
			s.unread(monitor.SourceTransactions, p, errors.New(r.Error))
			return
		}
		s.obs.Transactions = append(s.obs.Transactions, r.Transactions...)
	}
}

func (s *observing) showCh(p monitor.Process) {
	out, ok := s.reply(monitor.SourceRecovery, p, "INFO EXTRACT "+p.Group+", SHOWCH")
	if !ok {
		return
	}
	replies, err := ParseShowCh(out, s.now)
	if err != nil {
		s.unread(monitor.SourceRecovery, p, err)
		return
	}
	for _, r := range replies {
		if r.Group != p.Group {
			continue
		}
		if r.Error != "" {
			s.unread(monitor.SourceRecovery, p, errors.New(r.Error))
			return
		}
		if o, ok := monitor.OldestRecovery(r.Recovery); ok {
			s.obs.Recovery = append(s.obs.Recovery, o)
		}
	}
}

func (s *observing) activity(p monitor.Process) {
	stats, ok := s.reply(monitor.SourceActivity, p, "STATS "+p.Program+" "+p.Group+", TOTALSONLY *")
	if !ok {
		return
	}
	status, ok := s.reply(monitor.SourceActivity, p, "SEND "+p.Program+" "+p.Group+", STATUS")
	if !ok {
		return
	}
	acts, err := ParseActivity(append(stats, status...), s.now)
	if err != nil {
		s.unread(monitor.SourceActivity, p, err)
		return
	}
	for _, a := range acts {
		if a.Program == p.Program && a.Group == p.Group {
			s.obs.Activity = append(s.obs.Activity, a)
			return
		}
	}
	s.unread(monitor.SourceActivity, p, errors.New("no STATS or STATUS reply for this group"))
}

// redact removes the Admin Client password from what GGSCI printed, should
// it ever echo the CONNECT line.
func (c *Collector) redact(b []byte) []byte {
	if c.target.Connect == nil || c.target.Connect.Password == "" {
		return b
	}
	return bytes.ReplaceAll(b, []byte(c.target.Connect.Password.Reveal()), []byte("[redacted]"))
}

// unreadAll reports every wanted deeper source unread, for all groups.
func (s *observing) unreadAll(want map[string]bool, why string) {
	for _, w := range []struct{ what, source string }{
		{monitor.CollectShowTrans, monitor.SourceTransactions},
		{monitor.CollectShowCh, monitor.SourceRecovery},
		{monitor.CollectStats, monitor.SourceActivity},
	} {
		if want[w.what] {
			s.obs.Unread = append(s.obs.Unread, monitor.Unread{Source: w.source, Error: why})
		}
	}
}
