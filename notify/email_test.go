package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

const (
	smtpUser     = "syncmon"
	smtpPassword = "s3cret-SMTP-pw"
)

// mailServer is a real SMTP server on 127.0.0.1 (emersion/go-smtp): it
// offers STARTTLS with a certificate made for the test, and AUTH PLAIN only
// once the line is encrypted. refuse, when set, is the SMTP code it answers
// every recipient with.
type mailServer struct {
	addr   string
	port   int
	roots  *x509.CertPool
	refuse atomic.Int32

	mu    sync.Mutex
	mails []received
	tries int
	authd bool // someone signed in with the right password
	tlsOn bool // ... over TLS
}

type received struct {
	from string
	to   []string
	msg  *mail.Message
	body string
}

func newMailServer(t testing.TB) *mailServer { return startMailServer(t, false) }

// newMailServerTLS is a mail server that speaks TLS from the first byte
// (implicit TLS, "SMTPS", port 465 in real life) and offers no STARTTLS.
func newMailServerTLS(t testing.TB) *mailServer { return startMailServer(t, true) }

func startMailServer(t testing.TB, implicitTLS bool) *mailServer {
	t.Helper()
	cert, roots := testCert(t)
	ms := &mailServer{roots: roots}
	s := smtp.NewServer(ms)
	s.Domain = "mail.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	ms.port = ln.Addr().(*net.TCPAddr).Port
	if implicitTLS {
		ln = tls.NewListener(ln, s.TLSConfig)
		s.TLSConfig = nil // nothing to upgrade: the line is encrypted already
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

func (ms *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &mailSession{ms: ms, tls: isTLS}, nil
}

func (ms *mailServer) received() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.mails...)
}

type mailSession struct {
	ms   *mailServer
	tls  bool
	auth bool
	from string
	to   []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		s.auth = true
		s.ms.mu.Lock()
		s.ms.authd = true
		s.ms.mu.Unlock()
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ms.mu.Lock()
	s.ms.tries++
	s.ms.mu.Unlock()
	if code := int(s.ms.refuse.Load()); code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "not now: " + strconv.Itoa(code)}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	body := string(raw)
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			return err
		}
		body = string(b)
	}
	s.ms.mu.Lock()
	s.ms.mails = append(s.ms.mails, received{from: s.from, to: s.to, msg: m, body: body})
	s.ms.tlsOn = s.ms.tlsOn || s.tls
	s.ms.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// testCert is a certificate for mail.test and 127.0.0.1 and a pool
// trusting it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	ca := testutil.NewCA(t, "mail test CA")
	return ca.Issue(t, "mail.test"), ca.Pool()
}

// mailChannel is an email channel to ms in lang, over STARTTLS with AUTH.
func mailChannel(ms *mailServer, name, lang string) config.Notification {
	n := config.NotificationDefaults()
	n.Name, n.Kind, n.IncludeTest = name, config.NotifyEmail, true
	n.Timeout = 5 * time.Second
	n.Email = config.Email{Host: "127.0.0.1", Port: ms.port, TLS: config.SMTPStartTLS, Username: smtpUser,
		Password: monitor.Secret(smtpPassword), From: "SyncMon <syncmon@example.com>", To: []string{"noc@example.com"}, Language: lang}
	return n
}

func startMail(t testing.TB, st notify.Store, clk *clock, logs io.Writer, ms *mailServer, chans ...config.Notification) *notify.Notifier {
	t.Helper()
	n := notify.New(st, chans, notify.Options{
		Log:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PublicURL:  "https://syncmon.example/",
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Poll: 50 * time.Millisecond,
		Now:       clk.Now,
		TLSConfig: &tls.Config{RootCAs: ms.roots, MinVersion: tls.VersionTLS12},
	})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// A critical alert reaches a Korean and an English mailbox through STARTTLS
// and AUTH PLAIN, each in its own language, with what the alert is, where,
// when and a link.
func TestEmailInRecipientsLanguage(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	ms := newMailServer(t)
	var logs testutil.Buffer
	startMail(t, st, clk, &logs, ms, mailChannel(ms, "mail-ko", "ko"), mailChannel(ms, "mail-en", "en"))
	seqs := testAlerts(t, st, 1)
	testutil.Eventually(t, 10*time.Second, "two mails", func() bool { return len(ms.received()) == 2 })

	ms.mu.Lock()
	authd, tlsOn := ms.authd, ms.tlsOn
	ms.mu.Unlock()
	if !authd || !tlsOn {
		t.Fatalf("signed in %v, over TLS %v; want AUTH PLAIN after STARTTLS", authd, tlsOn)
	}
	byLang := map[string]received{}
	dec := new(mime.WordDecoder)
	for _, r := range ms.received() {
		subj, err := dec.DecodeHeader(r.msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		lang := "en"
		if strings.Contains(subj, "시험") {
			lang = "ko"
		}
		if r.from != "syncmon@example.com" || len(r.to) != 1 || r.to[0] != "noc@example.com" {
			t.Errorf("%s: envelope from %q to %q", lang, r.from, r.to)
		}
		if got, want := r.msg.Header.Get("Message-Id"), "<"+notify.IdempotencyKey(seqs[0], "mail-"+lang)+"@syncmon>"; got != want {
			t.Errorf("%s: Message-ID %q, want %q (the same for every attempt)", lang, got, want)
		}
		r.body = subj + "\n" + r.body
		byLang[lang] = r
	}
	want := map[string][]string{
		"ko": {"[SyncMon] [시험] [심각] 발생 — ", "경보:", "심각도:", "대상:", "시각:", "링크:", "https://syncmon.example/alerts/", "drill 0"},
		"en": {"[SyncMon] [TEST] [CRITICAL] opened — ", "Alert:", "Severity:", "Target:", "When:", "Link:", "https://syncmon.example/alerts/", "drill 0", " UTC"},
	}
	for lang, parts := range want {
		r, ok := byLang[lang]
		if !ok {
			t.Fatalf("no %s mail among %d", lang, len(ms.received()))
		}
		for _, p := range parts {
			if !strings.Contains(r.body, p) {
				t.Errorf("%s mail lacks %q:\n%s", lang, p, r.body)
			}
		}
	}
	if strings.Contains(byLang["ko"].body, "Severity:") || strings.Contains(byLang["en"].body, "심각도") {
		t.Errorf("a mail in the other language:\nko:\n%s\nen:\n%s", byLang["ko"].body, byLang["en"].body)
	}
	if strings.Contains(logs.String(), smtpPassword) {
		t.Fatalf("the SMTP password is in the log:\n%s", logs.String())
	}

	// A real ABEND: its process, group and spoken sentence in each language.
	target := monitor.Target{Name: "prod-east", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	for _, at := range []time.Duration{0, 30 * time.Second} {
		obs := monitor.Observation{Target: target.Name, Kind: target.Kind, ObservedAt: time.Now(), Processes: simulator.Processes(at)}
		if err := st.Record(context.Background(), target, obs); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "two more mails", func() bool { return len(ms.received()) >= 4 })
	var abend []string
	for _, r := range ms.received()[2:] {
		abend = append(abend, r.body)
	}
	all := strings.Join(abend, "\n")
	for _, p := range []string{"Process:   REPLICAT REP1", "Target:    prod-east", "프로세스:  REPLICAT REP1", "ABEND"} {
		if !strings.Contains(all, p) {
			t.Errorf("the ABEND mails lack %q:\n%s", p, all)
		}
	}
}

// A server that refuses (451, temporary) is retried, then given up after
// max_age, visibly as for the other kinds; one that refuses for good (550)
// is given up at once. The password shows nowhere.
func TestEmailRefusedIsRetriedThenGivenUp(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	ms := newMailServer(t)
	ms.refuse.Store(451)
	var logs testutil.Buffer
	ch := mailChannel(ms, "mail", "en")
	ch.MaxAge = time.Hour
	n := startMail(t, st, clk, &logs, ms, ch)
	seqs := testAlerts(t, st, 1)
	testutil.Eventually(t, 10*time.Second, "three refused attempts", func() bool {
		d, err := st.NotifyPending(context.Background(), "mail", seqs[0])
		return err == nil && d.Attempts >= 3
	})
	clk.Advance(2 * time.Hour)
	var fs []store.NotifyDelivery
	testutil.Eventually(t, 10*time.Second, "the failure listed", func() bool {
		fs, _ = st.NotifyFailures(context.Background(), 10)
		return len(fs) == 1
	})
	if f := fs[0]; f.Channel != "mail" || f.Seq != seqs[0] || f.Attempts < 3 || f.GaveUpAt == nil ||
		!strings.Contains(f.LastError, "max_age") || !strings.Contains(f.LastError, "451") {
		t.Fatalf("failure = %+v", f)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="notification given up"`) {
		t.Fatalf("no error-level log of the give-up:\n%s", logs.String())
	}

	ms.refuse.Store(550)
	next := testAlerts(t, st, 1)
	testutil.Eventually(t, 10*time.Second, "the 550 given up", func() bool {
		fs, _ = st.NotifyFailures(context.Background(), 10)
		return len(fs) == 2
	})
	if f := fs[0]; f.Seq != next[0] || f.Attempts != 1 || !strings.Contains(f.LastError, "550") {
		t.Fatalf("550: failure = %+v, want given up after one attempt", f)
	}
	if s := n.Stats(); s[0].GaveUp != 2 || s[0].Delivered != 0 {
		t.Fatalf("stats = %+v", s)
	}
	for _, f := range fs {
		if strings.Contains(f.LastError, smtpPassword) {
			t.Fatalf("the password is in a failure: %+v", f)
		}
	}
	if strings.Contains(logs.String(), smtpPassword) {
		t.Fatalf("the SMTP password is in the log:\n%s", logs.String())
	}

	ms.refuse.Store(0)
	testAlerts(t, st, 1)
	testutil.Eventually(t, 10*time.Second, "delivered once the server takes mail", func() bool { return len(ms.received()) == 1 })
}

// With tls: tls the channel speaks TLS from the first byte to a server that
// has no plain-text side, and signs in over it; a plain-text server on that
// setting gets no mail (and no password) at all.
func TestEmailOverImplicitTLS(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	ms := newMailServerTLS(t)
	plain := newMailServer(t)
	ch := mailChannel(ms, "mail-tls", "en")
	ch.Email.TLS = config.SMTPTLS
	wrong := mailChannel(plain, "mail-plain", "en")
	wrong.Email.TLS = config.SMTPTLS
	var logs testutil.Buffer
	startMail(t, st, clk, &logs, ms, ch, wrong)
	testAlerts(t, st, 1)
	testutil.Eventually(t, 10*time.Second, "a mail over implicit TLS", func() bool { return len(ms.received()) == 1 })
	ms.mu.Lock()
	authd, tlsOn := ms.authd, ms.tlsOn
	ms.mu.Unlock()
	if !authd || !tlsOn {
		t.Fatalf("signed in %v, over TLS %v; want AUTH PLAIN over implicit TLS", authd, tlsOn)
	}
	testutil.Eventually(t, 10*time.Second, "the plain-text server's failure logged", func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "mail-plain") && strings.Contains(l, "level=WARN") {
				t.Log(l)
				return true
			}
		}
		return false
	})
	plain.mu.Lock()
	plainAuthd, plainTries := plain.authd, plain.tries
	plain.mu.Unlock()
	if n := len(plain.received()); n != 0 || plainAuthd || plainTries != 0 {
		t.Fatalf("a plain-text server got %d mails, signed in %v, %d tries: want nothing over plain text", n, plainAuthd, plainTries)
	}
	if strings.Contains(logs.String(), smtpPassword) {
		t.Fatalf("the SMTP password is in the log:\n%s", logs.String())
	}
}
