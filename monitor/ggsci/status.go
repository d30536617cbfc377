package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SendStatus is what SEND EXTRACT|REPLICAT group, STATUS reported.
type SendStatus struct {
	Program   string `json:"program"`
	Group     string `json:"group"`
	ProcessID *int   `json:"process_id"`
	// Status is "Current status" as printed: "Recovery complete: At EOF",
	// "In recovery[1]: Processing data with empty data queue", "At EOF".
	Status     string `json:"status"`
	InRecovery bool   `json:"in_recovery"` // Status starts with "In recovery"
	Error      string `json:"error,omitempty"`
}

// ParseSendStatus reads the output of one or more SEND …, STATUS commands.
// Errors are handled as in ParseLag. The line layout was composed from the
// documented status phrases and is not verified against a live system.
func ParseSendStatus(r io.Reader) ([]SendStatus, error) {
	rep, err := readReply(r, "send status")
	if err != nil {
		return nil, err
	}
	g := newGroupReplies("STATUS", func(program, group string) SendStatus {
		return SendStatus{Program: program, Group: group}
	}, func(s *SendStatus, msg string) { s.Error = msg })
	for l := range rep.lines() {
		if l.trim == "" || g.read(rep, l) || g.current() == nil {
			continue
		}
		s := g.current()
		t := l.trim
		switch {
		case hasPrefixFold(t, "Current status:"):
			s.Status = strings.Clone(strings.TrimSpace(t[len("Current status:"):]))
			s.InRecovery = hasPrefixFold(s.Status, "In recovery")
		case hasPrefixFold(t, s.Program+" "+s.Group+" (PID "):
			// "EXTRACT EXT1 (PID 20112)"
			v := strings.TrimSuffix(t[len(s.Program+" "+s.Group+" (PID "):], ")")
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, rep.parseError(l.n, fmt.Sprintf("bad process id in %q", t))
			}
			s.ProcessID = &pid
		}
	}
	if err := rep.end(len(g.out) > 0, "no STATUS reply (Sending STATUS request to …)"); err != nil {
		return nil, err
	}
	return g.out, nil
}
