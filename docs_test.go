package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/monitor"
)

// The example config in docs/ is documentation that must keep working: these
// tests load it as SyncMon would, and check that it still shows every key.

const exampleConfig = "docs/syncmon.example.yaml"

// exampleEnv is what the example's *_env keys name.
var exampleEnv = map[string]string{
	"OGG_MA_PASSWORD":       "ma-secret",
	"OGG_SM_PASSWORD":       "sm-secret",
	"SYNCMON_METRICS_TOKEN": "0123456789abcdef0123456789abcdef",
	"SYNCMON_SLACK_URL":     "https://hooks.slack.com/services/T000/B000/XXXX",
	"SYNCMON_TEAMS_URL":     "https://example.webhook.office.com/webhookb2/xxxx",
	"SYNCMON_WEBHOOK_URL":   "https://itsm.example.com/hooks/syncmon",
	"SYNCMON_HEARTBEAT_URL": "https://hc-ping.com/00000000-0000-0000-0000-000000000000",
	"SYNCMON_SMTP_PASSWORD": "smtp-secret",
}

func exampleGetenv(k string) string { return exampleEnv[k] }

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := config.Load(exampleConfig, exampleGetenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.Database != "syncmon.db" || cfg.PublicURL != "https://syncmon.example.com" {
		t.Errorf("listen %q, database %q, public_url %q", cfg.Listen, cfg.Database, cfg.PublicURL)
	}
	if cfg.PingInterval != 10*time.Second || cfg.SpeechRepeat != time.Minute || cfg.Log.Format != "json" || cfg.Log.Level != "info" {
		t.Errorf("ping %s, speech %s, log %+v", cfg.PingInterval, cfg.SpeechRepeat, cfg.Log)
	}
	if want := []string{"https://syncmon.example.com", "https://noc-wall.example.com:8443"}; !slices.Equal(cfg.AllowedOrigins, want) {
		t.Errorf("allowed_origins %q, want %q", cfg.AllowedOrigins, want)
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		t.Errorf("tls is commented out in the example, got %q %q", cfg.TLSCert, cfg.TLSKey)
	}
	a := cfg.Auth
	if a.AnonymousViewer || a.SessionIdle != 2*time.Hour || a.SessionMax != 12*time.Hour || a.KioskSession != 400*24*time.Hour ||
		a.MetricsToken.Reveal() != exampleEnv["SYNCMON_METRICS_TOKEN"] {
		t.Errorf("auth %+v", a)
	}
	if r := cfg.Retention; r.Events != 7*24*time.Hour || r.Samples != 8*24*time.Hour || r.ResolvedAlerts != 90*24*time.Hour {
		t.Errorf("retention %+v", r)
	}

	byName := map[string]monitor.Target{}
	var names []string
	for _, tg := range cfg.Targets {
		byName[tg.Name] = tg
		names = append(names, tg.Name+"/"+tg.Kind)
	}
	if want := []string{"prod-east/ggsci", "prod-west/ggsci", "prod-ma/rest", "ma-fleet/rest", "prod-ma-cli/adminclient", "lab-sim/simulator"}; !slices.Equal(names, want) {
		t.Fatalf("targets %q, want %q", names, want)
	}

	east := byName["prod-east"]
	if east.Schedule != "*/10 * * * * *" || east.Timeout != 20*time.Second || east.ErrLog != "/u01/app/ogg/ggserr.log" ||
		!slices.Equal(east.Command, []string{"/usr/local/bin/ggsci-east"}) {
		t.Errorf("prod-east %+v", east)
	}
	wantTh := monitor.Thresholds{LagWarning: time.Minute, LagCritical: 5 * time.Minute, CheckpointWarning: 5 * time.Minute,
		CheckpointCritical: 15 * time.Minute, StartingLimit: 5 * time.Minute, LagGrowingChecks: 6,
		PathLagWarning: time.Minute, PathLagCritical: 5 * time.Minute, DepthThresholds: monitor.DefaultDepthThresholds()}
	if east.Thresholds != wantTh {
		t.Errorf("prod-east thresholds %+v, want %+v", east.Thresholds, wantTh)
	}
	batch := east.ThresholdsFor("REPBATCH")
	if batch.LagWarning != 30*time.Minute || batch.LagCritical != 2*time.Hour || batch.CheckpointCritical != 2*time.Hour ||
		batch.LagGrowingChecks != 6 || batch.StartingLimit != 5*time.Minute {
		t.Errorf("REPBATCH thresholds %+v: its own limits over the target's", batch)
	}
	if exte := east.ThresholdsFor("EXTE"); exte.LagGrowingChecks != 0 || exte.LagCritical != 5*time.Minute {
		t.Errorf("EXTE thresholds %+v: lag_growing off, the rest the target's", exte)
	}
	p := east.Policy
	if !slices.Equal(p.ExpectedStopped, []string{"RINIT", "RFALLBK"}) {
		t.Errorf("expected_stopped %q", p.ExpectedStopped)
	}
	if p.OpenAfter[monitor.RuleLag] != 3 || p.OpenAfter[monitor.RuleUnreachable] != 3 || p.OpenAfter[monitor.RuleCheckpointAge] != 2 {
		t.Errorf("open_after %v (checkpoint_age keeps its default 2)", p.OpenAfter)
	}
	if p.ResolveAfter[monitor.RuleLag] != 3 || p.ResolveAfter[monitor.RuleProcessStatus] != 1 {
		t.Errorf("resolve_after %v", p.ResolveAfter)
	}
	for code, sev := range map[string]string{"OGG-01203": "critical", "OGG-02554": "critical", "OGG-01296": "warning", "OGG-01668": "critical"} {
		if p.ErrorCodes[code] != sev {
			t.Errorf("error_codes[%s] = %q, want %q", code, p.ErrorCodes[code], sev)
		}
	}

	west := byName["prod-west"]
	if len(west.Command) < 2 || west.Command[0] != "ssh" || west.ErrLog != "" || west.Thresholds.LagCritical != 10*time.Minute ||
		west.Thresholds.CheckpointCritical != 15*time.Minute || west.Policy.OpenAfter[monitor.RuleUnreachable] != 4 {
		t.Errorf("prod-west %+v", west)
	}

	if east.Collect == nil || len(east.Collect) != 3 || !slices.Equal(west.Collect, []string{"showtrans", "stats"}) ||
		len(west.HeartbeatCommand) < 2 || west.HeartbeatCommand[len(west.HeartbeatCommand)-1] != "/@ogg_mon" {
		t.Errorf("collect %q / %q, heartbeat_command %q", east.Collect, west.Collect, west.HeartbeatCommand)
	}
	cli := byName["prod-ma-cli"]
	if c := cli.Connect; c == nil || c.URL != "https://ogg-ma.example.com:9011" || c.Deployment != "east" || c.Username != "syncmon_ro" ||
		c.Password.Reveal() != "ma-secret" || cli.Collect != nil {
		t.Errorf("prod-ma-cli %+v", cli)
	}

	ma := byName["prod-ma"]
	if ma.URL != "https://ogg-ma.example.com:9012" || ma.Username != "syncmon_ro" || ma.Password.Reveal() != "ma-secret" ||
		ma.CAFile != "" || ma.InsecureSkipVerify || ma.Timeout != 15*time.Second {
		t.Errorf("prod-ma %+v", ma)
	}
	fleet := byName["ma-fleet"]
	if fleet.URL != "" || fleet.ServiceManagerURL != "https://ogg-sm.example.com:9011" || !slices.Equal(fleet.Deployments, []string{"east", "west"}) ||
		fleet.EventsInterval != 2*time.Second || fleet.Rediscover != 5*time.Minute || !slices.Equal(fleet.Policy.StoppedPaths, []string{"DP-ARCHIVE.01"}) ||
		fleet.Thresholds.PathLagCritical != 5*time.Minute || fleet.Policy.OpenAfter[monitor.RulePathLag] != 3 {
		t.Errorf("ma-fleet %+v", fleet)
	}
	if cfg.Speeds["lab-sim"] != 1 || byName["lab-sim"].Schedule != "@every 5s" || byName["lab-sim"].Timeout != 30*time.Second {
		t.Errorf("lab-sim %+v, speed %v", byName["lab-sim"], cfg.Speeds["lab-sim"])
	}

	if len(cfg.Notifications) != 5 {
		t.Fatalf("%d notifications, want 5", len(cfg.Notifications))
	}
	if hb, m := cfg.Notifications[3], cfg.Notifications[4]; hb.Kind != config.NotifyHeartbeat || hb.Interval != time.Minute ||
		m.Kind != config.NotifyEmail || m.Email.Port != 587 || m.Email.Language != "ko" || len(m.Email.To) != 2 || cfg.StaleAlarm != time.Minute {
		t.Errorf("watchdog %+v, noc-mail %+v, stale_alarm %s", hb, m, cfg.StaleAlarm)
	}
	slack, teams, hook := cfg.Notifications[0], cfg.Notifications[1], cfg.Notifications[2]
	if slack.Name != "noc-slack" || slack.Kind != config.NotifySlack || slack.URL.Reveal() != exampleEnv["SYNCMON_SLACK_URL"] ||
		slack.MinSeverity != "warning" || !slack.IncludeTest || !slack.IncludeAcks || len(slack.Targets) != 3 ||
		slack.Timeout != 10*time.Second || slack.MaxAge != 24*time.Hour {
		t.Errorf("noc-slack %+v", slack)
	}
	if teams.Kind != config.NotifyTeams || teams.MinSeverity != "critical" || teams.IncludeTest || teams.IncludeAcks ||
		!slices.Equal(teams.Targets, []string{"prod-east", "prod-ma"}) || teams.MaxAge != config.NotificationDefaults().MaxAge {
		t.Errorf("dba-teams %+v", teams)
	}
	if hook.Kind != config.NotifyWebhook || len(hook.Targets) != 0 || hook.Timeout != 5*time.Second || hook.MaxAge != 72*time.Hour {
		t.Errorf("itsm-webhook %+v", hook)
	}
	for _, n := range cfg.Notifications {
		if n.MaxAge > cfg.Retention.Events {
			t.Errorf("notification %s: max_age %s outlives retention.events %s", n.Name, n.MaxAge, cfg.Retention.Events)
		}
	}
}

// The variables the header lists are exactly those the file names, and
// each is required: without it the config is refused, naming it.
func TestExampleConfigNamesItsVariables(t *testing.T) {
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for _, m := range regexp.MustCompile(`(?m)^\s*\w+_env:\s*(\w+)`).FindAllStringSubmatch(string(data), -1) {
		named = append(named, m[1])
	}
	var listed []string
	if m := regexp.MustCompile(`This file names: ([A-Z0-9_,\s#]+)\.`).FindSubmatch(data); m != nil {
		for _, f := range strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == ',' || r == '#' || r == ' ' || r == '\n' }) {
			listed = append(listed, f)
		}
	}
	sort.Strings(named)
	named = slices.Compact(named) // one variable may serve two targets
	sort.Strings(listed)
	var inTest []string
	for k := range exampleEnv {
		inTest = append(inTest, k)
	}
	sort.Strings(inTest)
	if !slices.Equal(named, listed) || !slices.Equal(named, inTest) {
		t.Errorf("variables: the file's *_env keys %q, its header %q, this test %q", named, listed, inTest)
	}
	_, err = config.Load(exampleConfig, func(string) string { return "" })
	if err == nil {
		t.Fatal("the example loaded with no environment")
	}
	for _, v := range named {
		if !strings.Contains(err.Error(), v+" is not set") {
			t.Errorf("without %s: error does not name it:\n%v", v, err)
		}
	}
}

// The keys commented out because they name files (tls_cert, tls_key,
// ca_file) are valid too once uncommented and pointed at files that exist.
// The commented-out cluster section (the file's last, with its own
// tls_cert and tls_key) stays as it is.
func TestExampleConfigOptionalFileKeys(t *testing.T) {
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(data, []byte("\n# cluster:\n")); i >= 0 {
		data = data[:i+1]
	}
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ogg-ca") // a CA file must hold a real certificate
	files := map[string]string{}
	re := regexp.MustCompile(`(?m)^(\s*)# (tls_cert|tls_key|ca_file): (\S+)$`)
	enabled := re.ReplaceAllStringFunc(string(data), func(line string) string {
		m := re.FindStringSubmatch(line)
		f := filepath.Join(dir, filepath.Base(m[3]))
		if err := os.WriteFile(f, ca.PEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		files[m[2]] = f
		return m[1] + m[2] + ": " + strconv.Quote(f)
	})
	if len(files) != 3 {
		t.Fatalf("found commented-out %v in the example, want tls_cert, tls_key and ca_file", files)
	}
	path := filepath.Join(dir, "syncmon.yaml")
	if err := os.WriteFile(path, []byte(enabled), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, exampleGetenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSCert != files["tls_cert"] || cfg.TLSKey != files["tls_key"] {
		t.Errorf("tls %q %q, want %q %q", cfg.TLSCert, cfg.TLSKey, files["tls_cert"], files["tls_key"])
	}
	for _, tg := range cfg.Targets {
		if tg.Name == "prod-ma" && tg.CAFile != files["ca_file"] {
			t.Errorf("prod-ma ca_file %q, want %q", tg.CAFile, files["ca_file"])
		}
	}
}

// Every YAML key the config package declares appears in the example (set or
// commented out), and so do the keys and rule names it takes in maps.
func TestExampleConfigShowsEveryKey(t *testing.T) {
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	keys := yamlKeysOf(t, "config")
	if len(keys) < 40 {
		t.Fatalf("found only %d yaml keys in package config: %q", len(keys), keys)
	}
	keys = append(keys,
		"lag_warning", "lag_critical", "checkpoint_warning", "checkpoint_critical", "starting_limit", "lag_growing_checks", // thresholds
		"path_lag_warning", "path_lag_critical",
		"transaction_age_warning", "transaction_age_critical", "recovery_age_warning", "recovery_age_critical",
		"heartbeat_lag_warning", "heartbeat_lag_critical", "heartbeat_age_warning", "heartbeat_age_critical",
		"stalled_checks", "discards_warning", "discards_critical",
		"events", "samples", "resolved_alerts", // retention
	)
	for _, k := range keys {
		if !regexp.MustCompile(`(?m)^\s*(# )?(- )?` + regexp.QuoteMeta(k) + `:`).Match(data) {
			t.Errorf("the example does not show the key %q", k)
		}
	}
	for _, rule := range []string{monitor.RuleUnreachable, monitor.RuleCredentials, monitor.RuleParserBlind, monitor.RuleManagerDown,
		monitor.RuleProcessStatus, monitor.RuleStarting, monitor.RuleLag, monitor.RuleCheckpointAge, monitor.RuleLagGrowing,
		monitor.RuleFlapping, monitor.RuleGroupGone, monitor.RuleGroupNew, monitor.RuleOGGError,
		monitor.RuleServiceStatus, monitor.RulePathStatus, monitor.RulePathLag,
		monitor.RuleLongTransaction, monitor.RuleRecoveryAge, monitor.RuleStalled, monitor.RuleDiscards,
		monitor.RuleHeartbeatLag, monitor.RuleHeartbeatStale} {
		if !strings.Contains(string(data), rule) {
			t.Errorf("the example does not name the rule %q (open_after, resolve_after)", rule)
		}
	}
}

// yamlKeysOf reads the yaml struct tags declared in a package's non-test
// source files.
func yamlKeysOf(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var keys []string
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			field, ok := n.(*ast.Field)
			if !ok || field.Tag == nil {
				return true
			}
			tag, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				return true
			}
			name, _, _ := strings.Cut(reflect.StructTag(tag).Get("yaml"), ",")
			if name != "" && name != "-" && !seen[name] {
				seen[name] = true
				keys = append(keys, name)
			}
			return true
		})
	}
	sort.Strings(keys)
	return keys
}
