package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// ManagerInfo is what INFO MGR (INFO MANAGER) reported.
type ManagerInfo struct {
	Status    string `json:"status"`         // StatusRunning, or StatusStopped for "Manager is DOWN!"
	Host      string `json:"host,omitempty"` // as printed, without a "TCP:" prefix
	Port      int    `json:"port,omitempty"`
	ProcessID *int   `json:"process_id"` // nil when not printed (before 12.2) or not running
}

// ParseInfoMgr reads the output of INFO MGR: "Manager is running (IP port
// ogg1.7809)." (no process id before 12.2), "… (IP port TCP:hol.7810,
// Process ID 1935).", and "Manager is DOWN!". The port is what follows the
// last '.' of host.port. When a session holds several answers the last one
// is returned. No answer is a *ParseError; an ERROR line a *Error.
func ParseInfoMgr(r io.Reader) (ManagerInfo, error) {
	rep, err := readReply(r, "info mgr")
	if err != nil {
		return ManagerInfo{}, err
	}
	var (
		m     ManagerInfo
		found bool
	)
	for l := range rep.lines() {
		if l.isErr {
			rep.unclaimed(l.errMsg)
			continue
		}
		rest, ok := cutPrefixFold(l.trim, "Manager is ")
		if !ok {
			continue
		}
		switch {
		case hasPrefixFold(rest, "running"):
			mi, reason := parseManagerRunning(rest[len("running"):])
			if reason != "" {
				return ManagerInfo{}, rep.parseError(l.n, reason)
			}
			m, found = mi, true
		case hasPrefixFold(rest, "down"), hasPrefixFold(rest, "not running"), hasPrefixFold(rest, "stopped"):
			m, found = ManagerInfo{Status: monitor.StatusStopped}, true
		}
	}
	if err := rep.end(found, `no "Manager is …" line`); err != nil {
		return ManagerInfo{}, err
	}
	return m, nil
}

// parseManagerRunning reads " (IP port TCP:hol.7810, Process ID 1935)." .
func parseManagerRunning(s string) (ManagerInfo, string) {
	m := ManagerInfo{Status: monitor.StatusRunning}
	s = strings.TrimSpace(s)
	if s == "" || s == "." {
		return m, ""
	}
	in, ok := strings.CutPrefix(s, "(")
	end := strings.LastIndexByte(in, ')')
	if !ok || end < 0 {
		return m, fmt.Sprintf("bad manager line %q", s)
	}
	for part := range strings.SplitSeq(in[:end], ",") {
		part = strings.TrimSpace(part)
		switch {
		case hasPrefixFold(part, "IP port "):
			hp := strings.TrimSpace(part[len("IP port "):])
			if i := strings.IndexByte(hp, ':'); i >= 0 && i <= 4 && isUpperWord(strings.ToUpper(hp[:i])) {
				hp = hp[i+1:] // "TCP:hol.7810"
			}
			dot := strings.LastIndexByte(hp, '.')
			port, err := strconv.Atoi(hp[dot+1:])
			if dot < 0 || err != nil || port <= 0 || port > 65535 {
				return m, fmt.Sprintf("bad manager port in %q", part)
			}
			m.Host, m.Port = strings.Clone(hp[:dot]), port
		case hasPrefixFold(part, "Process ID "):
			pid, err := strconv.Atoi(strings.TrimSpace(part[len("Process ID "):]))
			if err != nil || pid < 0 {
				return m, fmt.Sprintf("bad manager process id in %q", part)
			}
			m.ProcessID = &pid
		}
	}
	return m, ""
}
