package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
)

func TestDepthKeys(t *testing.T) {
	doc := `targets:
  - name: east
    kind: ggsci
    command: [ggsci]
    collect: [showtrans, stats]
    heartbeat_command: [sqlplus, -s, /@mon]
    thresholds: {transaction_age_warning: 30m, transaction_age_critical: 2h, stalled_checks: "5", discards_critical: "50", heartbeat_age_critical: 20m}
    groups:
      EXT1: {recovery_age_critical: 24h}
  - name: plain
    kind: ggsci
    command: [ggsci]
    collect: []
  - name: cli
    kind: adminclient
    command: [adminclient]
    connect: {url: "https://ma:9011", deployment: east, username: oggadmin, password_env: PW}
`
	cfg, err := config.Parse([]byte(doc), env(map[string]string{"PW": "s3cret!"}))
	if err != nil {
		t.Fatal(err)
	}
	east, plain, cli := cfg.Targets[0], cfg.Targets[1], cfg.Targets[2]
	if !slices.Equal(east.Collect, []string{"showtrans", "stats"}) || !slices.Equal(east.HeartbeatCommand, []string{"sqlplus", "-s", "/@mon"}) {
		t.Errorf("east collect %q, heartbeat_command %q", east.Collect, east.HeartbeatCommand)
	}
	th := east.Thresholds
	if th.TransactionAgeWarning != 30*time.Minute || th.TransactionAgeCritical != 2*time.Hour || th.StalledChecks != 5 ||
		th.DiscardsCritical != 50 || th.DiscardsWarning != 1 || th.HeartbeatAgeCritical != 20*time.Minute || th.RecoveryAgeWarning != 4*time.Hour {
		t.Errorf("east thresholds %+v", th.DepthThresholds)
	}
	if g := east.ThresholdsFor("EXT1"); g.RecoveryAgeCritical != 24*time.Hour || g.TransactionAgeWarning != 30*time.Minute {
		t.Errorf("EXT1 thresholds %+v", g.DepthThresholds)
	}
	if plain.Collect == nil || len(plain.Collect) != 0 || plain.Wants(monitor.CollectShowTrans) {
		t.Errorf("collect: [] = %#v: INFO ALL only", plain.Collect)
	}
	if c := cli.Connect; c == nil || c.URL != "https://ma:9011" || c.Deployment != "east" || c.Username != "oggadmin" || c.Password.Reveal() != "s3cret!" || cli.Collect != nil {
		t.Errorf("cli %+v", cli)
	}
}

func TestDepthKeyErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"unknown collect", "targets:\n  - name: a\n    kind: ggsci\n    command: [g]\n    collect: [showtrans, lag]\n",
			[]string{"line 5", "targets[0].collect[1]", `unknown command "lag"`}},
		{"collect on rest", "targets:\n  - name: a\n    kind: simulator\n    collect: [stats]\n", []string{"line 4", "targets[0].collect", "only for kind ggsci or adminclient"}},
		{"empty heartbeat_command", "targets:\n  - name: a\n    kind: ggsci\n    command: [g]\n    heartbeat_command: []\n", []string{"targets[0].heartbeat_command", "must name a command"}},
		{"adminclient without connect", "targets:\n  - name: a\n    kind: adminclient\n    command: [adminclient]\n", []string{"line 2", "targets[0].connect", "required for kind adminclient"}},
		{"adminclient without command", "targets:\n  - name: a\n    kind: adminclient\n    connect: {url: \"https://x:1\", username: u, password_env: PW}\n", []string{"targets[0].command", "required for kind adminclient"}},
		{"connect on ggsci", "targets:\n  - name: a\n    kind: ggsci\n    command: [g]\n    connect: {url: \"https://x:1\", username: u, password_env: PW}\n", []string{"line 5", "targets[0].connect", "only for kind adminclient"}},
		{"connect bad url", "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect:\n      url: ftp://x\n      username: u\n      password_env: PW\n", []string{"line 6", "targets[0].connect.url"}},
		{"connect credentials in url", "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect: {url: \"https://u:p@x:1\", username: u, password_env: PW}\n", []string{"targets[0].connect.url", "must not carry credentials"}},
		{"connect no username", "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect: {url: \"https://x:1\", password_env: PW}\n", []string{"targets[0].connect.username", "required"}},
		{"connect blank deployment", "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect: {url: \"https://x:1\", deployment: \"a b\", username: u, password_env: PW}\n", []string{"targets[0].connect.deployment"}},
		{"connect unset password", "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect:\n      url: \"https://x:1\"\n      username: u\n      password_env: NOPE\n", []string{"line 8", "targets[0].connect.password_env", "NOPE is not set"}},
		{"bad stalled_checks", "targets:\n  - name: a\n    kind: simulator\n    thresholds: {stalled_checks: \"-1\"}\n", []string{"targets[0].thresholds.stalled_checks", "0 (off) to 100"}},
		{"bad discards", "targets:\n  - name: a\n    kind: simulator\n    thresholds: {discards_warning: many}\n", []string{"targets[0].thresholds.discards_warning"}},
		{"transaction warning over critical", "targets:\n  - name: a\n    kind: simulator\n    thresholds: {transaction_age_warning: 5h}\n", []string{"targets[0].thresholds.transaction_age_warning", "must not exceed transaction_age_critical"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.doc), env(map[string]string{"PW": "pw"}))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// A password the Admin Client cannot take is refused without being shown.
func TestConnectPasswordNeverInErrors(t *testing.T) {
	doc := "targets:\n  - name: a\n    kind: adminclient\n    command: [a]\n    connect: {url: \"https://x:1\", username: u, password_env: PW}\n"
	_, err := config.Parse([]byte(doc), env(map[string]string{"PW": "two words"}))
	if err == nil || !strings.Contains(err.Error(), "targets[0].connect.password_env") || strings.Contains(err.Error(), "two words") {
		t.Fatalf("err = %v", err)
	}
}
