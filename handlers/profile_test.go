package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// fieldError is the error text shown beside the input with id.
func fieldError(d *goquery.Document, id string) string {
	return strings.TrimSpace(d.Find("#" + id).Closest(".field, .checkbox, fieldset").Find("[data-testid=field-error]").Text())
}

func flash(d *goquery.Document, kind string) string {
	return strings.TrimSpace(d.Find("[data-testid=flash-" + kind + "]").Text())
}

func TestProfileNameChange(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	d := doc(t, b.get("/-/profile"))
	if got, _ := d.Find("#user_name").Attr("value"); got != "alice" {
		t.Fatalf("got name field %q, want alice", got)
	}
	if d.Find("[data-testid=sidebar] a.active").Text() != "Account" {
		t.Errorf("got active sidebar item %q, want Account", d.Find("[data-testid=sidebar] a.active").Text())
	}

	for _, tc := range []struct{ name, value, want string }{
		{"blank", "   ", "Enter the name."},
		{"too long", strings.Repeat("x", 256), "The name is too long: use at most 255 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/-/profile", url.Values{"_method": {"put"}, "name": {tc.value}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			if got := fieldError(doc(t, rec), "user_name"); got != tc.want {
				t.Errorf("got error %q, want %q", got, tc.want)
			}
			if got, _ := a.store.User(t.Context(), u.ID); got.Name != "alice" {
				t.Errorf("name changed to %q by a refused form", got.Name)
			}
		})
	}

	rec := b.postForm("/-/profile", url.Values{"_method": {"put"}, "name": {"  Alice Liddell "}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile" {
		t.Fatalf("got %d to %q, want 303 to /-/profile", rec.Code, rec.Header().Get("Location"))
	}
	if got := flash(doc(t, b.get("/-/profile")), "notice"); got != "Profile was successfully updated" {
		t.Errorf("got flash %q", got)
	}
	if got, _ := a.store.User(t.Context(), u.ID); got.Name != "Alice Liddell" {
		t.Errorf("got name %q, want Alice Liddell", got.Name)
	}
}

func TestProfilePagesNeedSignIn(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{"/-/profile", "/-/profile/password/edit", "/-/profile/emails", "/-/profile/personal_access_tokens"} {
		rec := a.browser().get(path)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/users/sign_in" {
			t.Errorf("%s: got %d to %q, want a redirect to sign in", path, rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestChangePassword(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	other := a.signedIn(u) // the same user elsewhere
	b.get("/-/profile/password/edit")

	for _, tc := range []struct {
		name                 string
		current, pw, confirm string
		field, want          string
	}{
		{"wrong current password", "not my password", "new password 1", "new password 1", "user_current_password", "The current password is wrong: enter the password you signed in with."},
		{"no current password", "", "new password 1", "new password 1", "user_current_password", "The current password is wrong: enter the password you signed in with."},
		{"too short", dbtest.Password, "short", "short", "user_password", "The new password is too short: use at least 8 characters."},
		{"blank", dbtest.Password, "", "", "user_password", "Enter the new password."},
		{"confirmation differs", dbtest.Password, "new password 1", "new password 2", "user_password_confirmation", "The confirmation doesn't match the new password. Type the same password in both fields."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/-/profile/password", url.Values{"_method": {"put"},
				"current_password": {tc.current}, "password": {tc.pw}, "password_confirmation": {tc.confirm}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if got := fieldError(d, tc.field); got != tc.want {
				t.Errorf("got error %q beside %s, want %q", got, tc.field, tc.want)
			}
			if d.Find(`input[type=password][value]`).Length() != 0 {
				t.Error("the re-rendered form carries a password value")
			}
			stored, _ := a.store.User(t.Context(), u.ID)
			if !db.CheckPassword(stored.PasswordHash, dbtest.Password) {
				t.Fatal("the password changed although the form was refused")
			}
		})
	}
	if rec := other.get("/-/profile"); rec.Code != http.StatusOK {
		t.Fatalf("refused changes ended the other session: got %d", rec.Code)
	}

	const newPassword = "a much better password"
	rec := b.postForm("/-/profile/password", url.Values{"_method": {"put"},
		"current_password": {dbtest.Password}, "password": {newPassword}, "password_confirmation": {newPassword}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/password/edit" {
		t.Fatalf("got %d to %q, want 303 back to the form", rec.Code, rec.Header().Get("Location"))
	}
	rec = b.get("/-/profile/password/edit")
	if rec.Code != http.StatusOK {
		t.Fatalf("this session after the change: got %d, want 200 (re-signed)", rec.Code)
	}
	if got := flash(doc(t, rec), "notice"); got != "Password was successfully updated." {
		t.Errorf("got flash %q", got)
	}
	if rec := other.get("/-/profile"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/users/sign_in" {
		t.Fatalf("the other session: got %d to %q, want it signed out", rec.Code, rec.Header().Get("Location"))
	}
	fresh := a.browser()
	fresh.get("/users/sign_in")
	if rec := fresh.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("old password: got %d, want 401", rec.Code)
	}
	if rec := fresh.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {newPassword}}); rec.Code != http.StatusSeeOther {
		t.Errorf("new password: got %d, want 303", rec.Code)
	}
}

func TestWrongCurrentPasswordsAreThrottled(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	b.get("/-/profile/password/edit")
	form := url.Values{"_method": {"put"}, "current_password": {"guess"}, "password": {"new password 1"}, "password_confirmation": {"new password 1"}}
	for i := 0; i < 10; i++ {
		if rec := b.postForm("/-/profile/password", form); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: got %d, want 422", i+1, rec.Code)
		}
	}
	form.Set("current_password", dbtest.Password)
	rec := b.postForm("/-/profile/password", form)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(fieldError(doc(t, rec), "user_current_password"), "Try again later") {
		t.Fatalf("got %d, want 429 with the message beside the field", rec.Code)
	}
	stored, _ := a.store.User(t.Context(), u.ID)
	if !db.CheckPassword(stored.PasswordHash, dbtest.Password) {
		t.Fatal("the password changed while throttled")
	}
}

var confirmationLink = regexp.MustCompile(`http://hooklab\.test/-/profile/emails/confirmation\?confirmation_token=(\S+)`)

// lastConfirmation returns the path of the last confirmation link mailed to to.
func lastConfirmation(t *testing.T, a *testApp, to string) string {
	t.Helper()
	mails := a.mail.all()
	for i := len(mails) - 1; i >= 0; i-- {
		m := mails[i]
		if m.To != to {
			continue
		}
		if m.Subject != "Confirmation instructions" {
			t.Fatalf("got subject %q, want Confirmation instructions", m.Subject)
		}
		link := confirmationLink.FindString(m.Body)
		if link == "" {
			t.Fatalf("no confirmation link in:\n%s", m.Body)
		}
		return strings.TrimPrefix(link, externalURL)
	}
	t.Fatalf("no mail to %s", to)
	return ""
}

func emailRow(d *goquery.Document, email string) *goquery.Selection {
	return d.Find(`[data-testid=email-row][data-email="` + email + `"]`)
}

func TestEmailsAddConfirmResendDelete(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	dbtest.User(t, a.store, "bob", false)
	b := a.signedIn(u)
	d := doc(t, b.get("/-/profile/emails"))
	if got := d.Find("[data-testid=email-primary]").Text(); !strings.Contains(got, "alice@example.com") || !strings.Contains(got, "Verified") {
		t.Errorf("primary row %q, want alice@example.com, Verified", got)
	}

	for _, tc := range []struct{ name, email, want string }{
		{"blank", "", "Enter the e-mail address."},
		{"invalid", "not-an-address", "Enter a whole e-mail address, such as name@example.com."},
		{"own primary", "ALICE@example.com", "This e-mail address is already used by an account: enter a different one."},
		{"someone else's", "bob@example.com", "This e-mail address is already used by an account: enter a different one."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/-/profile/emails", url.Values{"email": {tc.email}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			if got := fieldError(doc(t, rec), "email_email"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if n := len(a.mail.all()); n != 0 {
				t.Errorf("got %d mails, want none", n)
			}
			if emails, _ := a.store.Emails(t.Context(), u.ID); len(emails) != 0 {
				t.Errorf("got %d secondary emails, want none", len(emails))
			}
		})
	}

	rec := b.postForm("/-/profile/emails", url.Values{"email": {" alice@work.example.com "}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/emails" {
		t.Fatalf("add: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, b.get("/-/profile/emails"))
	if got := flash(d, "notice"); !strings.Contains(got, "Confirmation email sent to alice@work.example.com") {
		t.Errorf("got flash %q", got)
	}
	if emailRow(d, "alice@work.example.com").Find("[data-testid=email-unverified]").Length() != 1 {
		t.Fatal("the new email is not listed as unverified")
	}
	first := lastConfirmation(t, a, "alice@work.example.com")
	raw := strings.TrimPrefix(first, "/-/profile/emails/confirmation?confirmation_token=")
	if strings.Contains(a.logs.String(), raw) {
		t.Error("the confirmation token was logged")
	}

	// Resending replaces the link: the first one stops working.
	emails, _ := a.store.Emails(t.Context(), u.ID)
	resend := "/-/profile/emails/" + itoa(emails[0].ID) + "/resend_confirmation_instructions"
	if rec := b.postForm(resend, url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("resend: got %d", rec.Code)
	}
	if got := flash(doc(t, b.get("/-/profile/emails")), "notice"); got != "Confirmation email sent to alice@work.example.com." {
		t.Errorf("got flash %q", got)
	}
	second := lastConfirmation(t, a, "alice@work.example.com")
	if second == first {
		t.Fatal("resending mailed the same link")
	}
	if rec := b.get(first); rec.Code != http.StatusNotFound {
		t.Errorf("replaced link: got %d, want 404", rec.Code)
	}

	// The link works signed in; a used or unknown link gets a clear 404.
	rec = b.get(second)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/emails" {
		t.Fatalf("confirm: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, b.get("/-/profile/emails"))
	if got := flash(d, "notice"); got != "Your email address has been successfully confirmed." {
		t.Errorf("got flash %q", got)
	}
	if emailRow(d, "alice@work.example.com").Find("[data-testid=email-verified]").Length() != 1 {
		t.Error("the confirmed email is not shown as verified")
	}
	if got, _ := a.store.VerifiedEmails(t.Context(), u.ID); len(got) != 2 {
		t.Errorf("got verified emails %v, want the primary and the new one", got)
	}
	for _, link := range []string{second, "/-/profile/emails/confirmation?confirmation_token=nope", "/-/profile/emails/confirmation"} {
		rec := b.get(link)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "unknown or has already been used") {
			t.Errorf("%s: got %d, want 404 explaining the link is not valid", link, rec.Code)
		}
	}
	if rec := b.postForm(resend, url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("resend verified: got %d", rec.Code)
	} else if got := flash(doc(t, b.get("/-/profile/emails")), "alert"); got != "alice@work.example.com is already confirmed." {
		t.Errorf("got flash %q", got)
	}

	// Someone else's e-mail cannot be resent or removed.
	bob, _ := a.store.UserByUsername(t.Context(), "bob")
	be, err := a.store.AddEmail(t.Context(), bob.ID, "bob@work.example.com", "bobs-token")
	if err != nil {
		t.Fatal(err)
	}
	if rec := b.postForm("/-/profile/emails/"+itoa(be.ID), url.Values{"_method": {"delete"}}); rec.Code != http.StatusNotFound {
		t.Errorf("delete bob's email: got %d, want 404", rec.Code)
	}
	if rec := b.postForm("/-/profile/emails/"+itoa(be.ID)+"/resend_confirmation_instructions", url.Values{"_method": {"put"}}); rec.Code != http.StatusNotFound {
		t.Errorf("resend bob's email: got %d, want 404", rec.Code)
	}

	if rec := b.postForm("/-/profile/emails/"+itoa(emails[0].ID), url.Values{"_method": {"delete"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: got %d", rec.Code)
	}
	d = doc(t, b.get("/-/profile/emails"))
	if emailRow(d, "alice@work.example.com").Length() != 0 || flash(d, "notice") != "Email alice@work.example.com was removed." {
		t.Errorf("after delete: row still there or flash %q", flash(d, "notice"))
	}
}

func TestEmailConfirmationWorksSignedOut(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	b.get("/-/profile/emails")
	b.postForm("/-/profile/emails", url.Values{"email": {"alice@home.example.com"}})
	link := lastConfirmation(t, a, "alice@home.example.com")

	anon := a.browser()
	rec := anon.get(link)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/users/sign_in" {
		t.Fatalf("got %d to %q, want 303 to sign in", rec.Code, rec.Header().Get("Location"))
	}
	if got := flash(doc(t, anon.get("/users/sign_in")), "notice"); got != "Your email address has been successfully confirmed." {
		t.Errorf("got flash %q", got)
	}
	if got, _ := a.store.VerifiedEmails(t.Context(), u.ID); len(got) != 2 {
		t.Errorf("got verified %v", got)
	}
}

func TestConfirmationMailIsThrottled(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	b.get("/-/profile/emails")
	for i := 0; i < 10; i++ {
		if rec := b.postForm("/-/profile/emails", url.Values{"email": {"a" + itoa(int64(i)) + "@example.org"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("email %d: got %d", i, rec.Code)
		}
	}
	rec := b.postForm("/-/profile/emails", url.Values{"email": {"one-too-many@example.org"}})
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(fieldError(doc(t, rec), "email_email"), "Try again later") {
		t.Fatalf("got %d, want 429 with the message beside the field", rec.Code)
	}
	if n := len(a.mail.all()); n != 10 {
		t.Errorf("got %d mails, want 10", n)
	}
}

func TestPersonalAccessTokens(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	d := doc(t, b.get("/-/profile/personal_access_tokens"))
	if d.Find("[data-testid=no-active-tokens]").Length() != 1 {
		t.Fatal("want the empty state")
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")

	for _, tc := range []struct {
		name string
		form url.Values
		id   string
		want string
	}{
		{"no name", url.Values{"name": {" "}, "scopes[]": {"api"}}, "personal_access_token_name", "Enter the token name."},
		{"no scope", url.Values{"name": {"ci"}}, "personal_access_token_scopes", "Select at least one scope."},
		{"unknown scope", url.Values{"name": {"ci"}, "scopes[]": {"sudo"}}, "personal_access_token_scopes", "Select only the scopes listed: api, read_api."},
		{"past expiry", url.Values{"name": {"ci"}, "scopes[]": {"api"}, "expires_at": {"2020-01-01"}}, "personal_access_token_expires_at", "The expiration date must be in the future: choose tomorrow or a later date, or leave it blank."},
		{"bad date", url.Values{"name": {"ci"}, "scopes[]": {"api"}, "expires_at": {"next week"}}, "personal_access_token_expires_at", "Enter the expiration date as YEAR-MONTH-DAY, or leave it blank."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/-/profile/personal_access_tokens", tc.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if got := fieldError(d, tc.id); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if d.Find("[data-testid=new-token]").Length() != 0 {
				t.Error("a token is shown for a refused form")
			}
			if tokens, _ := a.store.Tokens(t.Context(), u.ID); len(tokens) != 0 {
				t.Errorf("got %d tokens, want none", len(tokens))
			}
		})
	}

	rec := b.postForm("/-/profile/personal_access_tokens", url.Values{"name": {"ci"}, "scopes[]": {"read_api"}, "expires_at": {tomorrow}})
	if rec.Code != http.StatusOK {
		t.Fatalf("create: got %d, want 200 with the token", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store on the page with the secret", got)
	}
	d = doc(t, rec)
	raw, _ := d.Find("[data-testid=new-token]").Attr("value")
	if !strings.HasPrefix(raw, model.TokenPrefix) {
		t.Fatalf("got token %q, want a %s token", raw, model.TokenPrefix)
	}
	if got := flash(d, "notice"); got != "Your new personal access token has been created." {
		t.Errorf("got flash %q", got)
	}
	row := d.Find(`[data-testid=token-row][data-token-name=ci]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "read_api") || !strings.Contains(row.Text(), "Never") {
		t.Errorf("active row %q, want name, read_api scope, never used", row.Text())
	}
	if rec := a.api(http.MethodGet, "/api/v4/user", raw, nil); rec.Code != http.StatusOK {
		t.Fatalf("the new token against /api/v4/user: got %d", rec.Code)
	}
	if rec := a.api(http.MethodPost, "/api/v4/groups", raw, map[string]string{"name": "x", "path": "x"}); rec.Code != http.StatusForbidden {
		t.Errorf("a read_api token writing: got %d, want 403", rec.Code)
	}
	if strings.Contains(a.logs.String(), raw) {
		t.Error("the token was logged")
	}
	rec = b.get("/-/profile/personal_access_tokens")
	if strings.Contains(rec.Body.String(), raw) || doc(t, rec).Find("[data-testid=new-token]").Length() != 0 {
		t.Fatal("the token is shown again on the next visit")
	}
	if !strings.Contains(doc(t, rec).Find(`[data-testid=token-row][data-token-name=ci]`).Text(), "just now") {
		t.Error("last used is not shown after the token was used")
	}

	// htmx gets the section alone, with the flash out of band.
	req := url.Values{"name": {"deploy"}, "scopes[]": {"api", "read_api"}}
	rec = b.postHTMX("/-/profile/personal_access_tokens", req)
	if rec.Code != http.StatusOK {
		t.Fatalf("htmx create: got %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "<html") {
		t.Error("htmx got a whole page")
	}
	d = doc(t, rec)
	if d.Find("#tokens-section [data-testid=new-token]").Length() != 1 || d.Find(`#flashes[hx-swap-oob] [data-testid=flash-notice]`).Length() != 1 {
		t.Errorf("htmx fragment lacks the token or the flash:\n%s", rec.Body)
	}
	rec = b.postHTMX("/-/profile/personal_access_tokens", url.Values{"name": {""}})
	if rec.Code != http.StatusUnprocessableEntity || fieldError(doc(t, rec), "personal_access_token_name") != "Enter the token name." {
		t.Errorf("htmx refused: got %d", rec.Code)
	}

	// Revoking asks first (a page without JavaScript), then revokes.
	tokens, _ := a.store.Tokens(t.Context(), u.ID)
	var ci model.PersonalAccessToken
	for _, tk := range tokens {
		if tk.Name == "ci" {
			ci = tk
		}
	}
	revoke := "/-/profile/personal_access_tokens/" + itoa(ci.ID) + "/revoke"
	d = doc(t, b.get(revoke))
	if d.Find("[data-testid=revoke-form]").Length() != 1 || !strings.Contains(d.Text(), `Revoke token "ci"?`) {
		t.Fatalf("no confirmation for revoking:\n%s", d.Text())
	}
	if rec := b.postForm(revoke, url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke: got %d", rec.Code)
	}
	d = doc(t, b.get("/-/profile/personal_access_tokens"))
	if got := flash(d, "notice"); got != "Revoked personal access token ci!" {
		t.Errorf("got flash %q", got)
	}
	if d.Find(`[data-testid=token-row][data-token-name=ci]`).Length() != 0 ||
		!strings.Contains(d.Find(`[data-testid=inactive-token-row][data-token-name=ci]`).Text(), "Revoked") {
		t.Error("the revoked token is not listed as inactive")
	}
	if rec := a.api(http.MethodGet, "/api/v4/user", raw, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("the revoked token: got %d, want 401", rec.Code)
	}

	// An expired token is listed as inactive.
	past := time.Now().Add(-time.Hour)
	if err := a.store.SetTokenExpiry(t.Context(), tokens[0].ID, &past); err != nil {
		t.Fatal(err)
	}
	if doc(t, b.get("/-/profile/personal_access_tokens")).Find(`[data-testid=inactive-token-row]:contains("Expired")`).Length() != 1 {
		t.Error("the expired token is not listed as expired")
	}

	// Another user's token cannot be seen or revoked.
	bob := dbtest.User(t, a.store, "bob", false)
	_, bt, err := a.store.IssueToken(context.Background(), bob.ID, model.NewTokenInput{Name: "bobs", Scopes: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	other := "/-/profile/personal_access_tokens/" + itoa(bt.ID) + "/revoke"
	if rec := b.get(other); rec.Code != http.StatusNotFound {
		t.Errorf("confirm bob's: got %d, want 404", rec.Code)
	}
	if rec := b.postForm(other, url.Values{"_method": {"put"}}); rec.Code != http.StatusNotFound {
		t.Errorf("revoke bob's: got %d, want 404", rec.Code)
	}
	if bts, _ := a.store.Tokens(t.Context(), bob.ID); bts[0].Revoked {
		t.Error("bob's token was revoked")
	}
}

// Administrators are offered the sudo scope; other users neither see it
// nor can post it.
func TestTokenSudoScopeForAdminsOnly(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	alice := dbtest.User(t, a.store, "alice", false)
	if n := doc(t, a.signedIn(alice).get("/-/profile/personal_access_tokens")).Find("[data-testid=scope-sudo]").Length(); n != 0 {
		t.Fatal("a non-admin is offered the sudo scope")
	}
	b := a.signedIn(root)
	if n := doc(t, b.get("/-/profile/personal_access_tokens")).Find("[data-testid=scope-sudo]").Length(); n != 1 {
		t.Fatal("an administrator is not offered the sudo scope")
	}
	rec := b.postForm("/-/profile/personal_access_tokens", url.Values{"name": {"sudo"}, "scopes[]": {"api", "sudo"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("create: got %d, want 200", rec.Code)
	}
	tokens, _ := a.store.Tokens(t.Context(), root.ID)
	if len(tokens) != 1 || !tokens[0].HasScope(model.ScopeSudo) {
		t.Fatalf("tokens: %+v", tokens)
	}
}
