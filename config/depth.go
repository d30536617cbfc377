package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// The keys of issue 15: what a ggsci or adminclient session runs beyond
// INFO ALL (collect), the heartbeat query's command line, the Admin
// Client's login, and the deeper rules' thresholds.

// fileDepth is inlined into a target.
type fileDepth struct {
	// Collect is a pointer so that "collect: []" (INFO ALL only) differs
	// from no key (everything).
	Collect          *[]string    `yaml:"collect"`
	HeartbeatCommand []string     `yaml:"heartbeat_command"`
	Connect          *fileConnect `yaml:"connect"`
}

type fileConnect struct {
	URL         string `yaml:"url"`
	Deployment  string `yaml:"deployment"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
}

// depth checks and sets the issue-15 keys of one target.
func (v *validator) depth(key string, ft fileTarget, getenv func(string) string, t *monitor.Target) {
	session := ft.Kind == monitor.KindGGSCI || ft.Kind == monitor.KindAdminClient
	if ft.Collect != nil {
		if !session {
			v.fail(key+".collect", "only for kind ggsci or adminclient")
		}
		t.Collect = []string{}
		for i, c := range *ft.Collect {
			if !slices.Contains(monitor.CollectAll, c) {
				v.fail(fmt.Sprintf("%s.collect[%d]", key, i), "unknown command %q (%s)", c, strings.Join(monitor.CollectAll, ", "))
				continue
			}
			t.Collect = append(t.Collect, c)
		}
	}
	if ft.HeartbeatCommand != nil {
		if !session {
			v.fail(key+".heartbeat_command", "only for kind ggsci or adminclient")
		} else if len(ft.HeartbeatCommand) == 0 || ft.HeartbeatCommand[0] == "" {
			v.fail(key+".heartbeat_command", "must name a command (e.g. [\"sqlplus\", \"-s\", \"/@ogg_mon\"])")
		}
		t.HeartbeatCommand = ft.HeartbeatCommand
	}
	switch {
	case ft.Kind == monitor.KindAdminClient && ft.Connect == nil:
		v.fail(key+".connect", "required for kind adminclient: {url, deployment, username, password_env}")
	case ft.Kind != monitor.KindAdminClient && ft.Connect != nil:
		v.fail(key+".connect", "only for kind adminclient")
	case ft.Connect != nil:
		t.Connect = v.connect(key+".connect", *ft.Connect, getenv)
	}
}

// connect checks the Admin Client's login. Every part goes into a command
// line GGSCI reads, so none may hold blanks.
func (v *validator) connect(key string, fc fileConnect, getenv func(string) string) *monitor.Connect {
	c := &monitor.Connect{URL: fc.URL, Deployment: fc.Deployment, Username: fc.Username}
	if u, err := url.Parse(fc.URL); fc.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(fc.URL, " \t\r\n") {
		v.fail(key+".url", "required: the deployment's http(s) URL, such as https://ogg-ma:9011")
	} else if u.User != nil {
		v.fail(key+".url", "must not carry credentials: use username and password_env")
	}
	if strings.ContainsAny(fc.Deployment, " \t\r\n'\"") {
		v.fail(key+".deployment", "%q: a deployment name has no blanks or quotes", fc.Deployment)
	}
	if fc.Username == "" || strings.ContainsAny(fc.Username, " \t\r\n'\"") {
		v.fail(key+".username", "required, without blanks or quotes")
	}
	switch pw := getenv(fc.PasswordEnv); {
	case fc.PasswordEnv == "":
		v.fail(key+".password_env", "required: the name of the environment variable holding the password")
	case pw == "":
		v.fail(key+".password_env", "environment variable %s is not set", fc.PasswordEnv)
	case strings.ContainsAny(pw, " \t\r\n"):
		// Never say what the password is, only what is wrong with it.
		v.fail(key+".password_env", "the password in %s holds a blank or a line break, which the Admin Client's CONNECT cannot take", fc.PasswordEnv)
	default:
		c.Password = monitor.Secret(pw)
	}
	return c
}

// depthThresholdKeys are the deeper rules' duration thresholds, by key.
func depthThresholdKeys(th *monitor.Thresholds) map[string]*time.Duration {
	return map[string]*time.Duration{
		"transaction_age_warning": &th.TransactionAgeWarning, "transaction_age_critical": &th.TransactionAgeCritical,
		"recovery_age_warning": &th.RecoveryAgeWarning, "recovery_age_critical": &th.RecoveryAgeCritical,
		"heartbeat_lag_warning": &th.HeartbeatLagWarning, "heartbeat_lag_critical": &th.HeartbeatLagCritical,
		"heartbeat_age_warning": &th.HeartbeatAgeWarning, "heartbeat_age_critical": &th.HeartbeatAgeCritical,
	}
}

// depthCount sets a count threshold (stalled_checks, discards_*); ok is
// false for other keys.
func (v *validator) depthCount(key, name, s string, th *monitor.Thresholds) (ok bool) {
	switch name {
	case "stalled_checks":
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			v.fail(key+"."+name, "must be a whole number from 0 (off) to 100, not %q", s)
		} else {
			th.StalledChecks = n
		}
	case "discards_warning", "discards_critical":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			v.fail(key+"."+name, "must be a whole number of discards per check, 0 for off, not %q", s)
		} else if name == "discards_warning" {
			th.DiscardsWarning = n
		} else {
			th.DiscardsCritical = n
		}
	default:
		return false
	}
	return true
}

// depthOrder checks that each deeper warning does not exceed its critical.
func (v *validator) depthOrder(key string, th monitor.Thresholds) {
	pairs := []struct {
		name string
		w, c time.Duration
	}{
		{"transaction_age", th.TransactionAgeWarning, th.TransactionAgeCritical},
		{"recovery_age", th.RecoveryAgeWarning, th.RecoveryAgeCritical},
		{"heartbeat_lag", th.HeartbeatLagWarning, th.HeartbeatLagCritical},
		{"heartbeat_age", th.HeartbeatAgeWarning, th.HeartbeatAgeCritical},
		{"discards", time.Duration(th.DiscardsWarning), time.Duration(th.DiscardsCritical)},
	}
	for _, p := range pairs {
		if p.w > 0 && p.c > 0 && p.w > p.c {
			v.fail(key+"."+p.name+"_warning", "must not exceed %s_critical", p.name)
		}
	}
}
