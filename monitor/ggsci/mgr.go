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
	const what = "info mgr"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return ManagerInfo{}, err
	}
	var (
		m     ManagerInfo
		found bool
		gerr  *Error
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, _ := ggsciStripPrompt(raw)
		t := strings.TrimSpace(line)
		if msg, ok := ggsciErrorText(t); ok {
			if gerr == nil {
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		rest, ok := ggsciCutPrefixFold(t, "Manager is ")
		if !ok {
			continue
		}
		switch {
		case ggsciHasPrefixFold(rest, "running"):
			mi, reason := ggsciParseManagerRunning(rest[len("running"):])
			if reason != "" {
				return ManagerInfo{}, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
			}
			m, found = mi, true
		case ggsciHasPrefixFold(rest, "down"), ggsciHasPrefixFold(rest, "not running"), ggsciHasPrefixFold(rest, "stopped"):
			m, found = ManagerInfo{Status: monitor.StatusStopped}, true
		}
	}
	switch {
	case gerr != nil:
		return ManagerInfo{}, gerr
	case !found && strings.TrimSpace(data) == "":
		return ManagerInfo{}, &monitor.ParseError{What: what, Reason: "empty output"}
	case !found:
		return ManagerInfo{}, &monitor.ParseError{What: what, Reason: `no "Manager is …" line`}
	}
	return m, nil
}

// ggsciParseManagerRunning reads " (IP port TCP:hol.7810, Process ID 1935)." .
func ggsciParseManagerRunning(s string) (ManagerInfo, string) {
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
		case ggsciHasPrefixFold(part, "IP port "):
			hp := strings.TrimSpace(part[len("IP port "):])
			if i := strings.IndexByte(hp, ':'); i >= 0 && i <= 4 && ggsciIsUpperWord(strings.ToUpper(hp[:i])) {
				hp = hp[i+1:] // "TCP:hol.7810"
			}
			dot := strings.LastIndexByte(hp, '.')
			port, err := strconv.Atoi(hp[dot+1:])
			if dot < 0 || err != nil || port <= 0 || port > 65535 {
				return m, fmt.Sprintf("bad manager port in %q", part)
			}
			m.Host, m.Port = strings.Clone(hp[:dot]), port
		case ggsciHasPrefixFold(part, "Process ID "):
			pid, err := strconv.Atoi(strings.TrimSpace(part[len("Process ID "):]))
			if err != nil || pid < 0 {
				return m, fmt.Sprintf("bad manager process id in %q", part)
			}
			m.ProcessID = &pid
		}
	}
	return m, ""
}
