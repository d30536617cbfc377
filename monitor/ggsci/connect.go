package ggsci

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// ErrLoginRefused is the Admin Client refusing SyncMon's CONNECT: wrong
// user or password, an unknown deployment. It matches
// monitor.ErrCredentials with errors.Is.
type ErrLoginRefused struct {
	URL, Deployment, Username string
	Reason                    string // what the Admin Client said, password removed
}

func (e *ErrLoginRefused) Error() string {
	return fmt.Sprintf("login to %s deployment %s as %s refused: %s", e.URL, e.Deployment, e.Username, e.Reason)
}

// Is makes errors.Is(err, monitor.ErrCredentials) true.
func (e *ErrLoginRefused) Is(target error) bool { return target == monitor.ErrCredentials }

// connect logs the Admin Client in: CONNECT url DEPLOYMENT d AS user
// PASSWORD pw on stdin (never in argv). The password appears in no error:
// replies are redacted before they are read.
func (s *observing) connect(c monitor.Connect) error {
	line := "CONNECT " + c.URL
	if c.Deployment != "" {
		line += " DEPLOYMENT " + c.Deployment
	}
	line += " AS " + c.Username + " PASSWORD " + c.Password.Reveal()
	reply, _, err := s.conv.ask(s.ctx, line, s.per)
	reply = s.c.redact(reply)
	refused := func(reason string) error {
		return fmt.Errorf("%s %s: %w", s.c.target.Kind, s.c.target.Name,
			&ErrLoginRefused{URL: c.URL, Deployment: c.Deployment, Username: c.Username, Reason: reason})
	}
	refusal, failure := parseConnectReply(reply)
	switch {
	case refusal != "":
		return refused(refusal)
	case failure != "":
		return fmt.Errorf("%s %s: connect %s: %w: %s", s.c.target.Kind, s.c.target.Name, c.URL, monitor.ErrUnreachable, failure)
	case err != nil:
		return fmt.Errorf("connect %s: %w", c.URL, err)
	}
	return nil
}

// parseConnectReply reads the Admin Client's answer to CONNECT: refusal
// is why a login was refused (wrong credentials, unknown deployment),
// failure why the deployment could not be reached; both empty when it
// connected. An answer without an ERROR line whose prompt still says
// "(not connected)" is a refusal too.
func parseConnectReply(out []byte) (refusal, failure string) {
	r := &reply{what: "connect", data: strings.ToValidUTF8(string(out), "\uFFFD")}
	for l := range r.lines() {
		if l.isErr {
			msg := l.errMsg
			if loginRefusal(msg) {
				return depthClip(msg, 300), ""
			}
			return "", depthClip(msg, 300)
		}
	}
	if last := lastLine(out); strings.Contains(last, "(not connected)") {
		return "the Admin Client is still not connected after CONNECT", ""
	}
	return "", ""
}

func lastLine(b []byte) string {
	b = bytes.TrimRight(b, " \r\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}

// loginRefusal tells a refused login (wrong credentials, no such
// deployment) from a deployment that could not be reached.
func loginRefusal(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"401", "403", "unauthorized", "forbidden", "password", "credential", "authenticat",
		"deployment name must be specified", "not found"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
