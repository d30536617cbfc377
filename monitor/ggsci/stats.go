package ggsci

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
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
	statsMapping = regexp.MustCompile(`^(?:Replicating|Extracting) from (\S+) to (\S+):$`)
	statsPeriod  = regexp.MustCompile(`^\*\*\* (\w+) statistics since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \*\*\*$`)
	statsCount   = regexp.MustCompile(`^Total (\w[\w ]*?)\s+(-?[\d,]+(?:\.\d+)?)$`)
)

// ParseStats reads GGSCI STATS output: one Stats per "Sending STATS request"
// in the session. Output with no such request is a *ParseError; a GGSCI
// ERROR line is a *Error.
func ParseStats(r io.Reader) ([]Stats, error) {
	rep, err := readReply(r, "stats")
	if err != nil {
		return nil, err
	}
	g := newGroupReplies("STATS", func(program, group string) Stats {
		return Stats{Program: program, Group: strings.ToUpper(group), Tables: []TableStats{}}
	}, nil)
	cur := g.current
	table := func() *TableStats {
		s := cur()
		if len(s.Tables) == 0 {
			s.Tables = append(s.Tables, TableStats{Source: "*", Target: "*"})
		}
		return &s.Tables[len(s.Tables)-1]
	}
	for l := range rep.lines() {
		line := l.trim
		if g.read(rep, l) || cur() == nil {
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
					return nil, rep.parseError(l.n, "unreadable count "+strconv.Quote(m[2]))
				}
				tb.Periods[len(tb.Periods)-1].Counts[strings.ToLower(strings.TrimSpace(m[1]))] = v
			}
		}
	}
	if err := rep.end(len(g.out) > 0, `no "Sending STATS request" line: not STATS output`); err != nil {
		return nil, err
	}
	return g.out, nil
}
