package handlers_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/web"
)

// failSignIn posts a wrong password for login with X-Forwarded-For set
// (when not empty) and returns the response.
func failSignIn(b *browser, login, xff string) (int, string) {
	form := url.Values{"login": {login}, "password": {"wrong password"}, "authenticity_token": {b.csrf}}
	req := newRequest(http.MethodPost, "/users/sign_in", form.Encode())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	rec := b.do(req)
	return rec.Code, rec.Body.String()
}

// Without a trusted proxy, X-Forwarded-For is the client's say-so: a client
// rotating it is still one address to the throttle and to the log.
func TestSignInThrottleIgnoresForwardedForWithoutTrustedProxy(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.get("/users/sign_in")
	for i := range 10 {
		if code, body := failSignIn(b, fmt.Sprintf("nobody%d", i), fmt.Sprintf("203.0.113.%d", i)); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: got %d %s, want 401", i+1, code, body)
		}
	}
	if code, body := failSignIn(b, "nobody-else", "203.0.113.99"); code != http.StatusTooManyRequests || !strings.Contains(body, "Try again later") {
		t.Fatalf("11th attempt with a new X-Forwarded-For: got %d, want 429", code)
	}
	if logs := a.logs.String(); strings.Contains(logs, "203.0.113.") || !strings.Contains(logs, "ip=192.0.2.1") {
		t.Fatalf("the request log records a forwarded address:\n%s", logs)
	}
}

// Behind a trusted proxy the forwarded address is the client's: different
// clients are throttled apart, and one client is still throttled.
func TestSignInThrottleHonoursForwardedForFromTrustedProxy(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("192.0.2.0/24")
	a := newTestAppAt(t, nil, func(c *web.Config) { c.TrustedProxies = []*net.IPNet{proxies} })
	b := a.browser()
	b.get("/users/sign_in")
	for i := range 15 {
		if code, _ := failSignIn(b, fmt.Sprintf("nobody%d", i), fmt.Sprintf("203.0.113.%d", i)); code != http.StatusUnauthorized {
			t.Fatalf("client %d: got %d, want 401 (each client is throttled on its own)", i, code)
		}
	}
	if !strings.Contains(a.logs.String(), "ip=203.0.113.14") {
		t.Fatalf("the request log does not record the forwarded client address:\n%s", a.logs)
	}
	// A forged entry to the left of the client's real one changes nothing:
	// the proxy appends the address it saw.
	for i := range 10 {
		code, _ := failSignIn(b, fmt.Sprintf("other%d", i), fmt.Sprintf("198.51.100.%d, 203.0.113.200", i))
		if code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: got %d, want 401", i+1, code)
		}
	}
	if code, _ := failSignIn(b, "other-else", "198.51.100.99, 203.0.113.200"); code != http.StatusTooManyRequests {
		t.Fatalf("11th attempt of one client: got %d, want 429", code)
	}
	// The proxy's own address in the header is skipped too.
	if code, _ := failSignIn(b, "third", "203.0.113.200, 192.0.2.50"); code != http.StatusTooManyRequests {
		t.Fatalf("through two proxies: got %d, want 429 for the same client", code)
	}
}

// GitLab's lockout: the 10th failed sign-in in a row locks the account for
// 10 minutes; the right password does not help; the user gets an e-mail;
// an admin sees the lock and can lift it.
func TestAccountLocksAfterTenFailedSignInsAndAdminUnlocks(t *testing.T) {
	a := newTestApp(t)
	admin := dbtest.User(t, a.store, "root", true)
	alice := dbtest.User(t, a.store, "alice", false)
	attacker := a.browser()
	attacker.remoteAddr = "203.0.113.5:4000"
	attacker.get("/users/sign_in")
	for i := range 9 {
		if code, body := failSignIn(attacker, "alice", ""); code != http.StatusUnauthorized || !strings.Contains(body, "Invalid login or password.") {
			t.Fatalf("attempt %d: got %d, want 401 invalid login", i+1, code)
		}
	}
	if len(a.mail.all()) != 0 {
		t.Fatal("mail sent before the account was locked")
	}
	if code, body := failSignIn(attacker, "alice", ""); code != http.StatusForbidden || !strings.Contains(body, "Your account is locked.") {
		t.Fatalf("10th attempt: got %d, want 403 with GitLab's message", code)
	}
	mails := a.mail.all()
	if len(mails) != 1 || mails[0].To != alice.Email || !strings.Contains(mails[0].Subject, "locked") || !strings.Contains(mails[0].Body, "10 failed sign-in attempts") {
		t.Fatalf("got mail %+v, want one lock notice to %s", mails, alice.Email)
	}
	// The owner, from another address, with the right password.
	owner := a.browser()
	owner.remoteAddr = "198.51.100.7:5000"
	owner.get("/users/sign_in")
	rec := owner.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Your account is locked.") {
		t.Fatalf("right password while locked: got %d, want 403 locked", rec.Code)
	}
	var got struct{ Locked bool }
	decode(t, a.api(http.MethodGet, "/api/v4/users/"+itoa(alice.ID), a.token(admin), nil), &got)
	if !got.Locked {
		t.Fatal("the API says the user is not locked")
	}
	// The admin sees the lock and lifts it.
	ab := a.signedIn(admin)
	page := doc(t, ab.get("/admin/users/alice"))
	if page.Find(`[data-testid=badge-locked]`).Length() != 1 || page.Find(`[data-testid=user-unlock]`).Length() != 1 {
		t.Fatal("the admin user page does not show the lock and the Unlock button")
	}
	if doc(t, ab.get("/admin/users")).Find(`[data-username=alice] [data-testid=badge-locked]`).Length() != 1 {
		t.Fatal("the user list does not show the lock")
	}
	rec = ab.postForm("/admin/users/alice/unlock", url.Values{"_method": {"put"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("unlock: got %d", rec.Code)
	}
	page = doc(t, ab.get("/admin/users/alice"))
	if got := page.Find(`[data-testid=flash-notice]`).Text(); !strings.Contains(got, "Successfully unlocked") {
		t.Fatalf("got flash %q, want Successfully unlocked", got)
	}
	if page.Find(`[data-testid=badge-locked]`).Length() != 0 {
		t.Fatal("still shown locked after unlocking")
	}
	rec = owner.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in after unlock: got %d %s, want 303", rec.Code, rec.Body)
	}
}

// A lock runs out after 10 minutes; a successful sign-in starts the count
// again, so failures spread over time never add up to a lock.
func TestAccountLockRunsOutAndSuccessResetsTheCount(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	a := newTestAppAt(t, clock.Now)
	dbtest.User(t, a.store, "alice", false)
	signIn := func(remote, password string) int {
		b := a.browser()
		b.remoteAddr = remote
		b.get("/users/sign_in")
		return b.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {password}}).Code
	}
	for i := range 9 {
		signIn(fmt.Sprintf("203.0.113.%d:1", i), "wrong password")
	}
	if code := signIn("198.51.100.1:1", dbtest.Password); code != http.StatusSeeOther {
		t.Fatalf("9 failures then the right password: got %d, want 303", code)
	}
	for i := range 9 {
		if code := signIn(fmt.Sprintf("203.0.113.%d:1", 20+i), "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d after a success: got %d, want 401 (the count starts again)", i+1, code)
		}
	}
	if code := signIn("203.0.113.40:1", "wrong password"); code != http.StatusForbidden {
		t.Fatalf("10th failure in a row: got %d, want 403 locked", code)
	}
	clock.Add(9 * time.Minute)
	if code := signIn("198.51.100.2:1", dbtest.Password); code != http.StatusForbidden {
		t.Fatalf("after 9 minutes: got %d, want still locked", code)
	}
	clock.Add(time.Minute)
	if code := signIn("198.51.100.3:1", dbtest.Password); code != http.StatusSeeOther {
		t.Fatalf("after 10 minutes: got %d, want 303", code)
	}
}
