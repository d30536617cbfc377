package ggsci

import (
	"strconv"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// programs are the Program values OGG prints, interned so that rows do
// not keep the whole output alive. ADMINSRV is how some Admin Client builds
// abbreviate ADMINSRVR (the Zabbix script accepts both).
var programs = map[string]string{
	"MANAGER": "MANAGER", "EXTRACT": "EXTRACT", "REPLICAT": "REPLICAT",
	"JAGENT": "JAGENT", "PMSRVR": "PMSRVR", "ADMINSRVR": "ADMINSRVR", "ADMINSRV": "ADMINSRV",
	"DISTSRVR": "DISTSRVR", "RECVSRVR": "RECVSRVR",
}

// groupPrograms are the programs that always have a group, lag and time.
var groupPrograms = map[string]bool{"EXTRACT": true, "REPLICAT": true}

func internProgram(s string) string {
	if p, ok := programs[s]; ok {
		return p
	}
	return name(s)
}

// name is a program or group name as the parsers hand it on: cleaned (see
// monitor.CleanName) and copied, so that it does not keep the whole output
// alive.
func name(s string) string { return strings.Clone(monitor.CleanName(s)) }

// parseStatus maps a status as printed, in any case, to a Status constant.
func parseStatus(s string) (string, bool) {
	for _, st := range [...]string{monitor.StatusRunning, monitor.StatusStopped, monitor.StatusAbended, monitor.StatusStarting, monitor.StatusKilled, monitor.StatusUnknown} {
		if strings.EqualFold(s, st) {
			return st, true
		}
	}
	return "", false
}

// parseLagToken reads a lag or time-since-checkpoint value: h+:mm:ss gives
// seconds; UNKNOWN, Not Available and N/A give nil.
func parseLagToken(s string, pool *int64Pool) (*int64, bool) {
	if s == "" {
		return nil, false
	}
	if strings.EqualFold(s, "UNKNOWN") || strings.EqualFold(s, "Not Available") || strings.EqualFold(s, "N/A") {
		return nil, true
	}
	n, ok := parseDuration(s)
	if !ok {
		return nil, false
	}
	return pool.new(n), true
}

// parseDuration reads GGSCI's h+:mm:ss, whose hours run past 24
// ("653:55:55") and are therefore not a time of day.
func parseDuration(s string) (int64, bool) {
	c := strings.IndexByte(s, ':')
	if c < 1 || c > 9 || len(s) != c+6 || s[c+3] != ':' {
		return 0, false
	}
	h, ok1 := parseDigits(s[:c])
	m, ok2 := parseDigits(s[c+1 : c+3])
	sec, ok3 := parseDigits(s[c+4:])
	if !ok1 || !ok2 || !ok3 || m >= 60 || sec >= 60 {
		return 0, false
	}
	return h*3600 + m*60 + sec, true
}

// parseDigits reads a run of at most 18 ASCII digits (no sign, no blanks).
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// parseGroupedInt reads an integer that may carry thousands separators
// ("1,234") and a final period ("67.").
func parseGroupedInt(s string) (int64, bool) {
	s = strings.TrimSuffix(s, ".")
	if strings.IndexByte(s, ',') >= 0 {
		s = strings.ReplaceAll(s, ",", "")
	}
	return parseDigits(s)
}

// int64Pool hands out *int64 from shared blocks, so that a 250-row table
// costs a few allocations instead of 500.
type int64Pool struct{ block []int64 }

func (p *int64Pool) new(v int64) *int64 {
	if len(p.block) == 0 {
		p.block = make([]int64, 64)
	}
	x := &p.block[0]
	*x = v
	p.block = p.block[1:]
	return x
}

// nextField returns the first blank-separated field of s and what follows it.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	return s[i:j], s[j:]
}

// isUpperWord reports whether s is an upper-case identifier: A-Z first, then
// A-Z, 0-9 or '_'.
func isUpperWord(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if !hasPrefixFold(s, prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// quoteRow quotes a row for an error message, cut to 80 bytes.
func quoteRow(line string) string {
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return strconv.Quote(line)
}
