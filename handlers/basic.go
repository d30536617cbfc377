package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// basicCache remembers HTTP Basic credentials that bcrypt has verified, for
// basicCacheTTL: 500 long-poll scripts re-sending the same credentials
// every few seconds must not cost 500 bcrypt runs each time. Entries are
// keyed by HMAC-SHA256(user:password) under a key drawn at start, so the
// map holds nothing a memory dump could be searched with. A hit is still
// checked against the account's current version (one indexed read): a
// password change, role change or removal, even from the command line in
// another process, takes effect on the next request.
type basicCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[[sha256.Size]byte]basicEntry
}

type basicEntry struct {
	userID  int64
	version int64
	expires time.Time
}

const (
	basicCacheTTL  = 5 * time.Minute
	basicCacheSize = 4096
)

func newBasicCache() *basicCache {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read does not fail (it panics on a broken system)
	return &basicCache{key: key, entries: map[[sha256.Size]byte]basicEntry{}}
}

func (b *basicCache) sum(name, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(name))
	m.Write([]byte{':'})
	m.Write([]byte(password))
	var out [sha256.Size]byte
	copy(out[:], m.Sum(nil))
	return out
}

func (b *basicCache) get(k [sha256.Size]byte, now time.Time) (basicEntry, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[k]
	if !ok || !now.Before(e.expires) {
		delete(b.entries, k)
		return basicEntry{}, false
	}
	return e, true
}

func (b *basicCache) put(k [sha256.Size]byte, e basicEntry, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.entries) >= basicCacheSize {
		for k, old := range b.entries {
			if !now.Before(old.expires) {
				delete(b.entries, k)
			}
		}
		for k := range b.entries { // still full: make room at random
			if len(b.entries) < basicCacheSize {
				break
			}
			delete(b.entries, k)
		}
	}
	b.entries[k] = e
}

func (b *basicCache) drop(k [sha256.Size]byte) {
	b.mu.Lock()
	delete(b.entries, k)
	b.mu.Unlock()
}

// forgetUser drops every cached verification of one account.
func (b *basicCache) forgetUser(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, e := range b.entries {
		if e.userID == id {
			delete(b.entries, k)
		}
	}
}

// basicPrincipal checks HTTP Basic credentials: from the cache when they
// were verified lately and the account has not changed since, else with
// bcrypt, within the same rate limits as the sign-in form.
func (s *Server) basicPrincipal(c echo.Context, name, password string) (principal, error) {
	r := c.Request()
	ctx := r.Context()
	now := s.opt.Now()
	k := s.auth.basic.sum(name, password)
	if e, ok := s.auth.basic.get(k, now); ok {
		u, err := s.store.User(ctx, name)
		if err == nil && u.ID == e.userID && u.Version == e.version {
			return basicUser(u), nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return principal{}, err
		}
		s.auth.basic.drop(k)
	}
	addr := clientAddress(r)
	try, wait := s.reserveSignIn(c, name, addr)
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return principal{}, echo.NewHTTPError(http.StatusTooManyRequests, "too many failed sign-ins for this account from this address; try again later")
	}
	u, err := s.store.Authenticate(ctx, name, password)
	if errors.Is(err, store.ErrCredentials) {
		s.loginFailed(c, name, addr, "http basic")
		return principal{}, errBadCredentials
	}
	if err != nil {
		try.release()
		return principal{}, err
	}
	try.succeeded()
	s.auth.basic.put(k, basicEntry{userID: u.ID, version: u.Version, expires: now.Add(basicCacheTTL)}, now)
	return basicUser(u), nil
}

func basicUser(u store.User) principal {
	return principal{Name: u.Name, Role: roleOf(u.Role), Kind: kindUser, UserID: u.ID, Basic: true, version: u.Version}
}
