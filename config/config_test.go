package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load("testdata/example.yaml", env(map[string]string{"OGG_MA_PASSWORD": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Targets) != 3 || cfg.Listen != "127.0.0.1:8080" || cfg.Auth.AnonymousViewer {
		t.Fatalf("cfg = %+v", cfg)
	}
	ma := cfg.Targets[1]
	if ma.Password.Reveal() != "s3cret" || ma.Password.String() != "[redacted]" {
		t.Fatalf("password not resolved or not redacted: %q", ma.Password.String())
	}
	if cfg.Targets[0].Thresholds.LagCritical != 300*time.Second || cfg.Targets[2].Schedule != "@every 5s" {
		t.Fatalf("thresholds/schedule = %+v", cfg.Targets)
	}
	if cfg.Targets[1].Schedule != "@every 10s" || cfg.Targets[1].Timeout != 30*time.Second {
		t.Fatalf("defaults not applied: %+v", cfg.Targets[1])
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{"unknown key", "listen: \":1\"\nlisen: x\ntargets: [{name: a, kind: simulator}]\n", []string{"line 2", `unknown key "lisen"`}},
		{"unknown nested key", "targets:\n  - name: a\n    kind: simulator\n    scheduel: x\n", []string{"line 4", `"scheduel"`}},
		{"bad duration", "targets:\n  - name: a\n    kind: simulator\n    timeout: 10 parsecs\n", []string{"line 4", "targets[0].timeout", "invalid duration"}},
		{"bad threshold", "targets:\n  - name: a\n    kind: simulator\n    thresholds:\n      lag_warning: soon\n", []string{"line 5", "targets[0].thresholds.lag_warning", "invalid duration"}},
		{"bad cron spec", "targets:\n  - name: a\n    kind: simulator\n    schedule: \"* * * *\"\n", []string{"line 4", "targets[0].schedule", "invalid cron spec"}},
		{"duplicate target", "targets:\n  - name: a\n    kind: simulator\n  - name: a\n    kind: simulator\n", []string{"line 4", "targets[1].name", "duplicate target name"}},
		{"missing name", "targets:\n  - kind: simulator\n", []string{"line 2", "targets[0].name", "required"}},
		{"missing kind", "targets:\n  - name: a\n", []string{"line 2", "targets[0].kind", "required"}},
		{"missing command", "targets:\n  - name: a\n    kind: ggsci\n", []string{"line 2", "targets[0].command", "required"}},
		{"missing url", "targets:\n  - name: a\n    kind: rest\n    username: u\n    password_env: P\n", []string{"line 2", "targets[0].url", "required"}},
		{"unset password env", "targets:\n  - name: a\n    kind: rest\n    url: https://x:9011\n    username: u\n    password_env: NOPE\n", []string{"line 6", "targets[0].password_env", "NOPE is not set"}},
		{"credentials in url", "targets:\n  - name: a\n    kind: rest\n    url: https://u:p@x:9011\n    username: u\n    password_env: P\n", []string{"line 4", "targets[0].url", "must not carry credentials"}},
		{"url and service manager", "targets:\n  - name: a\n    kind: rest\n    url: https://x:9011\n    service_manager_url: https://x:9011\n    username: u\n    password_env: P\n", []string{"line 5", "targets[0].service_manager_url", "not both"}},
		{"bad service manager url", "targets:\n  - name: a\n    kind: rest\n    service_manager_url: x:9011\n    username: u\n    password_env: P\n", []string{"line 4", "targets[0].service_manager_url", "http(s) URL"}},
		{"events interval too short", "targets:\n  - name: a\n    kind: rest\n    service_manager_url: https://x:9011\n    events_interval: 1ms\n    username: u\n    password_env: P\n", []string{"line 5", "targets[0].events_interval", "from 100ms"}},
		{"deployments without service manager", "targets:\n  - name: a\n    kind: rest\n    url: https://x:9011\n    deployments: [east]\n    username: u\n    password_env: P\n", []string{"line 5", "targets[0].deployments", "only with service_manager_url"}},
		{"duplicate deployment", "targets:\n  - name: a\n    kind: rest\n    service_manager_url: https://x:9011\n    deployments: [east, east]\n    username: u\n    password_env: P\n", []string{"targets[0].deployments[1]", "twice"}},
		{"stopped paths on ggsci", "targets:\n  - name: a\n    kind: ggsci\n    command: [ggsci]\n    stopped_paths: [dp1]\n", []string{"line 5", "targets[0].stopped_paths", "only a rest target"}},
		{"path lag order", "targets:\n  - name: a\n    kind: simulator\n    thresholds: {path_lag_warning: 10m, path_lag_critical: 5m}\n", []string{"targets[0].thresholds.path_lag_warning", "must not exceed"}},
		{"bad error code", "targets:\n  - name: a\n    kind: simulator\n    error_codes: {\"01668\": critical}\n", []string{"targets[0].error_codes.01668", "OGG-01668"}},
		{"unknown kind", "targets:\n  - name: a\n    kind: oracle\n", []string{"line 3", "targets[0].kind", "unknown kind"}},
		{"page refresh under a second", "page_refresh: 500ms\ntargets: [{name: a, kind: simulator}]\n", []string{"page_refresh", "at least 1s"}},
		{"bad trusted proxy", "trusted_proxies: [10.0.0.0/8, \"proxy.example\"]\ntargets: [{name: a, kind: simulator}]\n", []string{"trusted_proxies[1]", "CIDR"}},
		{"no targets", "listen: \":1\"\n", []string{"targets", "at least one target"}},
		{"wrong type", "targets: 5\n", []string{"line 1"}},
		{"not yaml", "targets: [\n", []string{"line"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.doc), env(nil))
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

func TestSecretNeverInErrors(t *testing.T) {
	doc := "targets:\n  - name: a\n    kind: rest\n    url: ftp://x\n    username: u\n    password_env: P\n"
	_, err := config.Parse([]byte(doc), env(map[string]string{"P": "hunter2"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultIsTheDemo(t *testing.T) {
	d := config.Default()
	if d.Listen != ":8080" || d.Database != "syncmon.db" || len(d.Targets) != 1 || d.Targets[0].Kind != "simulator" || !d.Auth.AnonymousViewer {
		t.Fatalf("default = %+v", d)
	}
	if _, err := os.Stat("testdata/example.yaml"); err != nil {
		t.Fatal(err)
	}
	if d.PageRefresh != 30*time.Second {
		t.Errorf("default page_refresh %v; want 30s", d.PageRefresh)
	}
	cfg, err := config.Parse([]byte("page_refresh: 5s\ntargets: [{name: a, kind: simulator}]\n"), env(nil))
	if err != nil || cfg.PageRefresh != 5*time.Second {
		t.Fatalf("page_refresh: 5s gave %v, %v", cfg.PageRefresh, err)
	}
}

func TestServiceManagerTarget(t *testing.T) {
	doc := "targets:\n  - name: fleet\n    kind: rest\n    service_manager_url: https://sm:9011\n    deployments: [east, west]\n" +
		"    events_interval: 500ms\n    stopped_paths: [dpArchive]\n    username: u\n    password_env: P\n" +
		"    thresholds: {path_lag_warning: 2m}\n"
	cfg, err := config.Parse([]byte(doc), env(map[string]string{"P": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	tg := cfg.Targets[0]
	if tg.ServiceManagerURL != "https://sm:9011" || tg.URL != "" || !slices.Equal(tg.Deployments, []string{"east", "west"}) {
		t.Errorf("got %+v", tg)
	}
	if tg.EventsInterval != 500*time.Millisecond || tg.Rediscover != monitor.DefaultRediscover {
		t.Errorf("got events_interval %s, rediscover %s", tg.EventsInterval, tg.Rediscover)
	}
	if !slices.Equal(tg.Policy.StoppedPaths, []string{"DPARCHIVE"}) {
		t.Errorf("got stopped paths %q, want [DPARCHIVE]", tg.Policy.StoppedPaths)
	}
	if tg.Thresholds.PathLagWarning != 2*time.Minute || tg.Thresholds.PathLagCritical != monitor.DefaultThresholds().PathLagCritical {
		t.Errorf("got path lag thresholds %s/%s", tg.Thresholds.PathLagWarning, tg.Thresholds.PathLagCritical)
	}
}

func TestLenientEnvAnswersAPlaceholderEveryEnvKeyAccepts(t *testing.T) {
	doc := "targets:\n  - name: ma\n    kind: rest\n    url: https://ogg:9011\n    username: u\n    password_env: PW\n" +
		"auth:\n  metrics_token_env: TOKEN\n" +
		"notifications:\n  - name: chat\n    kind: slack\n    url_env: URL\n"
	var unset []string
	getenv := config.LenientEnv(func(string) string { return "" }, func(n string) { unset = append(unset, n) })
	if _, err := config.Parse([]byte(doc), getenv); err != nil {
		t.Fatalf("Parse with LenientEnv: %v", err)
	}
	slices.Sort(unset)
	if got, want := strings.Join(unset, ","), "PW,TOKEN,URL"; got != want {
		t.Errorf("unset = %s, want %s", got, want)
	}
	set := config.LenientEnv(func(n string) string { return "v-" + n }, func(n string) { t.Errorf("%s reported unset", n) })
	if got, want := set("X"), "v-X"; got != want {
		t.Errorf("set variable = %q, want %q", got, want)
	}
}

func TestTrustedProxiesParsed(t *testing.T) {
	cfg, err := config.Parse([]byte("trusted_proxies: [10.1.2.3/8, 127.0.0.1, \"::1\"]\ntargets: [{name: a, kind: simulator}]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 127.0.0.1/32 ::1/128" {
		t.Fatalf("trusted_proxies = %v", got)
	}
}
