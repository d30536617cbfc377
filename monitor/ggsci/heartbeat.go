package ggsci

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncmon/syncmon/monitor"
)

// Heartbeats runs the target's heartbeat_command with HeartbeatQuery on its
// stdin and parses the GG_LAG rows it prints, bounded like a GGSCI
// session (its own process group, the check's deadline, 4 MiB of output).
func (c *Collector) Heartbeats(ctx context.Context) ([]monitor.Heartbeat, error) {
	argv := c.target.HeartbeatCommand
	s, err := c.run(ctx, argv, HeartbeatQuery)
	if err != nil {
		return nil, fmt.Errorf("heartbeat_command: %w", err)
	}
	hbs, perr := ParseHeartbeatSQL(s.stdout, c.now())
	var sqlErr *HeartbeatSQLError
	switch {
	case perr == nil:
		return hbs, nil
	case errors.As(perr, &sqlErr):
		return nil, fmt.Errorf("heartbeat_command: %w", perr)
	case s.exitErr != nil:
		detail := firstLine(s.stderr)
		if detail != "" {
			detail = " (" + detail + ")"
		}
		return nil, fmt.Errorf("heartbeat_command %s: %w: %w%s", argv[0], monitor.ErrUnreachable, s.exitErr, detail)
	}
	return nil, fmt.Errorf("heartbeat_command: %w", perr)
}
