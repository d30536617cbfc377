package ggsci_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/ggsci"
)

// infoAllRow lays out one INFO ALL row by byte offsets, as GGSCI pads it.
func infoAllRow(program, status, group, lag, age string) string {
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(n-len(s), 1)) }
	return pad(program, 12) + pad(status, 12) + pad(group, 12) + pad(lag, 14) + age + "\n"
}

// Group names with invalid UTF-8 or bidirectional-override characters reach
// nothing raw: the parser hands over valid UTF-8 without format or control
// characters, the same name every time, so the engine's memory (stored as
// JSON, which would rewrite invalid UTF-8) still knows the group on the next
// check and raises no group_disappeared.
func TestInfoAllNormalisesGroupNames(t *testing.T) {
	out := "Program     Status      Group       Lag at Chkpt  Time Since Chkpt\n\n" +
		infoAllRow("MANAGER", "RUNNING", "", "", "") +
		infoAllRow("EXTRACT", "RUNNING", "EX\xffT1", "00:00:00", "00:00:04") +
		infoAllRow("REPLICAT", "RUNNING", "\u202eREP1", "00:00:00", "00:00:04") +
		infoAllRow("REPLICAT", "RUNNING", "RE\x1bP2", "00:00:00", "00:00:04")
	parse := func() []monitor.Process {
		t.Helper()
		procs, err := ggsci.ParseInfoAll(strings.NewReader(out))
		if err != nil {
			t.Fatalf("ParseInfoAll: %v", err)
		}
		return procs
	}
	first := parse()
	if len(first) != 4 {
		t.Fatalf("got %d rows, want 4: %+v", len(first), first)
	}
	for _, p := range first[1:] {
		if !utf8.ValidString(p.Group) {
			t.Errorf("group %q is not valid UTF-8", p.Group)
		}
		if i := strings.IndexFunc(p.Group, func(r rune) bool { return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) }); i >= 0 {
			t.Errorf("group %q holds a format or control character", p.Group)
		}
	}
	if got, want := first[1].Group, "EX\uFFFDT1"; got != want {
		t.Errorf("got group %q, want %q", got, want)
	}

	target := monitor.Target{Name: "east", Kind: monitor.KindGGSCI, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mem monitor.Memory
	for i := range 3 {
		obs := monitor.Observation{Target: "east", Kind: monitor.KindGGSCI, ObservedAt: start, Processes: parse()}
		ev := monitor.Evaluate(target, obs, &mem, start.Add(time.Duration(i)*time.Minute))
		for _, f := range ev.Findings {
			if f.Rule == monitor.RuleGroupGone || f.Rule == monitor.RuleGroupNew {
				t.Errorf("check %d: got %s for %q; want the same groups every check", i, f.Rule, f.Group)
			}
		}
		b, err := json.Marshal(mem) // as the store keeps it between checks
		if err != nil {
			t.Fatal(err)
		}
		mem = monitor.Memory{}
		if err := json.Unmarshal(b, &mem); err != nil {
			t.Fatal(err)
		}
	}
}
