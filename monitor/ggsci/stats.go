package ggsci

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Stats is one group's answer to GGSCI STATS (not used by the rules yet:
// operation counts are for the operator's eye and future throughput rules).
type Stats struct {
	Program      string       `json:"program"`
	Group        string       `json:"group"`
	NoActiveMaps bool         `json:"no_active_maps"`
	Tables       []TableStats `json:"tables"`
}

// TableStats are the counts of one mapping ("Replicating from A to B"), or of
// all tables together ("Cumulative totals for specified table(s)": Source "*").
type TableStats struct {
	Source  string        `json:"source"`
	Target  string        `json:"target"`
	Periods []StatsPeriod `json:"periods"`
}

// StatsPeriod is one "*** Total statistics since … ***" block.
type StatsPeriod struct {
	Name   string             `json:"name"` // Total, Daily, Hourly, Latest
	Since  *time.Time         `json:"since"`
	Counts map[string]float64 `json:"counts"` // inserts, updates, deletes, upserts, discards, operations …
}

var (
	statsRequest = regexp.MustCompile(`(?i)^Sending STATS request to (EXTRACT|REPLICAT)(?: group)? (\S+) \.\.\.`)
	statsMapping = regexp.MustCompile(`^(?:Replicating|Extracting) from (\S+) to (\S+):$`)
	statsPeriod  = regexp.MustCompile(`^\*\*\* (\w+) statistics since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \*\*\*$`)
	statsCount   = regexp.MustCompile(`^Total (\w[\w ]*?)\s+(-?[\d,]+(?:\.\d+)?)$`)
)

// ParseStats reads GGSCI STATS output: one Stats per "Sending STATS request"
// in the session. Output with no such request is a *ParseError; a GGSCI
// ERROR line is a *Error.
func ParseStats(r io.Reader) ([]Stats, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		out []Stats
		n   int
	)
	cur := func() *Stats { return &out[len(out)-1] }
	table := func() *TableStats {
		s := cur()
		if len(s.Tables) == 0 {
			s.Tables = append(s.Tables, TableStats{Source: "*", Target: "*"})
		}
		return &s.Tables[len(s.Tables)-1]
	}
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if strings.HasPrefix(line, "ERROR:") {
			return nil, &Error{Message: strings.TrimSpace(strings.TrimPrefix(line, "ERROR:"))}
		}
		if m := statsRequest.FindStringSubmatch(line); m != nil {
			out = append(out, Stats{Program: strings.ToUpper(m[1]), Group: strings.ToUpper(m[2]), Tables: []TableStats{}})
			continue
		}
		if len(out) == 0 {
			continue // banner, prompt, the command echo, an earlier command's tail
		}
		switch {
		case strings.EqualFold(line, "No active replication maps."), strings.EqualFold(line, "No active extraction maps."):
			cur().NoActiveMaps = true
		case strings.HasPrefix(line, "Cumulative totals for specified table"):
			cur().Tables = append(cur().Tables, TableStats{Source: "*", Target: "*"})
		default:
			if m := statsMapping.FindStringSubmatch(line); m != nil {
				cur().Tables = append(cur().Tables, TableStats{Source: m[1], Target: m[2]})
			} else if m := statsPeriod.FindStringSubmatch(line); m != nil {
				p := StatsPeriod{Name: m[1], Counts: map[string]float64{}}
				if t, err := time.Parse("2006-01-02 15:04:05", m[2]); err == nil {
					p.Since = &t
				}
				tb := table()
				tb.Periods = append(tb.Periods, p)
			} else if m := statsCount.FindStringSubmatch(line); m != nil {
				tb := table()
				if len(tb.Periods) == 0 {
					tb.Periods = append(tb.Periods, StatsPeriod{Name: "Total", Counts: map[string]float64{}})
				}
				v, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", ""), 64)
				if err != nil {
					return nil, &monitor.ParseError{What: "stats", Line: n, Reason: "unreadable count " + strconv.Quote(m[2])}
				}
				tb.Periods[len(tb.Periods)-1].Counts[strings.ToLower(strings.TrimSpace(m[1]))] = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &monitor.ParseError{What: "stats", Line: n, Reason: err.Error()}
	}
	if len(out) == 0 {
		return nil, &monitor.ParseError{What: "stats", Reason: "no \"Sending STATS request\" line: not STATS output"}
	}
	return out, nil
}
