// Package config reads SyncMon's YAML configuration: strictly (unknown keys
// are errors), with every error naming the key and its line, and with every
// default in one place (Default).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"gopkg.in/yaml.v3"
)

// Config is SyncMon's validated configuration.
type Config struct {
	Listen         string
	Database       string
	Targets        []monitor.Target
	Auth           Auth
	Log            Log
	PingInterval   time.Duration // heartbeat on every event transport
	SpeechRepeat   time.Duration // how often screens repeat unacknowledged critical alerts
	PageRefresh    time.Duration // how often pages reload themselves when JS is off
	AllowedOrigins []string      // browser origins besides SyncMon's own
	// TrustedProxies are the peers whose X-Forwarded-For / X-Real-IP is
	// believed (for logs and sign-in limits); none by default.
	TrustedProxies []netip.Prefix
	Retention      Retention
	// Speeds holds the scenario speed of simulator targets, by target name.
	Speeds map[string]float64
	// TLSCert and TLSKey are PEM files: when set, SyncMon serves HTTPS itself.
	TLSCert string
	TLSKey  string
	// PublicURL is where people reach SyncMon (e.g. https://syncmon.example):
	// notifications link back to the alert there. Empty: no link.
	PublicURL string
	// Notifications are the outbound channels (chat, webhooks, email) alerts
	// go to, and heartbeat pings to an outside monitor.
	Notifications []Notification
	// Cluster is cluster mode (see cluster.go); nil runs one node on SQLite.
	Cluster *Cluster
	// StaleAlarm is how long a page's line may stay stale before the page
	// chimes and says the connection is lost (ui.stale_alarm).
	StaleAlarm time.Duration
}

// Notification kinds.
const (
	NotifyWebhook = "webhook" // generic JSON: the event as on the wire, plus an idempotency key
	NotifySlack   = "slack"   // Slack incoming webhook
	NotifyTeams   = "teams"   // Microsoft Teams incoming webhook or Workflows webhook (Adaptive Card)
	NotifyEmail   = "email"   // SMTP, one mail per alert event, in the recipients' language
	// NotifyHeartbeat is no alert channel: it calls its URL every Interval
	// while SyncMon is healthy (a push monitor such as healthchecks.io or
	// Uptime Kuma), so that its silence tells an outside system of trouble.
	NotifyHeartbeat = "heartbeat"
)

// SMTP connection security for email channels.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS, required (submission, port 587)
	SMTPTLS      = "tls"      // TLS from the first byte (submissions, port 465)
	SMTPNone     = "none"     // no encryption: only to a relay on this host (localhost, 127.0.0.1, ::1)
)

// Notification is one outbound channel and its route: which alert events
// reach it. Its URL holds a token; it comes only from url_env.
type Notification struct {
	Name        string
	Kind        string
	URL         monitor.Secret
	MinSeverity string   // warning or critical
	Targets     []string // empty: every target
	IncludeTest bool     // test alerts too
	IncludeAcks bool     // acknowledgements (and taking them back) too
	Timeout     time.Duration
	MaxAge      time.Duration // an event not delivered by then is given up, visibly
	Interval    time.Duration // heartbeat: time between pings
	Email       Email         // email: the SMTP server, sender and recipients
}

// Email is an email channel's SMTP server, sender and recipients. The
// password comes only from password_env.
type Email struct {
	Host     string
	Port     int
	TLS      string // starttls, tls or none
	Username string // empty: no AUTH
	Password monitor.Secret
	From     string
	To       []string
	Language string // ko or en: the language of subject and body
}

// NotificationDefaults is what a notifications entry leaves out.
func NotificationDefaults() Notification {
	return Notification{MinSeverity: monitor.SeverityWarning, Timeout: 10 * time.Second, MaxAge: 24 * time.Hour,
		Interval: 60 * time.Second, Email: Email{TLS: SMTPStartTLS, Language: "en"}}
}

// Retention is how long history is kept before it is pruned.
type Retention struct {
	Events         time.Duration // the event log (screens further behind reload their snapshot)
	Samples        time.Duration // lag and checkpoint samples (charts)
	ResolvedAlerts time.Duration // resolved alerts and their history
}

// Auth is the access configuration.
type Auth struct {
	AnonymousViewer bool          // visitors without credentials may read, never act
	SessionIdle     time.Duration // a browser session ends after this long unused
	SessionMax      time.Duration // and this long after sign-in in any case
	KioskSession    time.Duration // how long a wall display stays paired (its cookie's lifetime)
	// MetricsToken, read from the variable metrics_token_env names, lets a
	// scraper read /metrics from another host with "Authorization: Bearer".
	MetricsToken monitor.Secret
}

// Log is the logging configuration.
type Log struct {
	Format string // text or json
	Level  string // debug, info, warn, error
}

// Default is the configuration SyncMon runs with when given no file: the
// demo, with one simulator target and anonymous viewing on.
func Default() Config {
	return Config{
		Listen:       ":8080",
		Database:     "syncmon.db",
		Auth:         Auth{AnonymousViewer: true, SessionIdle: 2 * time.Hour, SessionMax: 24 * time.Hour, KioskSession: 400 * 24 * time.Hour},
		Log:          Log{Format: "text", Level: "info"},
		PingInterval: 10 * time.Second,
		SpeechRepeat: 60 * time.Second,
		StaleAlarm:   60 * time.Second,
		PageRefresh:  30 * time.Second,
		Targets: []monitor.Target{{
			Name: "demo", Kind: monitor.KindSimulator, Schedule: "@every 5s",
			Timeout: 10 * time.Second, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy(),
		}},
		Speeds:    map[string]float64{},
		Retention: Retention{Events: 7 * 24 * time.Hour, Samples: 8 * 24 * time.Hour, ResolvedAlerts: 90 * 24 * time.Hour},
	}
}

// Default values for what a config file leaves out.
const (
	defaultSchedule = "@every 10s"
	defaultTimeout  = 30 * time.Second
)

type file struct {
	Listen         *string           `yaml:"listen"`
	Database       *string           `yaml:"database"`
	Auth           *fileAuth         `yaml:"auth"`
	TLSCert        string            `yaml:"tls_cert"`
	TLSKey         string            `yaml:"tls_key"`
	Log            *fileLog          `yaml:"log"`
	PingInterval   string            `yaml:"ping_interval"`
	SpeechRepeat   string            `yaml:"speech_repeat"`
	PageRefresh    string            `yaml:"page_refresh"`
	AllowedOrigins []string          `yaml:"allowed_origins"`
	TrustedProxies []string          `yaml:"trusted_proxies"`
	Targets        []fileTarget      `yaml:"targets"`
	Retention      map[string]string `yaml:"retention"`
	UI             *fileUI           `yaml:"ui"`
	fileOutbound   `yaml:",inline"`
	Cluster        *fileCluster `yaml:"cluster"`
}

// fileOutbound is the part of the file about outbound notifications.
type fileOutbound struct {
	PublicURL     string             `yaml:"public_url"`
	Notifications []fileNotification `yaml:"notifications"`
}

type fileNotification struct {
	Name        string   `yaml:"name"`
	Kind        string   `yaml:"kind"`
	URLEnv      string   `yaml:"url_env"`
	MinSeverity string   `yaml:"min_severity"`
	Targets     []string `yaml:"targets"`
	IncludeTest bool     `yaml:"include_test"`
	IncludeAcks bool     `yaml:"include_acks"`
	Timeout     string   `yaml:"timeout"`
	MaxAge      string   `yaml:"max_age"`
	Interval    string   `yaml:"interval"`
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"`
	TLS         string   `yaml:"tls"`
	Username    string   `yaml:"username"`
	PasswordEnv string   `yaml:"password_env"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
	Language    string   `yaml:"language"`
}

type fileUI struct {
	StaleAlarm string `yaml:"stale_alarm"`
}

type fileAuth struct {
	AnonymousViewer bool   `yaml:"anonymous_viewer"`
	SessionIdle     string `yaml:"session_idle"`
	SessionMax      string `yaml:"session_max"`
	KioskSession    string `yaml:"kiosk_session"`
	MetricsTokenEnv string `yaml:"metrics_token_env"`
}

type fileLog struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

type fileTarget struct {
	Name               string                       `yaml:"name"`
	Kind               string                       `yaml:"kind"`
	Schedule           string                       `yaml:"schedule"`
	Timeout            string                       `yaml:"timeout"`
	Command            []string                     `yaml:"command"`
	URL                string                       `yaml:"url"`
	Username           string                       `yaml:"username"`
	PasswordEnv        string                       `yaml:"password_env"`
	CAFile             string                       `yaml:"ca_file"`
	InsecureSkipVerify bool                         `yaml:"insecure_skip_verify"`
	ErrLog             string                       `yaml:"errlog"`
	ServiceManagerURL  string                       `yaml:"service_manager_url"`
	Deployments        []string                     `yaml:"deployments"`
	EventsInterval     string                       `yaml:"events_interval"`
	Rediscover         string                       `yaml:"rediscover"`
	StoppedPaths       []string                     `yaml:"stopped_paths"`
	Thresholds         map[string]string            `yaml:"thresholds"`
	Groups             map[string]map[string]string `yaml:"groups"`
	ExpectedStopped    []string                     `yaml:"expected_stopped"`
	OpenAfter          map[string]int               `yaml:"open_after"`
	ResolveAfter       map[string]int               `yaml:"resolve_after"`
	ErrorCodes         map[string]string            `yaml:"error_codes"`
	Speed              float64                      `yaml:"speed"`
	fileDepth          `yaml:",inline"`             // collect, heartbeat_command, connect (depth.go)
}

// Error is one problem in a config file: the key's path, its line and what is wrong.
type Error struct {
	Key  string // e.g. "targets[1].schedule"
	Line int    // 0 when unknown
	Msg  string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Msg)
}

// Errors is every problem found in a config file.
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Load reads and validates the config file at path.
func Load(path string, getenv func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, getenv)
	if err != nil {
		return Config{}, fmt.Errorf("config %s:\n%w", path, err)
	}
	return cfg, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)

// Parse decodes and validates a config document.
func Parse(data []byte, getenv func(string) string) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
		msg = unknownField.ReplaceAllString(msg, `line $1: unknown key "$2"`)
		return Config{}, fmt.Errorf("%s", strings.TrimSpace(strings.ReplaceAll(msg, "\n  ", "\n")))
	}
	lines := map[string]int{}
	indexLines(&root, "", lines)
	v := validator{lines: lines}
	cfg := v.build(f, getenv)
	v.cluster(f.Cluster, getenv, &cfg)
	if len(v.errs) > 0 {
		return Config{}, v.errs
	}
	return cfg, nil
}

// indexLines records the line of every key path in the document.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			lines[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}
