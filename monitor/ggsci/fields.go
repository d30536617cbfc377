package ggsci

import (
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// ggsciPrograms are the Program values OGG prints, interned so that rows do
// not keep the whole output alive. ADMINSRV is how some Admin Client builds
// abbreviate ADMINSRVR (the Zabbix script accepts both).
var ggsciPrograms = map[string]string{
	"MANAGER": "MANAGER", "EXTRACT": "EXTRACT", "REPLICAT": "REPLICAT",
	"JAGENT": "JAGENT", "PMSRVR": "PMSRVR", "ADMINSRVR": "ADMINSRVR", "ADMINSRV": "ADMINSRV",
	"DISTSRVR": "DISTSRVR", "RECVSRVR": "RECVSRVR",
}

// ggsciGroupPrograms are the programs that always have a group, lag and time.
var ggsciGroupPrograms = map[string]bool{"EXTRACT": true, "REPLICAT": true}

func ggsciInternProgram(s string) string {
	if p, ok := ggsciPrograms[s]; ok {
		return p
	}
	return strings.Clone(s)
}

// ggsciStatus maps a status as printed, in any case, to a Status constant.
func ggsciStatus(s string) (string, bool) {
	for _, st := range [...]string{monitor.StatusRunning, monitor.StatusStopped, monitor.StatusAbended, monitor.StatusStarting, monitor.StatusKilled, monitor.StatusUnknown} {
		if strings.EqualFold(s, st) {
			return st, true
		}
	}
	return "", false
}

// ggsciParseLagToken reads a lag or time-since-checkpoint value: h+:mm:ss gives
// seconds; UNKNOWN, Not Available and N/A give nil.
func ggsciParseLagToken(s string, pool *ggsciInt64Pool) (*int64, bool) {
	if s == "" {
		return nil, false
	}
	if strings.EqualFold(s, "UNKNOWN") || strings.EqualFold(s, "Not Available") || strings.EqualFold(s, "N/A") {
		return nil, true
	}
	n, ok := ggsciParseDuration(s)
	if !ok {
		return nil, false
	}
	return pool.new(n), true
}

// ggsciParseDuration reads GGSCI's h+:mm:ss, whose hours run past 24
// ("653:55:55") and are therefore not a time of day.
func ggsciParseDuration(s string) (int64, bool) {
	c := strings.IndexByte(s, ':')
	if c < 1 || c > 9 || len(s) != c+6 || s[c+3] != ':' {
		return 0, false
	}
	h, ok1 := ggsciParseDigits(s[:c])
	m, ok2 := ggsciParseDigits(s[c+1 : c+3])
	sec, ok3 := ggsciParseDigits(s[c+4:])
	if !ok1 || !ok2 || !ok3 || m >= 60 || sec >= 60 {
		return 0, false
	}
	return h*3600 + m*60 + sec, true
}

// ggsciParseDigits reads a run of at most 18 ASCII digits (no sign, no blanks).
func ggsciParseDigits(s string) (int64, bool) {
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

// ggsciParseGroupedInt reads an integer that may carry thousands separators
// ("1,234") and a final period ("67.").
func ggsciParseGroupedInt(s string) (int64, bool) {
	s = strings.TrimSuffix(s, ".")
	if strings.IndexByte(s, ',') >= 0 {
		s = strings.ReplaceAll(s, ",", "")
	}
	return ggsciParseDigits(s)
}

// ggsciInt64Pool hands out *int64 from shared blocks, so that a 250-row table
// costs a few allocations instead of 500.
type ggsciInt64Pool struct{ block []int64 }

func (p *ggsciInt64Pool) new(v int64) *int64 {
	if len(p.block) == 0 {
		p.block = make([]int64, 64)
	}
	x := &p.block[0]
	*x = v
	p.block = p.block[1:]
	return x
}
