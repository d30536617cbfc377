package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// ProcessDetail is what INFO EXTRACT or INFO REPLICAT [, DETAIL | TASKS]
// reported for one group. Times are the OGG host's wall clock as printed;
// GGSCI prints no zone, so they carry UTC and must not be compared with
// SyncMon's clock.
type ProcessDetail struct {
	Program string `json:"program"` // EXTRACT or REPLICAT
	Group   string `json:"group"`
	Status  string `json:"status"` // a Status constant
	// LastStarted is "Last Started"; nil for a group that was never started.
	LastStarted *time.Time `json:"last_started"`
	// Initialized is when a never-started group was added ("Initialized").
	Initialized *time.Time `json:"initialized,omitempty"`
	Integrated  bool       `json:"integrated,omitempty"` // the bare INTEGRATED line of an integrated replicat
	// LagSeconds is "Checkpoint Lag"; nil for "Not Available" or UNKNOWN.
	LagSeconds *int64 `json:"lag_seconds"`
	// CheckpointAgeSeconds is the "(updated h:mm:ss ago)" after the lag.
	CheckpointAgeSeconds *int64             `json:"checkpoint_age_seconds"`
	ProcessID            *int               `json:"process_id"` // nil when not running
	LogRead              *LogReadCheckpoint `json:"log_read_checkpoint,omitempty"`
	Task                 string             `json:"task,omitempty"` // SOURCEISTABLE, SPECIALRUN … for tasks
	Trails               []ExtractTrail     `json:"trails,omitempty"`
	Files                *DetailFiles       `json:"files,omitempty"`
}

// LogReadCheckpoint is a "Log Read Checkpoint": where the group reads from and how
// far it got. Fields that the output does not print are left empty.
type LogReadCheckpoint struct {
	// Source is the first line as printed: "Oracle Integrated Redo Logs",
	// "Oracle Redo Logs", "File /u01/ogg/dirdat/oe000000",
	// "Table ORCL.TC.DIRECT_LOAD" or "Not Available".
	Source      string     `json:"source"`
	At          *time.Time `json:"at,omitempty"` // timestamp of the checkpoint, host wall clock
	Seqno       *int64     `json:"seqno,omitempty"`
	RBA         *int64     `json:"rba,omitempty"`
	Record      *int64     `json:"record,omitempty"`
	FirstRecord bool       `json:"first_record,omitempty"` // "First Record  RBA 0": nothing read yet
	SCN         string     `json:"scn,omitempty"`          // as printed: "0.1380378 (1380378)"
}

// ExtractTrail is one row of the "Target Extract Trails" table of INFO EXTRACT, DETAIL.
type ExtractTrail struct {
	Name  string `json:"name"`
	Seqno int64  `json:"seqno"`
	RBA   int64  `json:"rba"`
	MaxMB int64  `json:"max_mb"`
	Type  string `json:"type,omitempty"` // EXTTRAIL, RMTTRAIL …
}

// DetailFiles are the file locations INFO …, DETAIL lists. A value GGSCI
// printed without text ("Process file" alone) is empty.
type DetailFiles struct {
	CurrentDirectory string `json:"current_directory,omitempty"`
	ReportFile       string `json:"report_file,omitempty"`
	ParameterFile    string `json:"parameter_file,omitempty"`
	CheckpointFile   string `json:"checkpoint_file,omitempty"`
	ProcessFile      string `json:"process_file,omitempty"`
	ErrorLog         string `json:"error_log,omitempty"`
}

// ParseInfoDetail reads the output of INFO EXTRACT / INFO REPLICAT [, DETAIL]
// for one group. When the output holds several replies for that group (the
// same command run twice), the last one is returned; replies for different
// groups are a *ParseError (use ParseInfoDetails).
func ParseInfoDetail(r io.Reader) (ProcessDetail, error) {
	ds, err := ParseInfoDetails(r)
	if err != nil {
		return ProcessDetail{}, err
	}
	last := ds[len(ds)-1]
	for _, d := range ds {
		if d.Program != last.Program || d.Group != last.Group {
			return ProcessDetail{}, &monitor.ParseError{What: "info detail", Reason: fmt.Sprintf("output describes several groups (%s %s, %s %s …)", d.Program, d.Group, last.Program, last.Group)}
		}
	}
	return last, nil
}

// ParseInfoDetails reads the output of one or more INFO EXTRACT / INFO
// REPLICAT commands (also with wildcards, DETAIL or TASKS) and returns one
// ProcessDetail per reply, in output order. Lines it does not know are
// skipped; a known line with a bad value is a *ParseError, and so is output
// without a single "EXTRACT|REPLICAT group … Status X" line. An ERROR line is
// a *Error.
func ParseInfoDetails(r io.Reader) ([]ProcessDetail, error) {
	rep, err := readReply(r, "info detail")
	if err != nil {
		return nil, err
	}
	const (
		modeNone = iota
		modeLogRead
		modeTrails
	)
	var (
		out  []ProcessDetail
		cur  = -1
		mode = modeNone
	)
	for l := range rep.lines() {
		if l.prompt {
			cur, mode = -1, modeNone
		}
		line, t := l.text, l.trim
		if t == "" {
			continue
		}
		if l.isErr {
			rep.unclaimed(l.errMsg)
			continue
		}
		if d, ok, reason := parseDetailHeader(t); ok || reason != "" {
			if reason != "" {
				return nil, rep.parseError(l.n, reason)
			}
			out = append(out, d)
			cur, mode = len(out)-1, modeNone
			continue
		}
		if cur < 0 {
			continue
		}
		d := &out[cur]
		if line[0] == ' ' { // continuation or indented section
			switch {
			case strings.EqualFold(t, "Target Extract Trails:"):
				mode = modeTrails
			case mode == modeLogRead:
				readCheckpointLine(d.LogRead, t)
			case mode == modeTrails:
				if tr, ok := parseTrailRow(t); ok {
					d.Trails = append(d.Trails, tr)
				} else if !hasPrefixFold(t, "Trail Name") {
					mode = modeNone
				}
			}
			continue
		}
		mode = modeNone
		label, value := splitDetailLabel(t)
		var reason string
		switch label {
		case "INTEGRATED":
			d.Integrated = true
		case "Checkpoint Lag":
			var ok bool
			if d.LagSeconds, d.CheckpointAgeSeconds, ok = parseCheckpointLag(value); !ok {
				reason = fmt.Sprintf("bad checkpoint lag %q", value)
			}
		case "Process ID":
			pid, err := strconv.Atoi(value)
			if err != nil || pid < 0 {
				reason = fmt.Sprintf("bad process id %q", value)
			} else {
				d.ProcessID = &pid
			}
		case "Log Read Checkpoint":
			d.LogRead = &LogReadCheckpoint{Source: strings.Clone(value)}
			mode = modeLogRead
		case "Task":
			d.Task = strings.Clone(value)
		case "Current directory", "Report file", "Parameter file", "Checkpoint file", "Process file", "Error log":
			if d.Files == nil {
				d.Files = &DetailFiles{}
			}
			*d.Files.field(label) = strings.Clone(value)
		}
		if reason != "" {
			return nil, rep.parseError(l.n, reason)
		}
	}
	if err := rep.end(len(out) > 0, "no EXTRACT/REPLICAT status line (EXTRACT  GROUP  Last Started …  Status …)"); err != nil {
		return nil, err
	}
	return out, nil
}

// detailLabels are the labels INFO … [, DETAIL] prints at column 0.
var detailLabels = [...]string{
	"Checkpoint Lag", "Process ID", "Log Read Checkpoint", "Task",
	"Current directory", "Report file", "Parameter file", "Checkpoint file", "Process file", "Error log",
}

// splitDetailLabel returns the known label line starts with and the value
// after it, or ("INTEGRATED", "") for the bare INTEGRATED line, or ("", "").
func splitDetailLabel(t string) (label, value string) {
	if strings.EqualFold(t, "INTEGRATED") {
		return "INTEGRATED", ""
	}
	for _, l := range detailLabels {
		if strings.HasPrefix(t, l) && (len(t) == len(l) || t[len(l)] == ' ') {
			return l, strings.TrimSpace(t[len(l):])
		}
	}
	return "", ""
}

func (f *DetailFiles) field(label string) *string {
	switch label {
	case "Current directory":
		return &f.CurrentDirectory
	case "Report file":
		return &f.ReportFile
	case "Parameter file":
		return &f.ParameterFile
	case "Checkpoint file":
		return &f.CheckpointFile
	case "Process file":
		return &f.ProcessFile
	default:
		return &f.ErrorLog
	}
}

// parseDetailHeader reads "EXTRACT    E_PROD    Last Started 2025-02-18 20:12   Status RUNNING"
// or "… Initialized   2025-02-18 19:36   Status STOPPED". ok is false for any
// other line; reason is set for a line that is such a header with a bad status.
func parseDetailHeader(t string) (d ProcessDetail, ok bool, reason string) {
	if !strings.HasPrefix(t, "EXTRACT ") && !strings.HasPrefix(t, "REPLICAT ") {
		return d, false, ""
	}
	f := strings.Fields(t)
	if len(f) < 4 || f[len(f)-2] != "Status" {
		return d, false, ""
	}
	status, sok := parseStatus(f[len(f)-1])
	if !sok {
		return d, false, fmt.Sprintf("bad status %q in %q", f[len(f)-1], t)
	}
	d.Program = programs[f[0]]
	d.Group = name(f[1])
	d.Status = status
	mid := f[2 : len(f)-2]
	var at **time.Time
	switch {
	case len(mid) == 4 && mid[0] == "Last" && mid[1] == "Started":
		at, mid = &d.LastStarted, mid[2:]
	case len(mid) == 3 && mid[0] == "Initialized":
		at, mid = &d.Initialized, mid[1:]
	}
	if at != nil {
		if ts, err := time.Parse("2006-01-02 15:04", mid[0]+" "+mid[1]); err == nil {
			*at = &ts
		}
	}
	return d, true, ""
}

// parseCheckpointLag reads "00:03:22 (updated 00:00:06 ago)", "Not Available"
// or "UNKNOWN", with or without the "(updated … ago)" part.
func parseCheckpointLag(v string) (lag, age *int64, ok bool) {
	var pool int64Pool
	head, rest := v, ""
	if i := strings.IndexByte(v, '('); i >= 0 {
		head, rest = strings.TrimSpace(v[:i]), v[i:]
	}
	if lag, ok = parseLagToken(head, &pool); !ok {
		return nil, nil, false
	}
	if rest == "" {
		return lag, nil, true
	}
	in, found := strings.CutPrefix(rest, "(updated ")
	in, found2 := strings.CutSuffix(in, " ago)")
	if !found || !found2 {
		return nil, nil, false
	}
	if age, ok = parseLagToken(strings.TrimSpace(in), &pool); !ok {
		return nil, nil, false
	}
	return lag, age, true
}

// readCheckpointLine applies one continuation line of a Log Read Checkpoint:
// "2016-04-29 17:16:35  Seqno 89, RBA 18970624", "SCN 0.1380378 (1380378)",
// "First Record  RBA 0", "2016-09-01 08:55:27  Record 1". Unknown parts are
// ignored: the checkpoint is informational.
func readCheckpointLine(c *LogReadCheckpoint, t string) {
	if hasPrefixFold(t, "SCN ") {
		c.SCN = strings.Clone(strings.TrimSpace(t[4:]))
		return
	}
	if len(t) >= 19 && t[4] == '-' && t[7] == '-' && t[10] == ' ' {
		end := strings.IndexByte(t[11:], ' ')
		if end < 0 {
			end = len(t)
		} else {
			end += 11
		}
		if ts, err := time.Parse("2006-01-02 15:04:05.999999999", t[:end]); err == nil {
			c.At = &ts
			t = t[end:]
		}
	}
	f := strings.Fields(strings.ReplaceAll(t, ",", " "))
	for i := 0; i < len(f); i++ {
		var dst **int64
		switch f[i] {
		case "First":
			if i+1 < len(f) && f[i+1] == "Record" {
				c.FirstRecord = true
				i++
			}
			continue
		case "Seqno":
			dst = &c.Seqno
		case "RBA":
			dst = &c.RBA
		case "Record":
			dst = &c.Record
		default:
			continue
		}
		if i+1 < len(f) {
			if n, ok := parseDigits(f[i+1]); ok {
				*dst = &n
				i++
			}
		}
	}
}

// parseTrailRow reads "./dirdat/aa   0   1289   500 EXTTRAIL".
func parseTrailRow(t string) (ExtractTrail, bool) {
	f := strings.Fields(t)
	if len(f) < 4 {
		return ExtractTrail{}, false
	}
	var tr ExtractTrail
	var ok1, ok2, ok3 bool
	tr.Seqno, ok1 = parseGroupedInt(f[1])
	tr.RBA, ok2 = parseGroupedInt(f[2])
	tr.MaxMB, ok3 = parseGroupedInt(f[3])
	if !ok1 || !ok2 || !ok3 {
		return ExtractTrail{}, false
	}
	tr.Name = strings.Clone(f[0])
	if len(f) > 4 {
		tr.Type = strings.Clone(strings.Join(f[4:], " "))
	}
	return tr, true
}
