package ggsci

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// INFO EXTRACT x, SHOWCH (ogg-depth.md §5). After the INFO header, one
// "Read Checkpoint #n" per input (one per redo thread with RAC), each with
// Startup, Recovery and Current checkpoints:
//
//	Recovery Checkpoint (position of oldest unprocessed transaction in the data source):
//	  Thread #: 1
//	  Sequence #: 42
//	  RBA: 2504208
//	  Timestamp: 2015-01-28 05:33:32.000000
//	  SCN: 0.1750256 (1750256)
//	  Redo File: /opt/oracle/oradata/gavinprod/redo03.log
//
// The "BR Previous/Begin/End Recovery Checkpoint" blocks of Bounded
// Recovery are not the recovery checkpoint and are skipped. Indentation
// may be lost (copies of the documentation), and the header line may come
// unindented; neither matters.

// ShowCh is one group's reply to INFO …, SHOWCH.
type ShowCh struct {
	Program string `json:"program"` // EXTRACT (REPLICAT has no recovery checkpoint)
	Group   string `json:"group"`
	// Status is the header's status (RUNNING, STOPPED, ABENDED …); "" when
	// the header was not seen.
	Status string `json:"status"`
	// Recovery holds one recovery checkpoint per read checkpoint (per RAC
	// thread), in output order; empty for a group that has none (a pump,
	// a Replicat). monitor.OldestRecovery picks the one that matters.
	Recovery []monitor.Recovery `json:"recovery"`
	// Error is why this group's reply could not be read: an ERROR GGSCI
	// printed for it, or a recovery checkpoint without a readable
	// timestamp. Other groups are unaffected.
	Error string `json:"error,omitempty"`
}

var showchHeader = regexp.MustCompile(`(?i)^(EXTRACT|REPLICAT)\s+(\S+)\s+(?:Last Started|Initialized)\b.*?(?:\bStatus\s+(\S+))?$`)

// ParseShowCh reads a session's output holding one or more INFO …, SHOWCH
// replies. Timestamps carry no zone: they are read in now's location, so
// pass now in the OGG host's zone; AgeSeconds is now − Timestamp, never
// negative. Output with no INFO header and no group error is a
// *monitor.ParseError.
func ParseShowCh(out []byte, now time.Time) ([]ShowCh, error) {
	const what = "showch"
	r, err := readText(out, what)
	if err != nil {
		return nil, err
	}
	var (
		replies  []ShowCh
		cur      = -1
		rec      *monitor.Recovery // the recovery block being read
		recLine  int
		hasTime  bool
		loneErrs []string
	)
	reply := func(program, group string) int {
		for i := range replies {
			if replies[i].Group == group && replies[i].Program == program {
				return i
			}
		}
		replies = append(replies, ShowCh{Program: program, Group: group, Recovery: []monitor.Recovery{}})
		return len(replies) - 1
	}
	fail := func(i int, msg string) {
		if replies[i].Error == "" {
			replies[i].Error = msg
		}
	}
	closeRec := func() {
		if rec == nil || cur < 0 {
			rec = nil
			return
		}
		if !hasTime {
			fail(cur, fmt.Sprintf("line %d: recovery checkpoint without a readable timestamp", recLine))
		} else {
			replies[cur].Recovery = append(replies[cur].Recovery, *rec)
		}
		rec = nil
	}
	for l := range r.lines() {
		t := l.trim
		if l.prompt {
			closeRec()
			cur = -1
		}
		if l.isErr {
			msg := depthClip(l.errMsg, 500)
			closeRec()
			if p, g, ok := depthGroupNamed(msg); ok {
				fail(reply(p, g), msg)
			} else if cur >= 0 {
				fail(cur, msg)
			} else {
				loneErrs = append(loneErrs, msg)
			}
			continue
		}
		if m := showchHeader.FindStringSubmatch(t); m != nil {
			closeRec()
			cur = reply(strings.ToUpper(m[1]), strings.ToUpper(depthClip(m[2], 64)))
			replies[cur].Status = strings.ToUpper(depthClip(m[3], 20))
			continue
		}
		if cur < 0 {
			continue
		}
		if strings.HasPrefix(t, "Recovery Checkpoint") {
			closeRec()
			rec = &monitor.Recovery{Process: replies[cur].Group}
			recLine, hasTime = l.n, false
			continue
		}
		if rec == nil {
			continue
		}
		label, value, ok := depthField(t)
		switch {
		case !ok:
			closeRec()
		case label == "Thread #":
			if v, ok := depthInt(value); ok && v < 1<<16 {
				rec.Thread = int(v)
			}
		case label == "Sequence #":
			if v, ok := depthInt(value); ok {
				rec.Sequence = &v
			}
		case label == "Timestamp":
			ts, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", value, now.Location())
			if err == nil {
				rec.CheckpointAt, rec.AgeSeconds, hasTime = ts, depthAge(now, ts), true
			}
		case label == "RBA", label == "SCN", label == "Redo File":
		default:
			closeRec() // the next block's header ("Current Checkpoint (…):", "Header:")
		}
	}
	closeRec()
	if len(replies) == 0 {
		reason := "no INFO header (\"EXTRACT x Last Started … Status …\"): not SHOWCH output"
		if len(loneErrs) > 0 {
			reason = "GGSCI reported: " + strings.Join(loneErrs, "; ")
		}
		return nil, &monitor.ParseError{What: what, Reason: reason}
	}
	return replies, nil
}
