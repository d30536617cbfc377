package ggsci

import (
	"os"
	"strings"
	"testing"
)

func TestParseConnectReply(t *testing.T) {
	wrong, err := os.ReadFile("testdata/connect/adminclient_connect_wrong_password_COMPOSED.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, reply      string
		refusal, failure string // substrings; "" = must be empty
	}{
		{"wrong password (fixture)", string(wrong), "401: Unauthorized", ""},
		{"connected", "\nOGG (https://ogghost:9011 east) 2> ", "", ""},
		{"deployment not named", "\nERROR: Deployment name must be specified.\nAvailable deployments are:\n  east\n  west\n\nOGG (not connected) 2> ", "Deployment name must be specified", ""},
		{"no answer from the host", "\nERROR: Unable to connect to https://ogghost:9011: Connection refused.\n\nOGG (not connected) 2> ", "", "Connection refused"},
		{"silently not connected", "\nOGG (not connected) 2> ", "still not connected", ""},
	} {
		refusal, failure := parseConnectReply([]byte(tc.reply))
		if !matches(refusal, tc.refusal) || !matches(failure, tc.failure) {
			t.Errorf("%s: refusal %q, failure %q; want %q, %q", tc.name, refusal, failure, tc.refusal, tc.failure)
		}
	}
}

func matches(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

func FuzzParseConnectReply(f *testing.F) {
	if b, err := os.ReadFile("testdata/connect/adminclient_connect_wrong_password_COMPOSED.txt"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\nOGG (https://h:1 east) 2> "))
	f.Fuzz(func(t *testing.T, reply []byte) {
		refusal, failure := parseConnectReply(reply)
		if refusal != "" && failure != "" {
			t.Fatalf("both a refusal %q and a failure %q", refusal, failure)
		}
		if len(refusal) > 310 || len(failure) > 310 {
			t.Fatalf("unbounded reason: %d, %d bytes", len(refusal), len(failure))
		}
	})
}
