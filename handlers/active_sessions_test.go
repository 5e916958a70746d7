package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

const (
	firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	safariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

// stolen is another browser holding copies of b's cookies, as an attacker
// who captured them would.
func (b *browser) stolen() *browser {
	c := b.a.browser()
	u, _ := url.Parse(externalURL + "/")
	c.jar.SetCookies(u, b.jar.Cookies(u))
	c.csrf = b.csrf
	return c
}

// signedInAs reports whether the browser's cookies sign it in.
func signedInAs(t *testing.T, b *browser) string {
	t.Helper()
	rec := b.get("/-/profile")
	if rec.Code != http.StatusOK {
		return ""
	}
	return doc(t, rec).Find(`[data-testid=profile-username]`).Text()
}

// Signing out ends the session on the server: a copy of the cookie taken
// before signs no one in.
func TestCookieCapturedBeforeSignOutNoLongerWorks(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	copied := b.stolen()
	if got := signedInAs(t, copied); got != "alice" {
		t.Fatalf("the copied cookie: got %q, want alice before sign-out", got)
	}
	if rec := b.postForm("/users/sign_out", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign out: got %d", rec.Code)
	}
	if got := signedInAs(t, copied); got != "" {
		t.Fatalf("a cookie captured before sign-out still signs in as %q", got)
	}
}

// Blocking ends every session; unblocking does not bring old cookies back.
func TestUnblockingDoesNotReviveOldCookies(t *testing.T) {
	a := newTestApp(t)
	admin := dbtest.User(t, a.store, "root", true)
	dbtest.User(t, a.store, "alice", false)
	alice, _ := a.store.UserByUsername(t.Context(), "alice")
	b := a.signedIn(alice)
	copied := b.stolen()
	ab := a.signedIn(admin)
	ab.get("/admin/users/alice")
	if rec := ab.postForm("/admin/users/alice/block", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("block: got %d", rec.Code)
	}
	if got := signedInAs(t, b); got != "" {
		t.Fatalf("a blocked user's session still works (%q)", got)
	}
	ab.get("/admin/users/alice")
	if rec := ab.postForm("/admin/users/alice/unblock", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("unblock: got %d", rec.Code)
	}
	if got := signedInAs(t, copied); got != "" {
		t.Fatalf("unblocking revived a cookie from before the block (%q)", got)
	}
	if got := signedInAs(t, a.signedIn(alice)); got != "alice" {
		t.Fatalf("signing in again after unblocking: got %q", got)
	}
}

// Active sessions lists the user's browsers (browser, address, last seen),
// marks the current one and revokes the others.
func TestActiveSessionsListAndRevoke(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	laptop, phone := a.browser(), a.browser()
	laptop.remoteAddr, phone.remoteAddr = "198.51.100.10:4000", "203.0.113.20:5000"
	for _, b := range []struct {
		b  *browser
		ua string
	}{{laptop, firefoxLinux}, {phone, safariIPhone}} {
		b.b.get("/users/sign_in")
		req := newRequest(http.MethodPost, "/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}, "authenticity_token": {b.b.csrf}}.Encode())
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", b.ua)
		if rec := b.b.do(req); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign in: got %d", rec.Code)
		}
	}
	other := a.signedIn(dbtest.User(t, a.store, "mallory", false))

	profile := doc(t, laptop.get("/-/profile"))
	if profile.Find(`a[href="/-/profile/active_sessions"]`).Length() == 0 {
		t.Fatal("User settings do not link to Active sessions")
	}
	d := doc(t, laptop.get("/-/profile/active_sessions"))
	rows := d.Find(`[data-testid=active-session]`)
	if rows.Length() != 2 {
		t.Fatalf("got %d sessions, want 2", rows.Length())
	}
	current := d.Find(`[data-testid=active-session]:has([data-testid=current-session])`)
	if current.Length() != 1 || current.Find(`[data-testid=session-revoke]`).Length() != 0 {
		t.Fatal("want exactly one current session, without a Revoke button")
	}
	// Requests without a User-Agent header (the harness's) were made after
	// sign-in from the laptop: the list shows what was seen last.
	if got := current.Find(`[data-testid=session-ip]`).Text(); got != "198.51.100.10" {
		t.Errorf("current session address: got %q", got)
	}
	phoneRow := d.Find(`[data-testid=active-session]:not(:has([data-testid=current-session]))`)
	if got := phoneRow.Find(`[data-testid=session-device]`).Text(); got != "Safari on iOS" {
		t.Errorf("got device %q, want Safari on iOS", got)
	}
	if got := phoneRow.Find(`[data-testid=session-ip]`).Text(); got != "203.0.113.20" {
		t.Errorf("got address %q, want 203.0.113.20", got)
	}
	if phoneRow.Find(`[data-testid=session-last-seen]`).Length() != 1 {
		t.Error("no last-seen time")
	}
	phoneID, _ := phoneRow.Attr("data-session-id")

	// Someone else cannot see or revoke it.
	if rec := other.get("/-/profile/active_sessions/" + phoneID + "/revoke"); rec.Code != http.StatusNotFound {
		t.Fatalf("another user's confirmation page: got %d, want 404", rec.Code)
	}
	other.get("/-/profile/active_sessions")
	if rec := other.postForm("/-/profile/active_sessions/"+phoneID, url.Values{"_method": {"delete"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("another user's revoke: got %d, want 404", rec.Code)
	}
	if got := signedInAs(t, phone); got != "alice" {
		t.Fatal("another user's revoke ended the session")
	}

	// Without JavaScript the Revoke link leads to a confirmation page.
	confirm := doc(t, laptop.get("/-/profile/active_sessions/"+phoneID+"/revoke"))
	if confirm.Find(`[data-testid=revoke-session-confirm]`).Length() != 1 {
		t.Fatal("no confirmation form")
	}
	rec := laptop.postForm("/-/profile/active_sessions/"+phoneID, url.Values{"_method": {"delete"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/active_sessions" {
		t.Fatalf("revoke: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, laptop.get("/-/profile/active_sessions"))
	if got := flash(d, "notice"); !strings.Contains(got, "was revoked") {
		t.Errorf("got flash %q", got)
	}
	if n := d.Find(`[data-testid=active-session]`).Length(); n != 1 {
		t.Errorf("got %d sessions after revoking, want 1", n)
	}
	if got := signedInAs(t, phone); got != "" {
		t.Fatalf("the revoked browser is still signed in as %q", got)
	}
	if got := signedInAs(t, laptop); got != "alice" {
		t.Fatal("revoking another session signed this one out")
	}
	// The current session is ended by signing out, not here.
	currentID, _ := d.Find(`[data-testid=active-session]`).Attr("data-session-id")
	if rec := laptop.postForm("/-/profile/active_sessions/"+currentID, url.Values{"_method": {"delete"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke current: got %d", rec.Code)
	}
	if got := signedInAs(t, laptop); got != "alice" {
		t.Fatal("the current session was revoked from the list")
	}
	_ = u
}

// A session unused for a week ends, as the cookie does.
func TestSessionEndsAfterAWeekUnused(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	a := newTestAppAt(t, clock.Now)
	b := a.signedIn(dbtest.User(t, a.store, "alice", false))
	clock.Add(model.SessionTTL - time.Minute)
	if got := signedInAs(t, b); got != "alice" {
		t.Fatal("the session ended before a week unused")
	}
	clock.Add(model.SessionTTL - time.Minute)
	if got := signedInAs(t, b); got != "alice" {
		t.Fatal("using a session did not keep it alive")
	}
	clock.Add(model.SessionTTL + time.Second)
	if got := signedInAs(t, b); got != "" {
		t.Fatal("the session outlived a week unused")
	}
}

// Signing in replaces the CSRF token: one read (or planted) before is
// refused after.
func TestCSRFTokenRotatesAtSignIn(t *testing.T) {
	a := newTestApp(t)
	dbtest.User(t, a.store, "alice", false)
	b := a.browser()
	b.get("/users/sign_in")
	before := b.csrf
	if before == "" {
		t.Fatal("no CSRF token on the sign-in page")
	}
	if rec := b.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: got %d", rec.Code)
	}
	rec := b.postForm("/groups", url.Values{"name": {"Acme"}, "path": {"acme"}, "authenticity_token": {before}})
	if rec.Code != http.StatusForbidden {
		t.Fatalf("a form with the token from before sign-in: got %d, want 403", rec.Code)
	}
	b.get("/groups/new")
	if b.csrf == before {
		t.Fatal("the page after sign-in shows the old token")
	}
	if rec := b.postForm("/groups", url.Values{"name": {"Acme"}, "path": {"acme"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("with the new token: got %d %s, want 303", rec.Code, rec.Body)
	}
}
