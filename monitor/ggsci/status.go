package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/syncmon/syncmon/monitor"
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
	const what = "send status"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return nil, err
	}
	var (
		out  []SendStatus
		cur  = -1
		gerr *Error
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, prompt := ggsciStripPrompt(raw)
		if prompt {
			cur = -1
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if msg, ok := ggsciErrorText(t); ok {
			switch prog, group, named := ggsciGroupError(msg); {
			case cur >= 0:
				out[cur].Error = strings.Clone(msg)
			case named:
				out = append(out, SendStatus{Program: prog, Group: group, Error: strings.Clone(msg)})
			case gerr == nil:
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		if prog, group, ok := ggsciParseSendingRequest(t, "STATUS"); ok {
			out = append(out, SendStatus{Program: prog, Group: group})
			cur = len(out) - 1
			continue
		}
		if cur < 0 {
			continue
		}
		s := &out[cur]
		switch {
		case ggsciHasPrefixFold(t, "Current status:"):
			s.Status = strings.Clone(strings.TrimSpace(t[len("Current status:"):]))
			s.InRecovery = ggsciHasPrefixFold(s.Status, "In recovery")
		case ggsciHasPrefixFold(t, s.Program+" "+s.Group+" (PID "):
			// "EXTRACT EXT1 (PID 20112)"
			v := strings.TrimSuffix(t[len(s.Program+" "+s.Group+" (PID "):], ")")
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: fmt.Sprintf("bad process id in %q", t)}
			}
			s.ProcessID = &pid
		}
	}
	switch {
	case gerr != nil:
		return nil, gerr
	case len(out) == 0 && strings.TrimSpace(data) == "":
		return nil, &monitor.ParseError{What: what, Reason: "empty output"}
	case len(out) == 0:
		return nil, &monitor.ParseError{What: what, Reason: "no STATUS reply (Sending STATUS request to …)"}
	}
	return out, nil
}
