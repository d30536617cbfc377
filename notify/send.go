package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// sendError is a failed delivery. Its text never holds the URL (the
// webhook's token): only the host.
type sendError struct {
	msg        string
	permanent  bool          // retrying cannot help: 4xx other than 408/429, 3xx, a bad URL
	retryAfter time.Duration // what the endpoint asked for (429, 503)
}

func (e *sendError) Error() string { return e.msg }

// maxSnippet is how much of an error response is kept in the message.
const maxSnippet = 200

// post sends body to the channel's URL within its timeout.
func (c *channel) post(ctx context.Context, key string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL.Reveal(), bytes.NewReader(body))
	if err != nil { // the error would quote the URL
		return &sendError{msg: "post to " + c.host + ": invalid URL", permanent: true}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "SyncMon")
	resp, err := c.o.Client.Do(req)
	if err != nil {
		return &sendError{msg: "post to " + c.host + ": " + c.redact(transportError(err, c.cfg.Timeout))}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxSnippet))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	e := &sendError{msg: fmt.Sprintf("post to %s: HTTP %d", c.host, code)}
	if s := c.redact(snippet(head)); s != "" {
		e.msg += ": " + s
	}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		e.retryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	default:
		e.permanent = true
	}
	return e
}

// transportError describes a failure before any answer: without the
// *url.Error wrapper, which quotes the whole URL.
func transportError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s", timeout)
		}
		err = ue.Err
	}
	return err.Error()
}

// redact removes the URL and its secret parts (path, query) from s, should
// anything below have quoted them.
func (c *channel) redact(s string) string {
	raw := c.cfg.URL.Reveal()
	if raw == "" {
		return s
	}
	s = strings.ReplaceAll(s, raw, c.host)
	if u, err := url.Parse(raw); err == nil {
		for _, part := range []string{u.RawQuery, u.EscapedPath(), u.Path, u.User.String()} {
			if len(part) > 1 {
				s = strings.ReplaceAll(s, part, "[redacted]")
			}
		}
	}
	return s
}

// snippet is the start of a response body on one line, printable only.
func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(b), ""))
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxSnippet {
		s = string(r[:maxSnippet]) + "…"
	}
	return s
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
