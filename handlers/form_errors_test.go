package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Each HTML form answers bad input with a whole sentence beside every bad
// field at once, naming the field and the fix (the API keeps GitLab's
// fragments; its tests pin those).

// wantFieldSentences posts form to path and checks the 422 page shows
// want[id] beside the input with that id, for every id.
func wantFieldSentences(t *testing.T, b *browser, path string, form url.Values, want map[string]string) {
	t.Helper()
	rec := b.postForm(path, form)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", rec.Code)
	}
	d := doc(t, rec)
	for id, msg := range want {
		if got := fieldError(d, id); got != msg {
			t.Errorf("beside #%s: got %q, want %q", id, got, msg)
		}
	}
}

func TestAdminUserFormNamesEveryBadField(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	dbtest.User(t, a.store, "taken", false)
	b := a.signedIn(root)
	b.get("/admin/users/new")
	// A taken username used to show only once the other fields were fixed.
	wantFieldSentences(t, b, "/admin/users", url.Values{"username": {"Taken"}, "email": {"carol"}, "password": {"short"}}, map[string]string{
		"user_username": "The username is already taken: choose another.",
		"user_email":    "Enter a whole e-mail address, such as name@example.com.",
		"user_password": "The password is too short: use at least 8 characters.",
	})
	wantFieldSentences(t, b, "/admin/users", url.Values{"username": {"taken"}, "email": {"taken@example.com"}, "password": {"carol's password"}}, map[string]string{
		"user_username": "The username is already taken: choose another.",
		"user_email":    "This e-mail address is already used by an account: enter a different one.",
	})
	if n, _ := a.store.CountUsers(t.Context()); n != 2 {
		t.Errorf("got %d users, want 2", n)
	}
}

func TestTokenFormNamesEveryBadField(t *testing.T) {
	a := newTestApp(t)
	b := a.signedIn(dbtest.User(t, a.store, "alice", false))
	b.get("/-/profile/personal_access_tokens")
	wantFieldSentences(t, b, "/-/profile/personal_access_tokens", url.Values{"name": {" "}, "expires_at": {"2020-01-01"}}, map[string]string{
		"personal_access_token_name":       "Enter the token name.",
		"personal_access_token_scopes":     "Select at least one scope.",
		"personal_access_token_expires_at": "The expiration date must be in the future: choose tomorrow or a later date, or leave it blank.",
	})
}

func TestGroupAndProjectFormsNameEveryBadField(t *testing.T) {
	a := newTestApp(t)
	b := a.signedIn(dbtest.User(t, a.store, "alice", false))
	b.get("/groups/new")
	wantFieldSentences(t, b, "/groups", url.Values{"name": {" "}, "path": {"-bad"}}, map[string]string{
		"group_name": "Enter the name.",
		"group_path": "The path can contain only letters, digits, '_', '-' and '.', cannot start with '-', and cannot end in '.git' or '.atom': change it to fit.",
	})
	if rec := b.postForm("/groups", url.Values{"name": {"Acme"}, "path": {"acme"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("create group: got %d", rec.Code)
	}
	// A taken path used to show only once the name was fixed.
	wantFieldSentences(t, b, "/groups", url.Values{"name": {" "}, "path": {"ACME"}}, map[string]string{
		"group_name": "Enter the name.",
		"group_path": "The path is already taken: choose another.",
	})
	b.get("/projects/new")
	wantFieldSentences(t, b, "/projects", url.Values{"name": {"API"}, "path": {"api"}}, map[string]string{
		"project_namespace_id": "Choose the group the project belongs in: projects live in a group.",
	})
}

func TestSettingsFormNamesEveryBadField(t *testing.T) {
	a := newTestApp(t)
	b := a.signedIn(dbtest.User(t, a.store, "root", true))
	b.get("/admin/application_settings/general")
	wantFieldSentences(t, b, "/admin/application_settings/general", url.Values{
		"_method": {"put"}, "webhook_timeout": {"ten"}, "web_hook_calls": {"-1"}, "group_hooks_limit": {"0"},
		"mailgun_events_enabled": {"0", "1"}, "mailgun_signing_key": {""},
	}, map[string]string{
		"webhook_timeout":     "The webhook timeout must be a whole number, such as 10.",
		"web_hook_calls":      "The maximum webhook calls per minute must be a whole number of 0 or more.",
		"group_hooks_limit":   "The maximum webhooks per group must be a whole number of 1 or more.",
		"mailgun_signing_key": "Enter the Mailgun signing key to enable Mailgun, or untick Enable Mailgun.",
	})
}

func TestMemberFormsNameEveryBadField(t *testing.T) {
	w := newMembersWorld(t)
	b := w.a.signedIn(w.owner)
	b.get(w.groupMembersURL)
	wantFieldSentences(t, b, w.groupMembersURL, url.Values{"username": {" "}, "access_level": {"35"}, "expires_at": {"soon"}}, map[string]string{
		"member_username":     "Enter the username.",
		"member_access_level": "Choose an access level from the list.",
		"member_expires_at":   "Enter the expiration date as YEAR-MONTH-DAY, or leave it blank.",
	})
	wantFieldSentences(t, b, w.groupMembersURL+"/invite", url.Values{"email": {"not-an-address"}, "access_level": {"60"}}, map[string]string{
		"invite_email":        "Enter a whole e-mail address, such as name@example.com.",
		"invite_access_level": "Choose an access level from the list.",
	})
}

func TestInviteSignUpFormNamesEveryBadField(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "newbie@example.org", "reg-token")
	b := w.a.browser()
	b.get("/-/invites/reg-token")
	wantFieldSentences(t, b, "/-/invites/reg-token/register", url.Values{"username": {"carol"}, "name": {"New Bie"}, "password": {"short"}}, map[string]string{
		"register_username": "The username is already taken: choose another.",
		"register_password": "The password is too short: use at least 8 characters.",
	})
}

func TestNotificationsFormNamesEveryBadField(t *testing.T) {
	a := newTestApp(t)
	b := a.signedIn(dbtest.User(t, a.store, "alice", false))
	b.get("/-/profile/notifications")
	wantFieldSentences(t, b, "/-/profile/notifications", url.Values{"_method": {"PUT"}, "level": {""}, "notification_email": {"nobody@example.org"}}, map[string]string{
		"notification_email":        "Choose one of your verified e-mail addresses for notifications, or verify this one first on the Emails page.",
		"global_notification_level": "Choose a notification level.",
	})
}
