package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

const kinds = "webhook, slack, teams, email or heartbeat"

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
		n.URL = v.hookURL(key, fn.URLEnv, getenv)
	case NotifyHeartbeat:
		n.URL = v.hookURL(key, fn.URLEnv, getenv)
		v.heartbeat(key, fn, &n)
		return n
	case NotifyEmail:
		if fn.URLEnv != "" {
			v.fail(key+".url_env", "not for kind email (host, port, from and to say where mail goes)")
		}
		n.Email = v.email(key, fn, getenv)
	case "":
		v.fail(key+".kind", "required (%s)", kinds)
	default:
		v.fail(key+".kind", "unknown kind %q (%s)", n.Kind, kinds)
	}
	if n.Kind != NotifyEmail {
		v.noEmailKeys(key, fn)
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

// hookURL reads the http(s) URL from the variable urlEnv names; the error
// never quotes it (it holds a token).
func (v *validator) hookURL(key, urlEnv string, getenv func(string) string) monitor.Secret {
	if urlEnv == "" {
		v.fail(key+".url_env", "required: the name of the environment variable holding the URL (it contains a token, so never the file)")
		return ""
	}
	raw := getenv(urlEnv)
	if raw == "" {
		v.fail(key+".url_env", "environment variable %s is not set", urlEnv)
		return ""
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.fail(key+".url_env", "environment variable %s does not hold an http(s) URL", urlEnv)
		return ""
	}
	return monitor.Secret(raw)
}

// heartbeat checks a heartbeat channel: a URL and an interval, none of the
// alert routing keys (it sends no alerts).
func (v *validator) heartbeat(key string, fn fileNotification, n *Notification) {
	n.Interval = v.duration(key+".interval", fn.Interval, n.Interval)
	if n.Interval < time.Second || n.Interval > 24*time.Hour {
		v.fail(key+".interval", "must be from 1s to 24h")
	}
	n.Timeout = v.duration(key+".timeout", fn.Timeout, n.Timeout)
	if n.Timeout <= 0 {
		v.fail(key+".timeout", "must be positive")
	}
	for _, k := range setKeys("min_severity", fn.MinSeverity != "", "targets", fn.Targets != nil,
		"include_test", fn.IncludeTest, "include_acks", fn.IncludeAcks, "max_age", fn.MaxAge != "") {
		v.fail(key+"."+k, "not for kind heartbeat (it sends no alerts, only pings while SyncMon is healthy)")
	}
	v.noEmailKeys(key, fn)
}

// noEmailKeys refuses the email keys on a channel of another kind.
func (v *validator) noEmailKeys(key string, fn fileNotification) {
	for _, k := range setKeys("host", fn.Host != "", "port", fn.Port != 0, "tls", fn.TLS != "",
		"username", fn.Username != "", "password_env", fn.PasswordEnv != "", "from", fn.From != "",
		"to", fn.To != nil, "language", fn.Language != "") {
		v.fail(key+"."+k, "only for kind email")
	}
	if fn.Interval != "" && fn.Kind != NotifyHeartbeat {
		v.fail(key+".interval", "only for kind heartbeat")
	}
}

// email checks an email channel's SMTP server, sender and recipients.
// Plain SMTP (tls: none) is allowed only to a relay on this host: over a
// network it would carry the password and the alerts in clear.
func (v *validator) email(key string, fn fileNotification, getenv func(string) string) Email {
	e := NotificationDefaults().Email
	if fn.Interval != "" {
		v.fail(key+".interval", "only for kind heartbeat")
	}
	e.Host = strings.TrimSpace(fn.Host)
	if e.Host == "" || strings.ContainsAny(e.Host, " /:@") && !strings.HasPrefix(e.Host, "[") && net.ParseIP(e.Host) == nil {
		v.fail(key+".host", "required: the SMTP server's host name or address (no port: see port)")
	}
	if fn.TLS != "" {
		e.TLS = fn.TLS
	}
	switch e.TLS {
	case SMTPStartTLS:
		e.Port = 587
	case SMTPTLS:
		e.Port = 465
	case SMTPNone:
		e.Port = 25
		if !loopback(e.Host) {
			v.fail(key+".tls", "none is allowed only with a relay on this host (localhost, 127.0.0.1, ::1): use starttls or tls")
		}
	default:
		v.fail(key+".tls", "must be starttls, tls or none, not %q", e.TLS)
	}
	if fn.Port != 0 {
		e.Port = fn.Port
	}
	if e.Port < 1 || e.Port > 65535 {
		v.fail(key+".port", "must be from 1 to 65535, not %d", e.Port)
	}
	e.Username = fn.Username
	switch {
	case e.Username != "" && fn.PasswordEnv == "":
		v.fail(key+".password_env", "required with username: the name of the environment variable holding the SMTP password")
	case e.Username == "" && fn.PasswordEnv != "":
		v.fail(key+".username", "required with password_env")
	case fn.PasswordEnv != "":
		if pw := getenv(fn.PasswordEnv); pw == "" {
			v.fail(key+".password_env", "environment variable %s is not set", fn.PasswordEnv)
		} else {
			e.Password = monitor.Secret(pw)
		}
	}
	if fn.From == "" {
		v.fail(key+".from", "required: the sender address, e.g. SyncMon <syncmon@example.com>")
	} else if _, err := mail.ParseAddress(fn.From); err != nil {
		v.fail(key+".from", "not a mail address: %q", fn.From)
	} else {
		e.From = fn.From
	}
	if len(fn.To) == 0 {
		v.fail(key+".to", "required: at least one recipient address")
	}
	for i, to := range fn.To {
		if _, err := mail.ParseAddress(to); err != nil {
			v.fail(fmt.Sprintf("%s.to[%d]", key, i), "not a mail address: %q", to)
			continue
		}
		e.To = append(e.To, to)
	}
	switch fn.Language {
	case "":
	case "ko", "en":
		e.Language = fn.Language
	default:
		v.fail(key+".language", "must be ko or en, not %q", fn.Language)
	}
	return e
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// setKeys takes pairs (key, whether it is set) and returns the set keys, in order.
func setKeys(pairs ...any) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1].(bool) {
			out = append(out, pairs[i].(string))
		}
	}
	return out
}
