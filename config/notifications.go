package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// outbound checks public_url and the notifications list. targets maps the
// configured target names (a route may only name those). An error never
// quotes a webhook URL: it holds the token.
func (v *validator) outbound(f fileOutbound, targets map[string]int, getenv func(string) string, cfg *Config) {
	if f.PublicURL != "" {
		u, err := url.Parse(f.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			v.fail("public_url", "must be an http(s) URL such as https://syncmon.example, not %q", f.PublicURL)
		} else {
			cfg.PublicURL = strings.TrimRight(f.PublicURL, "/")
		}
	}
	names := map[string]int{}
	for i, fn := range f.Notifications {
		key := fmt.Sprintf("notifications[%d]", i)
		n := v.notification(key, fn, targets, cfg.Retention.Events, getenv)
		if prev, dup := names[n.Name]; dup && n.Name != "" {
			v.fail(key+".name", "duplicate notification name %q (also notifications[%d])", n.Name, prev)
		}
		names[n.Name] = i
		cfg.Notifications = append(cfg.Notifications, n)
	}
}

func (v *validator) notification(key string, fn fileNotification, targets map[string]int, events time.Duration, getenv func(string) string) Notification {
	n := NotificationDefaults()
	n.Name, n.Kind, n.IncludeTest, n.IncludeAcks = fn.Name, fn.Kind, fn.IncludeTest, fn.IncludeAcks
	switch {
	case n.Name == "":
		v.fail(key+".name", "required")
	case strings.Trim(n.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "":
		// The name is part of every idempotency key and of the database rows.
		v.fail(key+".name", "%q: use letters, digits, '-', '_' or '.'", n.Name)
	}
	switch n.Kind {
	case NotifyWebhook, NotifySlack, NotifyTeams:
	case "":
		v.fail(key+".kind", "required (webhook, slack or teams)")
	default:
		v.fail(key+".kind", "unknown kind %q (webhook, slack or teams)", n.Kind)
	}
	if fn.URLEnv == "" {
		v.fail(key+".url_env", "required: the name of the environment variable holding the webhook URL (it contains a token, so never the file)")
	} else if raw := getenv(fn.URLEnv); raw == "" {
		v.fail(key+".url_env", "environment variable %s is not set", fn.URLEnv)
	} else if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.fail(key+".url_env", "environment variable %s does not hold an http(s) URL", fn.URLEnv)
	} else {
		n.URL = monitor.Secret(raw)
	}
	switch fn.MinSeverity {
	case "":
	case monitor.SeverityWarning, monitor.SeverityCritical:
		n.MinSeverity = fn.MinSeverity
	default:
		v.fail(key+".min_severity", "must be warning or critical, not %q", fn.MinSeverity)
	}
	for i, t := range fn.Targets {
		if _, ok := targets[t]; !ok {
			v.fail(fmt.Sprintf("%s.targets[%d]", key, i), "no target is named %q", t)
			continue
		}
		n.Targets = append(n.Targets, t)
	}
	n.Timeout = v.duration(key+".timeout", fn.Timeout, n.Timeout)
	n.MaxAge = v.duration(key+".max_age", fn.MaxAge, n.MaxAge)
	if n.MaxAge < n.Timeout {
		v.fail(key+".max_age", "must not be shorter than timeout (%s)", n.Timeout)
	}
	if events > 0 && n.MaxAge > events {
		// A pruned event could never be delivered nor given up visibly.
		v.fail(key+".max_age", "must not exceed retention.events (%s)", events)
	}
	return n
}
