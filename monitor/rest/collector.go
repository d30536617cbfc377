// Package rest reads Microservices deployments through their REST APIs:
// collector.go does the HTTP of one Administration Service, fleet.go
// discovers deployments through the Service Manager and reads each one's
// services, follow.go follows their status changes and messages, and the
// pure parsers (parse.go, deployments.go, paths.go, heartbeat.go,
// inflight.go, events.go) turn response bodies into monitor types.
package rest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Defaults of the REST collector.
const (
	// DefaultMaxBody caps one response body. A status or list body is a
	// few KiB; 4 MiB leaves room for thousands of groups and still bounds
	// what a misbehaving host can make SyncMon hold.
	DefaultMaxBody = 4 << 20
	// DefaultConcurrency bounds the requests one check has in flight,
	// so that a deployment with hundreds of groups is not asked for all
	// their statuses at once.
	DefaultConcurrency = 4

	// DefaultTimeout bounds a check when neither the target nor the
	// caller's context sets a deadline: a silent host must not hold a
	// goroutine forever.
	DefaultTimeout = 30 * time.Second

	// errorBodyLimit is how much of an error response is read to describe it.
	errorBodyLimit = 64 << 10
)

// Collector reads a Microservices deployment through its Administration
// Service: GET /services/v2/extracts and /replicats, then each group's
// …/{name}/info/status, with HTTP Basic auth. It is safe for concurrent use.
//
// Its rows are ADMINSRVR (RUNNING: it just answered, and it plays the part
// MANAGER plays in the classic architecture), then every Extract and every
// Replicat in the order the service lists them.
type Collector struct {
	// MaxBody caps every response body; a bigger one is ErrUnreadable.
	// Set it before the first Collect.
	MaxBody int64
	// Concurrency bounds the status requests in flight at once.
	// Set it before the first Collect.
	Concurrency int

	base      *url.URL // scheme, host and path prefix ("/services" when the URL has none)
	username  string
	password  monitor.Secret
	timeout   time.Duration
	transport *http.Transport
	client    *http.Client

	mu      sync.Mutex
	msgSeen bool              // CollectLog has set its baseline
	msgLast *monitor.LogEntry // newest message CollectLog has seen
}

// NewCollector builds the collector for a rest target. t.URL is the
// Administration Service: "https://host:9012" (endpoints under /services/v2)
// or a reverse-proxy prefix such as "https://host/services/WEST/adminsrvr"
// (endpoints under that prefix + /v2). It fails for a malformed URL, a URL
// that carries credentials, or a CA file that cannot be read or holds no
// certificate.
func NewCollector(t monitor.Target) (*Collector, error) {
	u, err := url.Parse(strings.TrimSpace(t.URL))
	if err != nil {
		// url.Parse quotes the URL, which may hold a password: say less.
		return nil, fmt.Errorf("rest %s: invalid url", t.Name)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("rest %s: url must start with https:// or http://", t.Name)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("rest %s: url has no host", t.Name)
	}
	if u.User != nil {
		return nil, fmt.Errorf("rest %s: url must not carry credentials; use username and password_env", t.Name)
	}
	base := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}
	if base.Path == "" {
		base.Path = "/services"
	}

	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // an explicit, documented option
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("rest %s: ca file: %w", t.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("rest %s: ca file %s: no PEM certificate found", t.Name, t.CAFile)
		}
		tlsConf.RootCAs = pool
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = DefaultConcurrency
	c := &Collector{
		MaxBody:     DefaultMaxBody,
		Concurrency: DefaultConcurrency,
		base:        base,
		username:    t.Username,
		password:    t.Password,
		timeout:     t.Timeout,
		transport:   tr,
	}
	c.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			// Never follow https to http: the Basic credentials would travel in clear.
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return errors.New("refusing redirect from https to http")
			}
			return nil
		},
	}
	return c, nil
}

// Close releases the collector's idle connections.
func (c *Collector) Close() { c.transport.CloseIdleConnections() }

// notFound is a 404 answer; the caller decides what it means.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// Collect lists the deployment's Extracts and Replicats and reads each one's
// status, at most c.Concurrency requests at a time. It honours ctx and the
// target's Timeout (DefaultTimeout when neither sets a deadline).
//
// Any failure fails the whole check (nil processes, a wrapped error), with
// one exception: a group that answers 404 was deleted between the list and
// its status request (an operator's DELETE), so it is left out rather than
// reported UNKNOWN; the next check no longer lists it either, and a
// spurious UNKNOWN would open an alert for a deliberate action.
func (c *Collector) Collect(ctx context.Context) ([]monitor.Process, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()

	kinds := []struct{ program, path string }{
		{"EXTRACT", "/v2/extracts"},
		{"REPLICAT", "/v2/replicats"},
	}
	names := make([][]string, len(kinds))
	err := c.each(ctx, len(kinds), func(ctx context.Context, i int) error {
		body, err := c.get(ctx, kinds[i].path)
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			return fmt.Errorf("%s: %w (is the URL that of the Administration Service?)", nf.msg, monitor.ErrUnreadable)
		}
		if err != nil {
			return err
		}
		list, err := ParseList(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("rest GET %s: %w", c.endpoint(kinds[i].path), err)
		}
		names[i] = list
		return nil
	})
	if err != nil {
		return nil, err
	}

	type job struct{ program, path, group string }
	var jobs []job
	for i, k := range kinds {
		for _, n := range names[i] {
			jobs = append(jobs, job{k.program, k.path + "/" + url.PathEscape(n) + "/info/status", monitor.CleanName(strings.ToUpper(n))})
		}
	}
	rows := make([]monitor.Process, len(jobs))
	found := make([]bool, len(jobs))
	err = c.each(ctx, len(jobs), func(ctx context.Context, i int) error {
		body, err := c.get(ctx, jobs[i].path)
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			return nil // deleted since it was listed; see above
		}
		if err != nil {
			return err
		}
		p, err := ParseStatus(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("rest GET %s: %w", c.endpoint(jobs[i].path), err)
		}
		p.Program, p.Group = jobs[i].program, jobs[i].group
		rows[i], found[i] = p, true
		return nil
	})
	if err != nil {
		return nil, err
	}

	out := []monitor.Process{{Program: "ADMINSRVR", Status: monitor.StatusRunning}}
	for i, p := range rows {
		if found[i] {
			out = append(out, p)
		}
	}
	return out, nil
}

// CollectLog returns the messages (GET /services/v2/messages) issued since
// the previous call, oldest first. The first call only records where the
// list ends and returns nothing, so that starting SyncMon does not replay
// old messages as new; the follower of ggserr.log does the same. A service
// without the endpoint (404) has no messages: nil, nil.
func (c *Collector) CollectLog(ctx context.Context) ([]monitor.LogEntry, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body, err := c.get(ctx, "/v2/messages")
	if nf := (*notFound)(nil); errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	all, err := ParseMessages(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("rest GET %s: %w", c.endpoint("/v2/messages"), err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var fresh []monitor.LogEntry
	if c.msgSeen {
		fresh = messagesAfter(all, c.msgLast)
	}
	c.msgSeen = true
	if len(all) > 0 {
		last := all[len(all)-1]
		c.msgLast = &last
	}
	return fresh, nil
}

// withTimeout applies the target's Timeout, or DefaultTimeout when
// ctx has no deadline either.
func (c *Collector) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	if _, ok := ctx.Deadline(); !ok {
		return context.WithTimeout(ctx, DefaultTimeout)
	}
	return context.WithCancel(ctx)
}

// messagesAfter returns the entries of all that follow last. The list is
// the service's own window of recent messages: when last has scrolled out
// of it, every entry issued after last is new (the only place the
// timestamp is trusted, for want of anything better).
func messagesAfter(all []monitor.LogEntry, last *monitor.LogEntry) []monitor.LogEntry {
	if last == nil {
		return all
	}
	for i := len(all) - 1; i >= 0; i-- {
		if sameEntry(all[i], *last) {
			return all[i+1:]
		}
	}
	var out []monitor.LogEntry
	for _, e := range all {
		if e.At.After(last.At) {
			out = append(out, e)
		}
	}
	return out
}

func sameEntry(a, b monitor.LogEntry) bool {
	return a.At.Equal(b.At) && a.Code == b.Code && a.Severity == b.Severity && a.Message == b.Message
}

// endpoint is the full URL of path (which starts with /v2/). The
// path is already escaped (group names go through url.PathEscape).
func (c *Collector) endpoint(path string) string {
	u := *c.base
	path, u.RawQuery, _ = strings.Cut(path, "?") // fromID=… of the event cursors
	esc := c.base.EscapedPath() + path
	if p, err := url.PathUnescape(esc); err == nil {
		u.Path, u.RawPath = p, esc
	}
	return u.String()
}

// get fetches path and returns its body, at most c.MaxBody bytes. It maps
// HTTP failures onto the collector errors: 401/403 → ErrCredentials,
// transport failures and 5xx → ErrUnreachable, other non-2xx and oversized
// bodies → ErrUnreadable, 404 → *notFound (the caller decides).
func (c *Collector) get(ctx context.Context, path string) ([]byte, error) {
	u := c.endpoint(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("rest GET %s: %w", u, err)
	}
	req.SetBasicAuth(c.username, c.password.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, transportError(u, err)
	}
	defer resp.Body.Close()

	code := resp.StatusCode
	if code < 200 || code > 299 {
		detail := describeErrorBody(resp.Body)
		status := fmt.Sprintf("HTTP %d", code)
		if txt := http.StatusText(code); txt != "" {
			status += " " + txt
		}
		if detail != "" {
			status += " (" + detail + ")"
		}
		switch {
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return nil, fmt.Errorf("rest GET %s: %s: %w", u, status, monitor.ErrCredentials)
		case code == http.StatusNotFound:
			return nil, &notFound{msg: fmt.Sprintf("rest GET %s: %s", u, status)}
		case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
			return nil, fmt.Errorf("rest GET %s: %s: %w", u, status, monitor.ErrUnreachable)
		default:
			return nil, fmt.Errorf("rest GET %s: %s: %w", u, status, monitor.ErrUnreadable)
		}
	}

	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("rest GET %s: %w", u, tooBig(limit))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, transportError(u, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("rest GET %s: %w", u, tooBig(limit))
	}
	return body, nil
}

func tooBig(limit int64) error {
	return &monitor.ParseError{What: "rest", Reason: fmt.Sprintf("response larger than %d bytes", limit)}
}

// describeErrorBody reads the start of an error response and says what it
// was: the OGG messages of a JSON envelope, the title of an HTML page, or
// nothing (an empty 401, say). The rest of the body is discarded unread.
func describeErrorBody(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, errorBodyLimit))
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return ""
	}
	if t[0] == '<' {
		if m := htmlTitle.FindSubmatch(t); m != nil {
			if title := cleanSnippet(string(m[1]), 80); title != "" {
				return "HTML page " + fmt.Sprintf("%q", title)
			}
		}
		return "HTML page"
	}
	if env, err := ParseEnvelope(bytes.NewReader(b)); err == nil && len(env.Messages) > 0 {
		return messageSummary(env.Messages)
	}
	return ""
}

// transportError wraps a failure to get an answer at all: connection
// refused, DNS, TLS, timeout, a connection cut mid-body.
func transportError(u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the URL we already print
	}
	hint := "no answer"
	var (
		unknownCA   x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		hint = "timed out"
	case errors.Is(err, context.Canceled):
		hint = "cancelled"
	case errors.As(err, &unknownCA) || errors.As(err, &verifyErr):
		hint = "TLS certificate not trusted (set ca_file to the deployment's CA, or insecure_skip_verify)"
	case errors.As(err, &hostErr):
		hint = "TLS certificate does not match the host name"
	case errors.As(err, &invalidCert):
		hint = "TLS certificate invalid"
	}
	return fmt.Errorf("rest GET %s: %s: %w: %w", u, hint, monitor.ErrUnreachable, err)
}

// each runs fn for 0 ≤ i < n, at most c.Concurrency at a time, and returns
// the first error. The first error cancels the calls still running, so
// their "context canceled" does not hide it.
func (c *Collector) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := c.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() {
			first = err
			cancel()
		})
	}
	started := 0
loop:
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		started++
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if started < n {
		return fmt.Errorf("rest %s: %w: %w", c.base.Host, monitor.ErrUnreachable, context.Cause(ctx))
	}
	return nil
}
