package handlers

import (
	"strings"
	"sync"
	"time"
)

// limiter counts failed sign-ins in a sliding window per (account, client
// address) and per client address. While either has reached its limit,
// attempts are refused before any password is checked, so a guesser also
// costs no bcrypt work.
//
// An attempt is reserved (counted as a failure) before its password is
// checked, under the one lock: however many arrive at once, no more than
// the limit are checked. A success gives its reservation back.
//
// The lock is per (account, address), not per account: nobody can lock an
// admin out from another address. The cost is that a guesser spread over
// many addresses gets maxPair guesses per address (see docs/ACCOUNTS.md).
// An unlock generation, read from the database on each attempt, lets
// `syncmon user unlock NAME` on the host lift an account's locks on a
// running server. Counts are in memory: a restart forgets them.
type limiter struct {
	mu         sync.Mutex
	window     time.Duration
	maxPair    int
	maxAddress int
	fails      map[string][]time.Time
	gens       map[string]int64 // account key → unlock generation last seen
}

// limiterMaxKeys bounds the memory a spray of names or addresses can take;
// beyond it, expired entries are swept on every reservation.
const limiterMaxKeys = 10000

// limiterNameBytes: the longest account name a key keeps (user names are
// shorter; a longer one cannot match an account).
const limiterNameBytes = 128

func newLimiter(window time.Duration, maxPair, maxAddress int) *limiter {
	return &limiter{window: window, maxPair: maxPair, maxAddress: maxAddress,
		fails: map[string][]time.Time{}, gens: map[string]int64{}}
}

// accountName is how the limiter knows an account: as sign-in matches it
// (trimmed, without regard to case), bounded in length.
func accountName(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if len(n) > limiterNameBytes {
		n = n[:limiterNameBytes]
	}
	return n
}

func pairKey(account, addr string) string { return "p:" + account + "\x00" + addr }
func addressKey(addr string) string       { return "a:" + addr }

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

// attempt is a reserved sign-in attempt: counted as a failure until it
// succeeds or is released.
type attempt struct {
	l         *limiter
	at        time.Time
	pair, adr string // keys counted ("" pair: an address-only limiter)
}

// reserve counts an attempt for this account from this address, or
// returns how long until one is allowed. gen is the account's unlock
// generation (store.UnlockGeneration): when it has grown since the last
// attempt, the account's failures from every address are forgotten first.
// name "" counts the address alone.
func (l *limiter) reserve(now time.Time, name, addr string, gen int64) (*attempt, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > limiterMaxKeys {
		for k := range l.fails {
			l.recent(now, k)
		}
	}
	a := &attempt{l: l, at: now, adr: addressKey(addr)}
	if name != "" {
		acct := accountName(name)
		a.pair = pairKey(acct, addr)
		if seen, ok := l.gens[acct]; ok && gen > seen {
			prefix := "p:" + acct + "\x00"
			for k := range l.fails {
				if strings.HasPrefix(k, prefix) {
					delete(l.fails, k)
				}
			}
		}
		if len(l.gens) > limiterMaxKeys {
			clear(l.gens) // only costs a missed unlock of an account with failures counted now
		}
		l.gens[acct] = gen
	}
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
	if a.pair != "" {
		check(a.pair, l.maxPair)
	}
	check(a.adr, l.maxAddress)
	if wait > 0 {
		return nil, max(wait, time.Second)
	}
	if a.pair != "" {
		l.fails[a.pair] = append(l.fails[a.pair], now)
	}
	l.fails[a.adr] = append(l.fails[a.adr], now)
	return a, 0
}

// drop removes one reserved entry of key.
func (l *limiter) drop(key string, at time.Time) {
	ts := l.fails[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			ts = append(ts[:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = ts
	}
}

// succeeded gives the reservation back and forgets the pair's failures.
// The address keeps its other failures: one valid account must not reset
// a guesser's budget for the others.
func (a *attempt) succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	if a.pair != "" {
		delete(a.l.fails, a.pair)
	}
	a.l.drop(a.adr, a.at)
}

// release gives the reservation back without a verdict (the check itself
// failed, e.g. the database).
func (a *attempt) release() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	if a.pair != "" {
		a.l.drop(a.pair, a.at)
	}
	a.l.drop(a.adr, a.at)
}
