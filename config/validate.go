package config

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

type validator struct {
	lines map[string]int
	errs  Errors
}

func (v *validator) fail(key, format string, args ...any) {
	line := v.lines[key]
	for k := key; line == 0 && k != ""; {
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
		line = v.lines[k]
	}
	v.errs = append(v.errs, Error{Key: key, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) duration(key, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		v.fail(key, "invalid duration %q (use e.g. 30s, 5m)", s)
		return def
	}
	return d
}

func (v *validator) build(f file, getenv func(string) string) Config {
	cfg := Default()
	cfg.Targets = nil
	cfg.Auth.AnonymousViewer = false // the demo's default; a config file opts in
	if f.Listen != nil {
		cfg.Listen = *f.Listen
	}
	if f.Database != nil {
		cfg.Database = *f.Database
		if cfg.Database == "" {
			v.fail("database", "must not be empty")
		}
	}
	if f.Auth != nil {
		v.auth(f.Auth, getenv, &cfg.Auth)
	}
	v.tls(f, &cfg)
	if f.Log != nil {
		if f.Log.Format != "" {
			cfg.Log.Format = f.Log.Format
		}
		if f.Log.Level != "" {
			cfg.Log.Level = f.Log.Level
		}
	}
	switch cfg.Log.Format {
	case "text", "json":
	default:
		v.fail("log.format", "must be text or json, not %q", cfg.Log.Format)
	}
	switch cfg.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.fail("log.level", "must be debug, info, warn or error, not %q", cfg.Log.Level)
	}
	cfg.PingInterval = v.duration("ping_interval", f.PingInterval, cfg.PingInterval)
	if cfg.PingInterval < time.Second || cfg.PingInterval > time.Minute {
		v.fail("ping_interval", "must be from 1s to 1m (idle proxies cut quiet lines; screens call a line dead after 3 missed pings)")
	}
	cfg.SpeechRepeat = v.duration("speech_repeat", f.SpeechRepeat, cfg.SpeechRepeat)
	if f.UI != nil {
		cfg.StaleAlarm = v.duration("ui.stale_alarm", f.UI.StaleAlarm, cfg.StaleAlarm)
		if cfg.StaleAlarm < time.Second || cfg.StaleAlarm > time.Hour {
			v.fail("ui.stale_alarm", "must be from 1s to 1h (a page stale this long chimes and says the connection is lost)")
		}
	}
	cfg.PageRefresh = v.duration("page_refresh", f.PageRefresh, cfg.PageRefresh)
	if cfg.PageRefresh < time.Second {
		v.fail("page_refresh", "must be at least 1s")
	}
	for i, o := range f.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			v.fail(fmt.Sprintf("allowed_origins[%d]", i), "must be an origin like https://host:port, not %q", o)
			continue
		}
		cfg.AllowedOrigins = append(cfg.AllowedOrigins, strings.ToLower(o))
	}
	for i, p := range f.TrustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p) // a single address
			if aerr != nil {
				v.fail(fmt.Sprintf("trusted_proxies[%d]", i), "must be an address or a CIDR range like 10.0.0.0/8, not %q", p)
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, pfx.Masked())
	}
	cfg.Retention = v.retention(f.Retention, cfg.Retention)
	if len(f.Targets) == 0 {
		v.fail("targets", "at least one target is required")
	}
	names := map[string]int{}
	for i, ft := range f.Targets {
		key := fmt.Sprintf("targets[%d]", i)
		t := v.target(key, ft, getenv)
		if prev, dup := names[t.Name]; dup && t.Name != "" {
			v.fail(key+".name", "duplicate target name %q (also targets[%d])", t.Name, prev)
		}
		names[t.Name] = i
		if ft.Speed != 0 {
			cfg.Speeds[t.Name] = ft.Speed
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	v.outbound(f.fileOutbound, names, getenv, &cfg) // notifications.go
	return cfg
}

func (v *validator) target(key string, ft fileTarget, getenv func(string) string) monitor.Target {
	t := monitor.Target{
		Name: ft.Name, Kind: ft.Kind, Schedule: ft.Schedule, Command: ft.Command,
		URL: ft.URL, Username: ft.Username, CAFile: ft.CAFile,
		InsecureSkipVerify: ft.InsecureSkipVerify, ErrLog: ft.ErrLog,
	}
	if t.Name == "" {
		v.fail(key+".name", "required")
	} else if strings.ContainsAny(t.Name, "/\\?#%<>\"' \t\n") {
		v.fail(key+".name", "%q: use letters, digits, '-', '_' or '.'", t.Name)
	}
	if t.Schedule == "" {
		t.Schedule = defaultSchedule
	}
	if _, err := monitor.ParseSchedule(t.Schedule); err != nil {
		v.fail(key+".schedule", "invalid cron spec %q (six fields with seconds, e.g. \"*/10 * * * * *\", or \"@every 10s\")", t.Schedule)
	}
	t.Timeout = v.duration(key+".timeout", ft.Timeout, defaultTimeout)
	t.Thresholds = v.thresholds(key+".thresholds", ft.Thresholds, monitor.DefaultThresholds())
	for g, m := range ft.Groups {
		if t.Groups == nil {
			t.Groups = map[string]monitor.Thresholds{}
		}
		t.Groups[strings.ToUpper(g)] = v.thresholds(key+".groups."+g, m, t.Thresholds)
	}
	t.Policy = v.policy(key, ft)
	v.depth(key, ft, getenv, &t) // depth.go
	if ft.Speed < 0 || (ft.Speed != 0 && ft.Kind != monitor.KindSimulator) {
		v.fail(key+".speed", "only a simulator target takes a positive speed")
	}
	switch ft.Kind {
	case "":
		v.fail(key+".kind", "required (ggsci, adminclient, rest or simulator)")
	case monitor.KindSimulator:
	case monitor.KindGGSCI, monitor.KindAdminClient:
		if len(ft.Command) == 0 || ft.Command[0] == "" {
			v.fail(key+".command", "required for kind %s (e.g. [\"/u01/ogg/ggsci\"] or [\"/u01/ogg/bin/adminclient\"])", ft.Kind)
		}
	case monitor.KindREST:
		v.restURLs(key, ft, &t)
		if ft.Username == "" {
			v.fail(key+".username", "required for kind rest")
		}
		if ft.PasswordEnv == "" {
			v.fail(key+".password_env", "required for kind rest: the name of the environment variable holding the password")
		} else if pw := getenv(ft.PasswordEnv); pw == "" {
			v.fail(key+".password_env", "environment variable %s is not set", ft.PasswordEnv)
		} else {
			t.Password = monitor.Secret(pw)
		}
		if ft.CAFile != "" {
			if pem, err := os.ReadFile(ft.CAFile); err != nil {
				v.fail(key+".ca_file", "cannot read %q", ft.CAFile)
			} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
				v.fail(key+".ca_file", "%q holds no PEM certificate", ft.CAFile)
			}
		}
	default:
		v.fail(key+".kind", "unknown kind %q (ggsci, adminclient, rest or simulator)", ft.Kind)
	}
	if ft.Kind != monitor.KindREST {
		for _, k := range []struct {
			name string
			set  bool
		}{{"service_manager_url", ft.ServiceManagerURL != ""}, {"deployments", ft.Deployments != nil},
			{"events_interval", ft.EventsInterval != ""}, {"rediscover", ft.Rediscover != ""}, {"stopped_paths", ft.StoppedPaths != nil}} {
			if k.set {
				v.fail(key+"."+k.name, "only a rest target takes %s", k.name)
			}
		}
	}
	return t
}

// restURLs checks a rest target's url or service_manager_url (exactly one)
// and the keys of Service Manager discovery.
func (v *validator) restURLs(key string, ft fileTarget, t *monitor.Target) {
	checkURL := func(name, raw string) {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.fail(key+"."+name, "must be an http(s) URL such as https://ogg-ma:9011")
		} else if u.User != nil {
			v.fail(key+"."+name, "must not carry credentials: use username and password_env")
		}
	}
	switch {
	case ft.URL != "" && ft.ServiceManagerURL != "":
		v.fail(key+".service_manager_url", "give url (one Administration Service) or service_manager_url (discovery), not both")
	case ft.URL != "":
		checkURL("url", ft.URL)
	case ft.ServiceManagerURL != "":
		checkURL("service_manager_url", ft.ServiceManagerURL)
	default:
		v.fail(key+".url", "required for kind rest: an http(s) URL such as https://ogg-ma:9011 (or service_manager_url)")
	}
	t.ServiceManagerURL = ft.ServiceManagerURL
	t.EventsInterval = v.duration(key+".events_interval", ft.EventsInterval, monitor.DefaultEventsInterval)
	if t.EventsInterval < 100*time.Millisecond || t.EventsInterval > 5*time.Minute {
		v.fail(key+".events_interval", "must be from 100ms to 5m")
	}
	t.Rediscover = v.duration(key+".rediscover", ft.Rediscover, monitor.DefaultRediscover)
	if t.Rediscover < 10*time.Second {
		v.fail(key+".rediscover", "must be at least 10s")
	}
	seen := map[string]bool{}
	for i, d := range ft.Deployments {
		switch {
		case strings.TrimSpace(d) == "" || strings.ContainsAny(d, "/?#%\\ \t\n"):
			v.fail(fmt.Sprintf("%s.deployments[%d]", key, i), "%q is not a deployment name", d)
		case seen[d]:
			v.fail(fmt.Sprintf("%s.deployments[%d]", key, i), "%q is listed twice", d)
		default:
			seen[d] = true
			t.Deployments = append(t.Deployments, d)
		}
	}
	if len(ft.Deployments) > 0 && ft.ServiceManagerURL == "" {
		v.fail(key+".deployments", "only with service_manager_url (url names one deployment already)")
	}
	if ft.StoppedPaths != nil && ft.ServiceManagerURL == "" {
		v.fail(key+".stopped_paths", "only with service_manager_url (paths are read through the Service Manager)")
	}
}

func (v *validator) thresholds(key string, m map[string]string, th monitor.Thresholds) monitor.Thresholds {
	fields := map[string]*time.Duration{
		"lag_warning": &th.LagWarning, "lag_critical": &th.LagCritical,
		"checkpoint_warning": &th.CheckpointWarning, "checkpoint_critical": &th.CheckpointCritical,
		"starting_limit":   &th.StartingLimit,
		"path_lag_warning": &th.PathLagWarning, "path_lag_critical": &th.PathLagCritical,
	}
	for k, p := range depthThresholdKeys(&th) { // depth.go
		fields[k] = p
	}
	for name, s := range m {
		if v.depthCount(key, name, s, &th) {
			continue
		}
		if name == "lag_growing_checks" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 100 {
				v.fail(key+"."+name, "must be a whole number from 0 (off) to 100, not %q", s)
				continue
			}
			th.LagGrowingChecks = n
			continue
		}
		p, ok := fields[name]
		if !ok {
			v.fail(key+"."+name, "unknown threshold (see docs/syncmon.example.yaml for every key)")
			continue
		}
		*p = v.duration(key+"."+name, s, *p)
	}
	if th.LagWarning > th.LagCritical {
		v.fail(key+".lag_warning", "must not exceed lag_critical")
	}
	if th.CheckpointWarning > th.CheckpointCritical {
		v.fail(key+".checkpoint_warning", "must not exceed checkpoint_critical")
	}
	if th.PathLagWarning > th.PathLagCritical {
		v.fail(key+".path_lag_warning", "must not exceed path_lag_critical")
	}
	v.depthOrder(key, th)
	return th
}

var knownRules = map[string]bool{
	monitor.RuleUnreachable: true, monitor.RuleCredentials: true, monitor.RuleParserBlind: true,
	monitor.RuleManagerDown: true, monitor.RuleProcessStatus: true, monitor.RuleStarting: true,
	monitor.RuleLag: true, monitor.RuleCheckpointAge: true, monitor.RuleLagGrowing: true,
	monitor.RuleFlapping: true, monitor.RuleGroupGone: true, monitor.RuleGroupNew: true, monitor.RuleOGGError: true,
	monitor.RuleServiceStatus: true, monitor.RulePathStatus: true, monitor.RulePathLag: true,
	monitor.RuleLongTransaction: true, monitor.RuleRecoveryAge: true, monitor.RuleStalled: true, monitor.RuleDiscards: true,
	monitor.RuleHeartbeatLag: true, monitor.RuleHeartbeatStale: true,
}

var oggCode = regexp.MustCompile(`^OGG-\d{5}$`)

func (v *validator) policy(key string, ft fileTarget) monitor.Policy {
	p := monitor.DefaultPolicy()
	for _, g := range ft.ExpectedStopped {
		p.ExpectedStopped = append(p.ExpectedStopped, strings.ToUpper(g))
	}
	for _, n := range ft.StoppedPaths {
		p.StoppedPaths = append(p.StoppedPaths, strings.ToUpper(n))
	}
	counts := func(name string, in map[string]int, out map[string]int) {
		for rule, n := range in {
			if !knownRules[rule] {
				v.fail(key+"."+name+"."+rule, "unknown rule")
				continue
			}
			if n < 1 || n > 100 {
				v.fail(key+"."+name+"."+rule, "must be from 1 to 100 checks")
				continue
			}
			out[rule] = n
		}
	}
	counts("open_after", ft.OpenAfter, p.OpenAfter)
	counts("resolve_after", ft.ResolveAfter, p.ResolveAfter)
	for code, sev := range ft.ErrorCodes {
		if !oggCode.MatchString(strings.ToUpper(code)) {
			v.fail(key+".error_codes."+code, "must be an OGG message code like OGG-01668")
			continue
		}
		if sev != monitor.SeverityWarning && sev != monitor.SeverityCritical {
			v.fail(key+".error_codes."+code, "severity must be warning or critical, not %q", sev)
			continue
		}
		p.ErrorCodes[strings.ToUpper(code)] = sev
	}
	return p
}

func (v *validator) retention(m map[string]string, r Retention) Retention {
	fields := map[string]*time.Duration{"events": &r.Events, "samples": &r.Samples, "resolved_alerts": &r.ResolvedAlerts}
	for name, s := range m {
		p, ok := fields[name]
		if !ok {
			v.fail("retention."+name, "unknown key (events, samples, resolved_alerts)")
			continue
		}
		*p = v.duration("retention."+name, s, *p)
	}
	return r
}

// minMetricsToken is the shortest bearer token accepted for /metrics.
const minMetricsToken = 16

func (v *validator) auth(fa *fileAuth, getenv func(string) string, a *Auth) {
	a.AnonymousViewer = fa.AnonymousViewer
	a.SessionIdle = v.duration("auth.session_idle", fa.SessionIdle, a.SessionIdle)
	a.SessionMax = v.duration("auth.session_max", fa.SessionMax, a.SessionMax)
	a.KioskSession = v.duration("auth.kiosk_session", fa.KioskSession, a.KioskSession)
	if a.SessionIdle > a.SessionMax {
		v.fail("auth.session_idle", "must not exceed session_max (%s)", a.SessionMax)
	}
	if fa.MetricsTokenEnv != "" {
		switch tok := getenv(fa.MetricsTokenEnv); {
		case tok == "":
			v.fail("auth.metrics_token_env", "environment variable %s is not set", fa.MetricsTokenEnv)
		case len(tok) < minMetricsToken:
			v.fail("auth.metrics_token_env", "the token in %s is too short: use at least %d random characters", fa.MetricsTokenEnv, minMetricsToken)
		default:
			a.MetricsToken = monitor.Secret(tok)
		}
	}
}

// tls checks that the certificate and key come as a pair of readable files.
func (v *validator) tls(f file, cfg *Config) {
	cfg.TLSCert, cfg.TLSKey = f.TLSCert, f.TLSKey
	switch {
	case f.TLSCert == "" && f.TLSKey == "":
		return
	case f.TLSCert == "": // the line is the one of the key that is there
		v.errs = append(v.errs, Error{Key: "tls_cert", Line: v.lines["tls_key"], Msg: "required with tls_key"})
		return
	case f.TLSKey == "":
		v.errs = append(v.errs, Error{Key: "tls_key", Line: v.lines["tls_cert"], Msg: "required with tls_cert"})
		return
	}
	for _, kv := range [][2]string{{"tls_cert", f.TLSCert}, {"tls_key", f.TLSKey}} {
		if _, err := os.Stat(kv[1]); err != nil {
			v.fail(kv[0], "cannot read %q", kv[1])
		}
	}
}
