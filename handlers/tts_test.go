package handlers_test

import (
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"

	"github.com/syncmon/syncmon/handlers"
)

func TestTTSSpeaksTheAlertsOwnTextAsWAV(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("SYNCMON_REQUIRE_TOOLS") != "" {
			t.Fatal("espeak-ng missing; `make test` installs it")
		}
		t.Skip("espeak-ng not installed: run `make test` (it installs espeak-ng) to run this test")
	}
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "복제 프로세스 REP1 이 중단되었습니다")
	for _, lang := range []string{"ko", "en"} {
		resp, err := http.Get(ts.URL + "/api/tts?alert=1&lang=" + lang)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" {
			t.Fatalf("%s: status %d, type %q", lang, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if len(body) < 1000 || string(body[:4]) != "RIFF" || string(body[8:12]) != "WAVE" {
			t.Fatalf("%s: not a WAV (%d bytes)", lang, len(body))
		}
		if got := binary.LittleEndian.Uint32(body[4:8]); int(got) != len(body)-8 {
			t.Fatalf("%s: RIFF size %d, want %d", lang, got, len(body)-8)
		}
	}
	for _, q := range []string{"?alert=1&lang=fr", "?alert=x&lang=en", "?text=hello&lang=en"} {
		resp, _ := http.Get(ts.URL + "/api/tts" + q)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
	resp, _ := http.Get(ts.URL + "/api/tts?alert=999&lang=en")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing alert: status %d, want 404", resp.StatusCode)
	}
}
