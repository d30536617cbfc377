package ggsci

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// ParseActivity reads a session's STATS … TOTALSONLY and SEND … STATUS
// replies (either may be missing, in any order) into one monitor.Activity
// per group, for the stalled and discards rules: the totals since the
// counters started, and the read position STATUS printed ("Current read
// position", or a Replicat's first Sequence #/RBA). now is unused; it
// keeps the signature of the other depth parsers.
//
// A GGSCI ERROR line in a STATS reply is an *Error; output with neither
// reply is a *monitor.ParseError.
func ParseActivity(out []byte, now time.Time) ([]monitor.Activity, error) {
	r, err := readText(out, "activity")
	if err != nil {
		return nil, err
	}
	stats, serr := ParseStats(bytes.NewReader(out))
	var ge *Error
	if errors.As(serr, &ge) {
		return nil, serr
	}
	pos, order := readPositions(r)
	if serr != nil && len(order) == 0 {
		return nil, &monitor.ParseError{What: "activity", Reason: "neither a STATS nor a STATUS reply"}
	}
	var acts []monitor.Activity
	index := map[string]int{}
	get := func(program, group string) *monitor.Activity {
		k := program + " " + group
		if i, ok := index[k]; ok {
			return &acts[i]
		}
		acts = append(acts, monitor.Activity{Program: program, Group: group})
		index[k] = len(acts) - 1
		return &acts[len(acts)-1]
	}
	for _, s := range stats {
		a := get(s.Program, s.Group)
		a.Operations, a.Discards, a.Since = statsTotals(s)
	}
	for _, k := range order {
		program, group, _ := strings.Cut(k, " ")
		get(program, group).Position = pos[k]
	}
	return acts, nil
}

// statsTotals sums the "Total" period over the reply's tables: the
// cumulative table when STATS printed one (TOTALSONLY), else every mapping.
func statsTotals(s Stats) (ops, discards *int64, since *time.Time) {
	tables := s.Tables
	for _, t := range s.Tables {
		if t.Source == "*" {
			tables = []TableStats{t}
			break
		}
	}
	var o, d int64
	var haveO, haveD bool
	for _, t := range tables {
		for _, p := range t.Periods {
			if p.Name != "Total" {
				continue
			}
			if since == nil || p.Since != nil && p.Since.Before(*since) {
				since = p.Since
			}
			if v, ok := p.Counts["operations"]; ok {
				o, haveO = o+int64(v), true
			} else {
				for _, c := range []string{"inserts", "updates", "deletes", "upserts"} {
					if v, ok := p.Counts[c]; ok {
						o, haveO = o+int64(v), true
					}
				}
			}
			if v, ok := p.Counts["discards"]; ok {
				d, haveD = d+int64(v), true
			}
		}
	}
	if haveO {
		ops = &o
	}
	if haveD {
		discards = &d
	}
	if s.NoActiveMaps && !haveO {
		zero := int64(0)
		ops = &zero
	}
	return ops, discards, since
}

// readPositions finds each STATUS reply's read position, by "PROGRAM GROUP".
func readPositions(r *reply) (map[string]string, []string) {
	pos := map[string]string{}
	var order []string
	cur, reading := "", false
	var thread, seq, rba string
	flush := func() {
		if cur != "" && (seq != "" || rba != "") {
			p := "seq " + seq + " rba " + rba
			if thread != "" {
				p = "thread " + thread + " " + p
			}
			pos[cur] = p
		}
		cur, reading, thread, seq, rba = "", false, "", "", ""
	}
	for l := range r.lines() {
		if l.prompt {
			flush()
		}
		t := l.trim
		if program, group, ok := parseSendingRequest(t, "STATUS"); ok {
			flush()
			cur, reading = program+" "+group, true
			order = append(order, cur)
			continue
		}
		if cur == "" {
			continue
		}
		label, value, ok := depthField(t)
		switch {
		case strings.EqualFold(t, "Current read position:"):
			reading, thread, seq, rba = true, "", "", ""
		case strings.HasPrefix(t, "Current write position"):
			reading = false
		case !ok || !reading:
		case label == "Redo thread #" && thread == "":
			thread = depthClip(value, 20)
		case label == "Sequence #" && seq == "":
			seq = depthClip(value, 20)
		case label == "RBA" && rba == "":
			rba = depthClip(value, 20)
		}
	}
	flush()
	return pos, order
}
