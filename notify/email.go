package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// deliver makes one delivery attempt of e on the channel: a mail, or a
// POST of body.
func (c *channel) deliver(ctx context.Context, e store.Event, key string, body []byte) error {
	if c.cfg.Kind == config.NotifyEmail {
		return c.mail(ctx, e, key)
	}
	return c.post(ctx, key, body)
}

// mail sends e as one message to the channel's recipients within its
// timeout. A 5xx answer to the message (the server refuses it for good)
// is permanent; anything else (4xx, no answer, TLS or AUTH trouble) is
// retried like an HTTP 503.
func (c *channel) mail(ctx context.Context, e store.Event, key string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	m, err := c.message(e, key)
	if err != nil {
		return &sendError{msg: "mail via " + c.host + ": " + c.redactMail(err.Error()), permanent: true}
	}
	client, err := mail.NewClient(c.cfg.Email.Host, c.mailOptions()...)
	if err != nil {
		return &sendError{msg: "mail via " + c.host + ": " + c.redactMail(err.Error()), permanent: true}
	}
	err = client.DialAndSendWithContext(ctx, m)
	if err == nil {
		return nil
	}
	se := &sendError{msg: "mail via " + c.host + ": " + c.redactMail(err.Error())}
	if errors.Is(err, context.DeadlineExceeded) {
		se.msg = fmt.Sprintf("mail via %s: no answer within %s", c.host, c.cfg.Timeout)
	}
	var me *mail.SendError
	if errors.As(err, &me) && !me.IsTemp() && me.ErrorCode() >= 500 {
		se.permanent = true
	}
	return se
}

func (c *channel) mailOptions() []mail.Option {
	em := c.cfg.Email
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.o.TLSConfig != nil {
		tc = c.o.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = strings.Trim(em.Host, "[]")
	}
	opts := []mail.Option{mail.WithPort(em.Port), mail.WithTimeout(c.cfg.Timeout), mail.WithTLSConfig(tc)}
	switch em.TLS {
	case config.SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case config.SMTPNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default: // starttls: refuse to go on without it
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if em.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(em.Username), mail.WithPassword(em.Password.Reveal()))
	}
	return opts
}

// redactMail keeps the SMTP password out of an error text, should a server
// or library ever quote it.
func (c *channel) redactMail(s string) string {
	if pw := c.cfg.Email.Password.Reveal(); len(pw) > 1 {
		s = strings.ReplaceAll(s, pw, "[redacted]")
	}
	return s
}

// message is e as a plain-text mail in the channel's language. Its
// Message-ID derives from the idempotency key, so that every attempt of
// one event is the same message to the receiving side.
func (c *channel) message(e store.Event, key string) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(c.cfg.Email.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := m.To(c.cfg.Email.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	subject, body := mailText(e, c.cfg.Email.Language, c.link(e))
	m.Subject(subject)
	m.SetBodyString(mail.TypeTextPlain, body)
	m.SetMessageIDWithValue(key + "@syncmon")
	m.SetDateWithValue(e.At)
	m.SetGenHeader("Idempotency-Key", key)
	return m, nil
}

// link is the alert's page at public_url, or "".
func (c *channel) link(e store.Event) string {
	if c.o.PublicURL == "" || e.Alert == nil {
		return ""
	}
	return fmt.Sprintf("%s/alerts/%d", c.o.PublicURL, e.Alert.ID)
}

// mailText is the subject and body of e's mail in lang (ko or en): what
// happened, the alert's message and speech, target, process, rule,
// severity, when, who acknowledged, and a link.
func mailText(e store.Event, lang, link string) (subj, body string) {
	a := *e.Alert
	en, ko := verbs(e.Type)
	l := mailLabels[0]
	verb, sev, speech := en, strings.ToUpper(a.Severity), a.Speech.En
	if lang == "ko" {
		l, verb, sev, speech = mailLabels[1], ko, severityKo(a.Severity), a.Speech.Ko
	}
	subj = fmt.Sprintf("[SyncMon] [%s] %s — %s", sev, verb, subject(a))
	if a.Test {
		subj = "[SyncMon] [" + l.test + "] " + strings.TrimPrefix(subj, "[SyncMon] ")
	}
	var b strings.Builder
	if speech == "" {
		speech = a.Message
	}
	b.WriteString(speech + "\n\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-*s %s\n", l.width, k+":", v)
		}
	}
	row(l.alert, fmt.Sprintf("#%d %s", a.ID, verb))
	row(l.severity, sev)
	row(l.target, a.Target)
	row(l.process, strings.TrimSpace(a.Program+" "+a.Group))
	row(l.rule, a.Rule)
	row(l.message, a.Message)
	row(l.when, e.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	if a.AckedBy != nil && (e.Type == monitor.AlertAcked || e.Type == monitor.AlertUnacked) {
		ack := *a.AckedBy
		if a.Comment != nil && *a.Comment != "" {
			ack += ": " + *a.Comment
		}
		row(l.acked, ack)
	}
	row(l.link, link)
	fmt.Fprintf(&b, "\n-- \nSyncMon · %s %d\n", l.event, e.Seq)
	return subj, b.String()
}

var mailLabels = [2]struct {
	width                                                                           int
	test, alert, severity, target, process, rule, message, when, acked, link, event string
}{
	{10, "TEST", "Alert", "Severity", "Target", "Process", "Rule", "Message", "When", "Acked by", "Link", "event"},
	{6, "시험", "경보", "심각도", "대상", "프로세스", "규칙", "메시지", "시각", "확인자", "링크", "이벤트"},
}

// mailHost is what logs and errors name for an email channel: host:port.
func mailHost(em config.Email) string {
	return net.JoinHostPort(strings.Trim(em.Host, "[]"), strconv.Itoa(em.Port))
}
