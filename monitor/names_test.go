package monitor_test

import (
	"testing"

	"github.com/syncmon/syncmon/monitor"
)

func TestCleanName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "REP_EAST1", "REP_EAST1"},
		{"empty", "", ""},
		{"invalid byte", "EX\xffT1", "EX\uFFFDT1"},
		{"each invalid byte", "EX\xff\xfeT1", "EX\uFFFD\uFFFDT1"},
		{"bidi override", "\u202eREP1\u202c", "\uFFFDREP1\uFFFD"},
		{"bidi isolate", "REP\u20661", "REP\uFFFD1"},
		{"zero width", "REP\u200b1", "REP\uFFFD1"},
		{"escape", "RE\x1b[31mP", "RE\uFFFD[31mP"},
		{"non-ASCII letters stay", "복제1", "복제1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := monitor.CleanName(tc.in)
			if got != tc.want {
				t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := monitor.CleanName(got); again != got {
				t.Errorf("CleanName is not idempotent: %q then %q", got, again)
			}
		})
	}
}

func FuzzCleanName(f *testing.F) {
	f.Add("REP1")
	f.Add("EX\xffT1\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		got := monitor.CleanName(s)
		if monitor.CleanName(got) != got {
			t.Fatalf("not idempotent: %q", s)
		}
		if monitor.CleanName(s) != got {
			t.Fatalf("not deterministic: %q", s)
		}
	})
}
