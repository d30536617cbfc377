package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/errlog"
)

// checkResult is one line of `check --once --json`.
type checkResult struct {
	Target     string            `json:"target"`
	Kind       string            `json:"kind"`
	OK         bool              `json:"ok"`
	Error      string            `json:"error"`
	ObservedAt time.Time         `json:"observed_at"`
	Processes  []monitor.Process `json:"processes"`
	Findings   []monitor.Finding `json:"findings"`
	// What a Service Manager target tells beyond processes: present
	// (possibly empty) when the source was asked, absent otherwise.
	Services *[]monitor.Service `json:"services,omitempty"`
	Paths    *[]monitor.Path    `json:"paths,omitempty"`
	// Log holds the newest ERROR and WARNING entries of the target's
	// ggserr.log (its last 64 KiB) or messages list: shown, not judged,
	// since a one-off check cannot tell new lines from old ones.
	Log []monitor.LogEntry `json:"log,omitempty"`
	// What the deeper sources told (DESIGN.md): present, possibly empty,
	// when the source was asked; absent otherwise. Activity holds the
	// STATS/STATUS readings the stalled and discards rules compare across
	// checks (one check has no delta of its own).
	Transactions *[]monitor.Transaction `json:"transactions,omitempty"`
	Recovery     *[]monitor.Recovery    `json:"recovery,omitempty"`
	Activity     *[]monitor.Activity    `json:"activity,omitempty"`
	Heartbeats   *[]monitor.Heartbeat   `json:"heartbeats,omitempty"`
	Unread       []monitor.Unread       `json:"unread,omitempty"` // commands that failed, by group
}

// Nagios plugin exit codes.
const (
	nagiosOK       = 0
	nagiosWarning  = 1
	nagiosCritical = 2
	nagiosUnknown  = 3
)

func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML); none: the built-in demo")
	once := fl.Bool("once", false, "run every target's checks once and exit (required)")
	asJSON := fl.Bool("json", false, "print one JSON object per target")
	if err := fl.Parse(args); err != nil {
		return exitError{nagiosUnknown}
	}
	if !*once {
		fmt.Fprintln(stderr, "check: --once is required (the scheduler runs with `syncmon serve`)")
		return exitError{nagiosUnknown}
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{nagiosUnknown}
	}
	checks, err := buildChecks(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{nagiosUnknown}
	}
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs := monitor.RunCheck(ctx, c, time.Now)
			r := checkResult{Target: obs.Target, Kind: obs.Kind, OK: obs.Err == nil, ObservedAt: obs.ObservedAt.Truncate(time.Second),
				Processes: obs.Processes, Findings: monitor.Findings(c.Target, obs, time.Now())}
			if obs.Err != nil {
				r.Error = obs.Err.Error()
			}
			r.Services, r.Paths = asked(obs.Services), asked(obs.Paths)
			if r.Processes == nil {
				r.Processes = []monitor.Process{}
			}
			if r.Findings == nil {
				r.Findings = []monitor.Finding{}
			}
			r.Log = recentProblems(append(obs.Log, errLogTail(c.Target.ErrLog)...))
			r.Transactions, r.Recovery, r.Activity, r.Heartbeats = asked(obs.Transactions), asked(obs.Recovery), asked(obs.Activity), asked(obs.Heartbeats)
			r.Unread = obs.Unread
			results[i] = r
		}()
	}
	wg.Wait()

	code := nagiosOK
	worst := monitor.SeverityOK
	unknown := false
	for _, r := range results {
		if !r.OK {
			unknown = true
			continue
		}
		if s := monitor.WorstSeverity(r.Findings); monitor.SeverityRank(s) > monitor.SeverityRank(worst) {
			worst = s
		}
	}
	switch {
	case worst == monitor.SeverityCritical:
		code = nagiosCritical
	case unknown:
		code = nagiosUnknown
	case worst == monitor.SeverityWarning:
		code = nagiosWarning
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write result: %w", err)
			}
		}
	} else {
		printResults(stdout, results, code)
	}
	if code != nagiosOK {
		return exitError{code}
	}
	return nil
}

func printResults(w io.Writer, results []checkResult, code int) {
	status := [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}[code]
	fmt.Fprintf(w, "SYNCMON %s\n", status)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, r := range results {
		if !r.OK {
			fmt.Fprintf(tw, "%s\t%s\tUNKNOWN\t%s\n", r.Target, r.Kind, r.Error)
			continue
		}
		for _, p := range r.Processes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tlag %s\tckpt %s\n", r.Target, strings.TrimSpace(p.Program), p.Group, p.Status,
				optSeconds(p.LagSeconds), optSeconds(p.CheckpointAgeSeconds))
		}
		if r.Paths != nil {
			for _, p := range *r.Paths {
				program := monitor.ProgramDistPath
				if p.Kind == monitor.PathReceiver {
					program = monitor.ProgramRecvPath
				}
				fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\tlag %s\tsince %s\n", r.Target, program, p.Deployment, p.Name, p.Status,
					optSeconds(p.LagSeconds), optSeconds(p.CheckpointAgeSeconds))
			}
		}
		if r.Heartbeats != nil {
			for _, h := range *r.Heartbeats {
				fmt.Fprintf(tw, "%s\tHEARTBEAT %s\t%s\t%s → %s\tlag %.1fs\tage %.0fs\n", r.Target, h.Deployment, h.Path, h.From, h.To, h.LagSeconds, h.AgeSeconds)
			}
		}
		printDepth(tw, r)
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Target, strings.ToUpper(f.Severity), f.Rule, f.Message)
		}
	}
	tw.Flush()
}

// asked keeps a source's list as check --once prints it: nil (absent) when
// the source was not asked, else the list, possibly empty.
func asked[T any](s []T) *[]T {
	if s == nil {
		return nil
	}
	return &s
}

func optSeconds(p *int64) string {
	if p == nil {
		return "-"
	}
	return monitor.FormatSeconds(*p)
}

// configCheck validates a config file. Secrets named by *_env keys need not
// be set where the check runs (a CI job has no production passwords): an
// unset one is reported as a note, and its value is checked only by serve.
func configCheck(path string, getenv func(string) string, stdout, stderr io.Writer) error {
	var unset []string
	cfg, err := loadConfig(path, config.LenientEnv(getenv, func(name string) { unset = append(unset, name) }))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{1}
	}
	fmt.Fprintf(stdout, "%s: ok (%d targets)\n", path, len(cfg.Targets))
	if len(unset) > 0 {
		slices.Sort(unset)
		fmt.Fprintf(stdout, "note: not set here, needed by serve: %s\n", strings.Join(slices.Compact(unset), ", "))
	}
	return nil
}

// errLogTail parses the last 64 KiB of a ggserr.log, saying what each
// known message means; a missing file is none.
func errLogTail(path string) []monitor.LogEntry {
	entries := readErrLogTail(path)
	errlog.Annotate(entries)
	return entries
}

func readErrLogTail(path string) []monitor.LogEntry {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const tail = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		if _, err := f.Seek(st.Size()-tail, io.SeekStart); err != nil {
			return nil
		}
		r := bufio.NewReader(f)
		if _, err := r.ReadString('\n'); err != nil { // skip the partial first line
			return nil
		}
		entries, _ := errlog.Parse(r)
		return entries
	}
	entries, _ := errlog.Parse(f)
	return entries
}

// recentProblems keeps the newest 20 ERROR and WARNING entries.
func recentProblems(entries []monitor.LogEntry) []monitor.LogEntry {
	var out []monitor.LogEntry
	for _, e := range entries {
		if e.Severity == "ERROR" || e.Severity == "WARNING" {
			out = append(out, e)
		}
	}
	if len(out) > 20 {
		out = out[len(out)-20:]
	}
	return out
}

// printDepth prints what the deeper sources told, one line each.
func printDepth(w io.Writer, r checkResult) {
	if r.Transactions != nil {
		for _, tx := range *r.Transactions {
			fmt.Fprintf(w, "%s\tEXTRACT\t%s\ttransaction %s\topen %s\n", r.Target, tx.Process, tx.XID, optSeconds(tx.AgeSeconds))
		}
	}
	if r.Recovery != nil {
		for _, rc := range *r.Recovery {
			age := rc.AgeSeconds
			fmt.Fprintf(w, "%s\tEXTRACT\t%s\trecovery checkpoint\t%s old\n", r.Target, rc.Process, optSeconds(&age))
		}
	}
	for _, u := range r.Unread {
		fmt.Fprintf(w, "%s\t%s\t%s\tnot read (%s)\t%s\n", r.Target, u.Program, u.Group, u.Source, u.Error)
	}
}
