package handlers

import (
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// AuthOptions configure accounts: browser and kiosk sessions, HTTP Basic
// credentials, sign-in rate limits and who may read /metrics.
type AuthOptions struct {
	SessionIdle     time.Duration // a browser session ends after this long unused (default 2 h)
	SessionMax      time.Duration // and this long after sign-in in any case (default 24 h)
	KioskSessionMax time.Duration // a kiosk session's lifetime (default 400 days, the most browsers keep a cookie)
	// SecureCookies is set when SyncMon serves HTTPS itself: cookies get
	// Secure (and the session cookie the __Host- prefix), responses HSTS.
	SecureCookies bool
	// MetricsToken, when set, lets a scraper read /metrics with
	// "Authorization: Bearer TOKEN" from any address.
	MetricsToken monitor.Secret
	// Sign-in failures allowed per (account, client address) and per client
	// address within LoginWindow before further attempts get 429 (defaults
	// 5, 20, 15 min). Unknown kiosk tokens count per address on their own
	// (LoginFailuresPerAddress), apart from passwords.
	LoginFailuresPerAccount int
	LoginFailuresPerAddress int
	LoginWindow             time.Duration
	// PasswordCost is bcrypt's work factor for accounts created on the web
	// (0: bcrypt's default).
	PasswordCost int
	// StreamRecheck is how often open event streams re-check their session
	// or account (default 30 s); revocation closes them at once.
	StreamRecheck time.Duration
}

func (o *AuthOptions) defaults() {
	if o.SessionIdle <= 0 {
		o.SessionIdle = 2 * time.Hour
	}
	if o.SessionMax <= 0 {
		o.SessionMax = 24 * time.Hour
	}
	if o.KioskSessionMax <= 0 {
		o.KioskSessionMax = 400 * 24 * time.Hour
	}
	if o.LoginFailuresPerAccount <= 0 {
		o.LoginFailuresPerAccount = 5
	}
	if o.LoginFailuresPerAddress <= 0 {
		o.LoginFailuresPerAddress = 20
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.StreamRecheck <= 0 {
		o.StreamRecheck = 30 * time.Second
	}
}

// authState is the in-memory side of accounts: rate limits, verified Basic
// credentials and the open event streams (so that revocation can end them).
type authState struct {
	limits  *limiter // passwords: sign-in form and HTTP Basic
	kiosk   *limiter // kiosk links, per address
	basic   *basicCache
	streams *streamSet
}

func newAuthState(o AuthOptions) *authState {
	return &authState{
		limits:  newLimiter(o.LoginWindow, o.LoginFailuresPerAccount, o.LoginFailuresPerAddress),
		kiosk:   newLimiter(o.LoginWindow, 1, o.LoginFailuresPerAddress),
		basic:   newBasicCache(),
		streams: newStreamSet(),
	}
}
