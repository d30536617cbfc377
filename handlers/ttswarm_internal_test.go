package handlers

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
)

// An alert's speech is rendered when the alert opens, before any screen asks.
func TestSpeechIsWarmedWhenAnAlertOpens(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "syncmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(Options{Store: st, WarmSpeech: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	// The warm-up subscribes as the server starts: wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := st.FeedStats(); n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the warm-up never subscribed to the feed")
		}
	}
	a, _, err := st.CreateTestAlert(ctx, store.Actor{Name: "tester"}, "warm me")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.tts.mu.Lock()
		_, en := s.tts.cache["en\x00"+a.Speech.En]
		_, ko := s.tts.cache["ko\x00"+a.Speech.Ko]
		s.tts.mu.Unlock()
		if en && ko {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("speech not in the cache 20 s after the alert opened (en %v, ko %v)", en, ko)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}
