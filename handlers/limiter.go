package handlers

import (
	"strings"
	"sync"
	"time"
)

// limiter counts failed sign-ins (form, HTTP Basic, kiosk links) per
// account and per client address in a sliding window. While either has
// reached its limit, attempts are refused before any password is checked,
// so a guesser also costs no bcrypt work.
//
// The per-account limit lets someone who knows a name lock it out for a
// window; that is the price of stopping a guesser who spreads over many
// addresses. It is in memory: a restart forgets it.
type limiter struct {
	mu         sync.Mutex
	window     time.Duration
	maxAccount int
	maxAddress int
	fails      map[string][]time.Time
}

// limiterMaxKeys bounds the memory a spray of names or addresses can take;
// beyond it, expired entries are swept on every failure.
const limiterMaxKeys = 10000

func newLimiter(window time.Duration, maxAccount, maxAddress int) *limiter {
	return &limiter{window: window, maxAccount: maxAccount, maxAddress: maxAddress, fails: map[string][]time.Time{}}
}

func accountKey(name string) string { return "u:" + strings.ToLower(name) }
func addressKey(addr string) string { return "a:" + addr }

// recent returns the failures of key within the window, dropping older ones.
func (l *limiter) recent(now time.Time, key string) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i == len(ts) {
		delete(l.fails, key)
		return nil
	}
	if i > 0 {
		ts = ts[i:]
		l.fails[key] = ts
	}
	return ts
}

// wait returns how long until an attempt for this account from this
// address is allowed again; 0 means now. name "" checks the address alone.
func (l *limiter) wait(now time.Time, name, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	check := func(key string, max int) {
		ts := l.recent(now, key)
		if len(ts) >= max {
			// Allowed again when enough failures have aged out.
			if w := ts[len(ts)-max].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	if name != "" {
		check(accountKey(name), l.maxAccount)
	}
	check(addressKey(addr), l.maxAddress)
	return wait
}

// fail counts one failed attempt.
func (l *limiter) fail(now time.Time, name, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > limiterMaxKeys {
		for k := range l.fails {
			l.recent(now, k)
		}
	}
	if name != "" {
		k := accountKey(name)
		l.fails[k] = append(l.recent(now, k), now)
	}
	k := addressKey(addr)
	l.fails[k] = append(l.recent(now, k), now)
}

// succeed forgets an account's failures. The address keeps its count: one
// valid account must not reset a guesser's budget for the others.
func (l *limiter) succeed(name string) {
	l.mu.Lock()
	delete(l.fails, accountKey(name))
	l.mu.Unlock()
}
