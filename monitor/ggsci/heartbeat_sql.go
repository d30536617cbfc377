package ggsci

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// End-to-end heartbeat lag through the database (ogg-depth.md §1): the
// heartbeat_command (e.g. `sqlplus -s /@tns`) gets HeartbeatQuery on its
// stdin and prints one delimited line per GG_LAG row, then an end marker:
//
//	GGLAG|2|WEST|EAST|EEAST ==> DPEAST ==> RWEST|4.213802|41.518977|EWEST ==> DPWEST ==> REAST|3.870254|38.207116
//	GGLAG|2|WEST|NORTH|ENORTH ==> RNW|1.00212|912.604113|||
//	GGLAG-END
//
// Fields: marker, row count (COUNT(*) OVER (), so a cut-off output is
// caught), LOCAL_DATABASE, REMOTE_DATABASE, INCOMING_PATH, INCOMING_LAG,
// INCOMING_HEARTBEAT_AGE, OUTGOING_PATH, OUTGOING_LAG,
// OUTGOING_HEARTBEAT_AGE. NULLs print as empty fields. Numbers go through
// TO_CHAR(…, 'TM9') with '.' as the decimal separator whatever the
// session's NLS settings. GG_LAG's lags and ages are seconds (NUMBER,
// assumed; ogg-depth.md marks the precision unverified).
//
// The view is named without a schema: the login's own schema (the
// GGSCHEMA user) or a synonym resolves it. HeartbeatQueryFor names one.

// HeartbeatQuery is the SQL*Plus script SyncMon writes to heartbeat_command's stdin.
const HeartbeatQuery = `SET ECHO OFF FEEDBACK OFF HEADING OFF PAGESIZE 0 VERIFY OFF TAB OFF
SET LINESIZE 32767 TRIMOUT ON TRIMSPOOL ON NULL ''
WHENEVER SQLERROR EXIT FAILURE
SELECT 'GGLAG|' || COUNT(*) OVER () || '|' || local_database || '|' || remote_database
  || '|' || incoming_path
  || '|' || TO_CHAR(incoming_lag, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')
  || '|' || TO_CHAR(incoming_heartbeat_age, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')
  || '|' || outgoing_path
  || '|' || TO_CHAR(outgoing_lag, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')
  || '|' || TO_CHAR(outgoing_heartbeat_age, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')
  FROM gg_lag
  ORDER BY remote_database;
SELECT 'GGLAG-END' FROM dual;
EXIT
`

var heartbeatSchemaRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_$#]{0,127}$`)

// HeartbeatQueryFor is HeartbeatQuery reading schema.gg_lag. The schema
// must be a plain Oracle identifier (it is put into SQL).
func HeartbeatQueryFor(schema string) (string, error) {
	if !heartbeatSchemaRE.MatchString(schema) {
		return "", fmt.Errorf("heartbeat schema %q: not a plain Oracle identifier", schema)
	}
	return strings.Replace(HeartbeatQuery, "FROM gg_lag", "FROM "+schema+".gg_lag", 1), nil
}

// HeartbeatSQLError is an error the database or SQL*Plus printed instead
// of the rows: "ORA-00942: table or view does not exist", "SP2-0306: …".
// It matches monitor.ErrCredentials for a refused login (ORA-01017,
// ORA-28000, ORA-01005), monitor.ErrUnreachable when the database could
// not be reached (ORA-12154, ORA-12170, ORA-12514, ORA-12541, ORA-12545,
// ORA-03113, ORA-03114, ORA-01034), and monitor.ErrUnreadable otherwise.
type HeartbeatSQLError struct {
	Code    string // ORA-00942, SP2-0306
	Message string // the whole line
}

func (e *HeartbeatSQLError) Error() string { return "heartbeat query: " + e.Message }

// Is classifies the error for the rules (see the type's comment).
func (e *HeartbeatSQLError) Is(target error) bool {
	switch e.Code {
	case "ORA-01017", "ORA-28000", "ORA-01005":
		return target == monitor.ErrCredentials
	case "ORA-12154", "ORA-12170", "ORA-12514", "ORA-12541", "ORA-12545", "ORA-03113", "ORA-03114", "ORA-01034":
		return target == monitor.ErrUnreachable
	}
	return target == monitor.ErrUnreadable
}

var heartbeatErrRE = regexp.MustCompile(`\b(ORA-\d{5}|SP2-\d{4})\b`)

// ParseHeartbeatSQL reads what heartbeat_command printed for
// HeartbeatQuery: one incoming heartbeat per row with an incoming path
// (remote → local), one outgoing per row with an outgoing path (local →
// remote); a direction whose path, lag or age is NULL is skipped. No rows
// (heartbeat table empty) is an empty, non-nil slice.
// An ORA-/SP2- error is a *HeartbeatSQLError (the first one printed);
// output without the end marker, with fewer or more rows than it counted,
// or with an unreadable row is a *monitor.ParseError. now is unused; it
// keeps the signature of the other parsers.
func ParseHeartbeatSQL(out []byte, now time.Time) ([]monitor.Heartbeat, error) {
	const what = "heartbeat query"
	r, err := readText(out, what)
	if err != nil {
		return nil, err
	}
	hbs := []monitor.Heartbeat{}
	rows, want, ended := 0, int64(-1), false
	for l := range r.lines() {
		t := l.trim
		if m := heartbeatErrRE.FindString(t); m != "" && !strings.HasPrefix(t, "GGLAG|") {
			return nil, &HeartbeatSQLError{Code: m, Message: depthClip(t, 300)}
		}
		switch {
		case t == "GGLAG-END":
			ended = true
		case strings.HasPrefix(t, "GGLAG|"):
			f := strings.Split(t, "|")
			if len(f) != 10 {
				return nil, &monitor.ParseError{What: what, Line: l.n, Reason: fmt.Sprintf("row has %d fields, want 10", len(f))}
			}
			count, ok := depthInt(f[1])
			if !ok || (want >= 0 && count != want) {
				return nil, &monitor.ParseError{What: what, Line: l.n, Reason: "unreadable row count " + strconv.Quote(depthClip(f[1], 20))}
			}
			want = count
			rows++
			local, remote := depthClip(f[2], 128), depthClip(f[3], 128)
			for _, dir := range []struct {
				name, path, lag, age, from, to string
			}{
				{monitor.HeartbeatIncoming, f[4], f[5], f[6], remote, local},
				{monitor.HeartbeatOutgoing, f[7], f[8], f[9], local, remote},
			} {
				if strings.TrimSpace(dir.path) == "" || strings.TrimSpace(dir.lag) == "" || strings.TrimSpace(dir.age) == "" {
					continue // no heartbeat this way (yet)
				}
				lag, err1 := heartbeatNumber(dir.lag)
				age, err2 := heartbeatNumber(dir.age)
				if err := errors.Join(err1, err2); err != nil {
					return nil, &monitor.ParseError{What: what, Line: l.n, Reason: dir.name + ": " + err.Error()}
				}
				hbs = append(hbs, monitor.Heartbeat{
					Direction: dir.name, From: dir.from, To: dir.to,
					Path:       depthClip(strings.TrimSpace(dir.path), 512),
					LagSeconds: lag, AgeSeconds: age,
				})
			}
		}
	}
	switch {
	case !ended && rows == 0:
		return nil, &monitor.ParseError{What: what, Reason: "no GGLAG lines: not the output of SyncMon's heartbeat query"}
	case !ended:
		return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("output ends after %d rows without GGLAG-END (cut off?)", rows)}
	case want >= 0 && int64(rows) != want:
		return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("%d rows printed, the query counted %d", rows, want)}
	}
	return hbs, nil
}

// heartbeatNumber reads a TM9 number: "4.213802", ".5", "-1", "1E+03".
func heartbeatNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty lag or age")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v || v > 1e15 || v < -1e15 {
		return 0, fmt.Errorf("unreadable number %q", depthClip(s, 30))
	}
	return v, nil
}
