package static

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"testing"
)

// The page script resumes with the epoch of the log its seq belongs to:
// none before it knows one, the one hello gave after a drop, and after a
// reset the new log's (from the reset) with the head of the reloaded
// snapshot. transport.js runs under node with a stub page and WebSocket
// (testdata/transport_resume.js); no browser.
func TestResumeURLCarriesTheEpoch(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("SYNCMON_REQUIRE_TOOLS") == "1" {
			t.Fatal("node is not installed (SYNCMON_REQUIRE_TOOLS=1: make deps installs it)")
		}
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "testdata/transport_resume.js", "transport.js").Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var urls []string
	if err := json.Unmarshal(out, &urls); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	want := []string{"ws://h/ws?since=5", "ws://h/ws?since=5&epoch=E1", "ws://h/ws?since=9&epoch=E%202"}
	if !reflect.DeepEqual(urls, want) {
		t.Fatalf("URLs opened %q, want %q", urls, want)
	}
}
