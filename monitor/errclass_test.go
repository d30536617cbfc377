package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedactHidesCredentials(t *testing.T) {
	for _, in := range []string{
		"ORA-01017: invalid username/password; logon denied (sqlplus -s ogg/S3cretPassw0rd@prod)",
		`GET https://admin:S3cretPassw0rd@ogg-internal:9011/services/v2: 401`,
		"DBLOGIN USERID ogg@prod, PASSWORD S3cretPassw0rd failed",
		"connect string password=S3cretPassw0rd;host=db1",
		"ALTER USER ogg IDENTIFIED BY S3cretPassw0rd",
		"header Authorization: Basic YWRtaW46UzNjcmV0UGFzc3cwcmQ=",
	} {
		out := Redact(in)
		if strings.Contains(out, "S3cretPassw0rd") || strings.Contains(out, "YWRtaW46") || !strings.Contains(out, "***") {
			t.Errorf("Redact(%q) = %q", in, out)
		}
	}
	if out := Redact("OGG-00664 process abended"); out != "OGG-00664 process abended" {
		t.Errorf("text without credentials changed: %q", out)
	}
}

// Issue 12, Low: a collector's stderr reached every viewer through the
// alert's message. Alerts carry a fixed class instead.
func TestTargetFindingCarriesNoCollectorDetail(t *testing.T) {
	secret := "ORA-01017 … ogg/S3cretPassw0rd@prod via http://10.1.2.3:9011/internal"
	for err, class := range map[error]string{
		fmt.Errorf("check a: %w: %s", ErrCredentials, secret):                              ClassCredentials,
		fmt.Errorf("check a: %s: %w", secret, ErrUnreadable):                               ClassBadOutput,
		fmt.Errorf("check a: no answer: %w: %w", ErrUnreachable, context.DeadlineExceeded): ClassTimeout,
		errors.New(secret): ClassUnreachable,
	} {
		if got := ErrorClass(err); got != class {
			t.Errorf("ErrorClass(%v) = %q, want %q", err, got, class)
		}
		f := targetFinding("prod", err)
		if strings.Contains(f.Message, "S3cret") || strings.Contains(f.Message, "10.1.2.3") || !strings.Contains(f.Message, class) {
			t.Errorf("finding message %q: want the class %q and no detail", f.Message, class)
		}
	}
}
