package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimiterSlidingWindow(t *testing.T) {
	l := newLimiter(10*time.Minute, 3, 5)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, w := l.reserve(t0.Add(time.Duration(i)*time.Minute), "Vera", "10.0.0.1", 0); w != 0 {
			t.Fatalf("attempt %d: wait %v, want none", i+1, w)
		}
	}
	// Names are compared without case (and trimmed), as accounts are.
	if _, w := l.reserve(t0.Add(3*time.Minute), " vera", "10.0.0.1", 0); w != 7*time.Minute {
		t.Fatalf("4th attempt: wait %v, want 7m (until the first failure ages out)", w)
	}
	// Per (account, address): another address is not locked.
	if a, w := l.reserve(t0.Add(3*time.Minute), "vera", "10.0.0.2", 0); w != 0 {
		t.Fatalf("another address: wait %v, want none", w)
	} else {
		a.succeeded()
	}
	if _, w := l.reserve(t0.Add(10*time.Minute), "vera", "10.0.0.1", 0); w != 0 {
		t.Fatalf("after the first failure aged out: wait %v", w)
	}
	// The address limit counts every account.
	l.reserve(t0.Add(4*time.Minute), "tess", "10.0.0.1", 0)
	a, _ := l.reserve(t0.Add(4*time.Minute), "adam", "10.0.0.1", 0)
	if _, w := l.reserve(t0.Add(5*time.Minute), "olga", "10.0.0.1", 0); w == 0 {
		t.Fatal("5 failures from one address: want a wait for any account")
	}
	// Success clears the pair and gives its reservation back; the address
	// keeps its other failures.
	a.succeeded()
	if _, ok := l.fails[pairKey("adam", "10.0.0.1")]; ok {
		t.Fatal("pair failures kept after success")
	}
	if n := len(l.fails[addressKey("10.0.0.1")]); n != 4 {
		t.Fatalf("%d address failures after one account's success, want 4", n)
	}
	// An unlock generation that grew forgets the account's failures.
	for range 3 {
		l.reserve(t0.Add(11*time.Minute), "olga", "10.0.0.9", 0)
	}
	if _, w := l.reserve(t0.Add(11*time.Minute), "olga", "10.0.0.9", 0); w == 0 {
		t.Fatal("olga not locked")
	}
	if _, w := l.reserve(t0.Add(11*time.Minute), "olga", "10.0.0.9", 1); w != 0 {
		t.Fatalf("olga after an unlock: wait %v", w)
	}
}

func TestBasicCacheBoundedAndForgetsUsers(t *testing.T) {
	b := newBasicCache()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	if b.sum("a", "b") == newBasicCache().sum("a", "b") {
		t.Fatal("two caches derive the same key: the HMAC key must be drawn per process")
	}
	for i := range basicCacheSize + 100 {
		b.put(b.sum("u", string(rune(i))), basicEntry{userID: int64(i % 7), expires: now.Add(time.Minute)}, now)
	}
	if n := len(b.entries); n > basicCacheSize {
		t.Fatalf("%d entries, want at most %d", n, basicCacheSize)
	}
	b.forgetUser(3)
	for _, e := range b.entries {
		if e.userID == 3 {
			t.Fatal("entry of a forgotten user kept")
		}
	}
	k := b.sum("x", "y")
	b.put(k, basicEntry{userID: 1, expires: now.Add(time.Minute)}, now)
	if _, ok := b.get(k, now.Add(2*time.Minute)); ok {
		t.Fatal("expired entry returned")
	}
}

func TestScreensFlagQuiet(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	p := screensPage{Now: now}
	if p.Quiet(screen{LastSeen: now.Add(-29 * time.Second)}) {
		t.Fatal("29 s since the last heartbeat: flagged quiet")
	}
	if !p.Quiet(screen{LastSeen: now.Add(-31 * time.Second)}) {
		t.Fatal("31 s since the last heartbeat: not flagged")
	}
}

// Issue 12, Medium: distinct long-poll client ids were kept without bound
// (1010 polls of 900 KB ids took 1.5 GB). Past pollScreensMax per user or
// address, new ids share one screen.
func TestPollScreensBoundedPerUserAndAddress(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sc := newScreens(func() time.Time { return now })
	for i := range 3 * pollScreensMax {
		r := httptest.NewRequest(http.MethodGet, "/poll", nil)
		r.RemoteAddr = fmt.Sprintf("10.0.%d.%d:4000", i/200, i%200) // many addresses, one user
		sc.poll("vera", r, fmt.Sprintf("client-%d", i))
	}
	for i := range 3 * pollScreensMax {
		r := httptest.NewRequest(http.MethodGet, "/poll", nil)
		r.RemoteAddr = "10.9.9.9:4000" // one address, many users
		sc.poll(fmt.Sprintf("kiosk:%d", i), r, "c")
	}
	if n := len(sc.polls); n > 2*pollScreensMax+2 {
		t.Fatalf("%d poll screens tracked, want at most %d", n, 2*pollScreensMax+2)
	}
	now = now.Add(2 * pollScreenTTL)
	sc.poll("vera", httptest.NewRequest(http.MethodGet, "/poll", nil), "again")
	if len(sc.polls) != 1 || len(sc.pollsBy) != 2 {
		t.Fatalf("after expiry: %d screens, counts %v", len(sc.polls), sc.pollsBy)
	}
}
