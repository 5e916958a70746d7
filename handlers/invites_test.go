package handlers_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestInviteLinkSignedInAccept(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "carol.work@example.org", "carol-token")
	b := w.a.signedIn(w.carol)

	rec := b.get("/-/invites/carol-token")
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d", rec.Code)
	}
	d := doc(t, rec)
	summary := strings.Join(strings.Fields(d.Find(`[data-testid=invite-summary]`).Text()), " ")
	if summary != "You are invited to join the acme / platform group as a Developer" {
		t.Errorf("got summary %q", summary)
	}
	if d.Find(`[data-testid=invite-other-email]`).Length() != 1 {
		t.Error("no note that the invite was sent to another address than the account's")
	}
	rec = b.postForm("/-/invites/carol-token/accept", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/groups/acme/platform" {
		t.Fatalf("accept: got %d to %q, want 303 to the group", rec.Code, rec.Header().Get("Location"))
	}
	m, err := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.carol.ID)
	if err != nil || m.AccessLevel != model.Developer {
		t.Fatalf("carol: %+v (%v)", m, err)
	}
	flash := doc(t, b.get("/groups/acme/platform")).Find(`[data-testid=flash-notice]`).Text()
	if flash != "You have been granted Developer access to group acme / platform." {
		t.Errorf("got flash %q", flash)
	}
	// The link is used up.
	rec = b.get("/-/invites/carol-token")
	if rec.Code != http.StatusNotFound || doc(t, rec).Find(`[data-testid=invite-not-found]`).Length() != 1 {
		t.Fatalf("used link: got %d, want the invitation-not-found page", rec.Code)
	}
	if rec := b.postForm("/-/invites/carol-token/accept", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("accepting again: got %d, want 404", rec.Code)
	}
}

func TestInviteLinkDecline(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceProject, w.api.ID, "x@example.org", "x-token")
	b := w.a.browser()
	b.get("/-/invites/x-token")
	rec := b.postForm("/-/invites/x-token/decline", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/users/sign_in" {
		t.Fatalf("got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if _, err := w.a.store.InviteByToken(t.Context(), "x-token"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the declined invite remains: %v", err)
	}
	for _, m := range w.members(t, model.SourceProject, w.api.ID) {
		if m.Pending() {
			t.Fatalf("invite row left behind: %+v", m)
		}
	}
}

func TestInviteLinkUnknownToken(t *testing.T) {
	w := newMembersWorld(t)
	for _, path := range []string{"/-/invites/nope", "/-/invites/" + strings.Repeat("a", 32)} {
		b := w.a.browser()
		rec := b.get(path)
		if rec.Code != http.StatusNotFound || doc(t, rec).Find(`[data-testid=invite-not-found]`).Length() != 1 {
			t.Fatalf("%s: got %d, want the invitation-not-found page", path, rec.Code)
		}
		b.get("/users/sign_in")
		for _, action := range []string{"accept", "decline", "register"} {
			if rec := b.postForm(path+"/"+action, url.Values{"username": {"x"}, "password": {"long enough password"}}); rec.Code != http.StatusNotFound {
				t.Errorf("%s %s: got %d, want 404", path, action, rec.Code)
			}
		}
	}
	if n, _ := w.a.store.CountUsers(t.Context()); n != 5 {
		t.Fatalf("got %d users, want 5: nothing may be created from a bad link", n)
	}
}

func TestInviteLinkSignInReturnsToInvite(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "carol@example.com.invalid", "ret-token")
	b := w.a.browser()
	d := doc(t, b.get("/-/invites/ret-token"))
	if d.Find(`[data-testid=invite-sign-in]`).Length() != 1 {
		t.Fatal("no sign-in link for a visitor")
	}
	rec := b.postForm("/users/sign_in", url.Values{"login": {"carol"}, "password": {dbtest.Password}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/invites/ret-token" {
		t.Fatalf("sign in: got %d to %q, want back to the invitation", rec.Code, rec.Header().Get("Location"))
	}
	if doc(t, b.get("/-/invites/ret-token")).Find(`[data-testid=accept-invite]`).Length() != 1 {
		t.Fatal("no Accept button after signing in")
	}
	if strings.Contains(w.a.logs.String(), "ret-token") {
		t.Error("the invite token was logged")
	}
}

func TestInviteLinkRegister(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "Newbie@Example.org", "reg-token")
	b := w.a.browser()
	d := doc(t, b.get("/-/invites/reg-token"))
	if got := d.Find(`#register_email`).AttrOr("value", ""); got != "Newbie@Example.org" {
		t.Fatalf("got fixed e-mail %q", got)
	}

	for _, tc := range []struct {
		name, username, password, field string
	}{
		{"short password", "newbie", "short", "password"},
		{"taken username", "carol", "long enough password", "username"},
		{"bad username", "-bad-", "long enough password", "username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/-/invites/reg-token/register", url.Values{"username": {tc.username}, "name": {"New Bie"}, "password": {tc.password}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if d.Find(`#register_`+tc.field).Parent().Find(`[data-testid=field-error]`).Length() == 0 {
				t.Errorf("no error beside %s in %s", tc.field, d.Find(`[data-testid=invite-register-form]`).Text())
			}
			if n, _ := w.a.store.CountUsers(t.Context()); n != 5 {
				t.Fatalf("got %d users after a refused sign-up, want 5", n)
			}
		})
	}

	rec := b.postForm("/-/invites/reg-token/register", url.Values{"username": {"newbie"}, "name": {"New Bie"}, "password": {"long enough password"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/groups/acme/platform" {
		t.Fatalf("got %d to %q, want 303 to the group", rec.Code, rec.Header().Get("Location"))
	}
	u, err := w.a.store.UserByUsername(t.Context(), "newbie")
	if err != nil || u.Email != "Newbie@Example.org" || u.Name != "New Bie" {
		t.Fatalf("new user: %+v (%v)", u, err)
	}
	if m, err := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, u.ID); err != nil || m.AccessLevel != model.Developer {
		t.Fatalf("membership: %+v (%v)", m, err)
	}
	d = doc(t, b.get("/groups/acme/platform"))
	if got := d.Find(`[data-testid=current-user]`).Text(); got != "newbie" {
		t.Fatalf("got signed-in user %q, want newbie", got)
	}
	if strings.Contains(w.a.logs.String(), "long enough password") {
		t.Fatal("the password was logged")
	}
}

func TestInviteLinkForAnExistingAccountOffersOnlySignIn(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "stranger@example.com", "acct-token")
	b := w.a.browser()
	d := doc(t, b.get("/-/invites/acct-token"))
	if d.Find(`[data-testid=invite-register-form]`).Length() != 0 || d.Find(`[data-testid=invite-sign-in]`).Length() != 1 {
		t.Fatal("an address with an account must sign in, not sign up")
	}
	rec := b.postForm("/-/invites/acct-token/register", url.Values{"username": {"other"}, "password": {"long enough password"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", rec.Code)
	}
	if n, _ := w.a.store.CountUsers(t.Context()); n != 5 {
		t.Fatalf("got %d users, want 5", n)
	}
}
