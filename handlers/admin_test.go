package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestAdminPagesAre404ForNonAdmins(t *testing.T) {
	a := newTestApp(t)
	dbtest.User(t, a.store, "root", true)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	b.get("/")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/admin"},
		{"GET", "/admin/users"},
		{"GET", "/admin/users/new"},
		{"POST", "/admin/users"},
		{"GET", "/admin/users/root"},
		{"PUT", "/admin/users/root/block"},
		{"PUT", "/admin/users/alice/admin"},
		{"PUT", "/admin/users/root/emails/1/verify"},
		{"GET", "/admin/groups"},
		{"GET", "/admin/projects"},
		{"GET", "/admin/application_settings/general"},
		{"PUT", "/admin/application_settings/general"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var code int
			if tc.method == "GET" {
				code = b.get(tc.path).Code
			} else {
				code = b.postForm(tc.path, url.Values{"_method": {tc.method}, "username": {"x"}, "webhook_timeout": {"5"}}).Code
			}
			if code != http.StatusNotFound {
				t.Errorf("got %d, want 404", code)
			}
			if rec := a.browser().get(tc.path); tc.method == "GET" && rec.Code != http.StatusSeeOther {
				t.Errorf("signed out: got %d, want a redirect to sign in", rec.Code)
			}
		})
	}
	if got, _ := a.store.User(t.Context(), u.ID); got.Admin {
		t.Error("alice made herself an admin")
	}
	if st, _ := a.store.Settings(t.Context()); st.WebhookTimeout != 10 {
		t.Errorf("settings changed by a non-admin: timeout %d", st.WebhookTimeout)
	}
}

func TestAdminUserListSearchAndPages(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	for i := 1; i <= 24; i++ {
		dbtest.User(t, a.store, fmt.Sprintf("user%02d", i), false)
	}
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/users"))
	if got := d.Find("[data-testid=user-row]").Length(); got != 20 {
		t.Fatalf("page 1: got %d rows, want 20", got)
	}
	if d.Find(`[data-testid=user-row][data-username=root] [data-testid=badge-you]`).Length() != 1 {
		t.Error("root is not marked as the current user")
	}
	next, ok := d.Find("[data-testid=next-page]").Attr("href")
	if !ok || next != "/admin/users?page=2" {
		t.Fatalf("got next link %q", next)
	}
	d = doc(t, b.get(next))
	if got := d.Find("[data-testid=user-row]").Length(); got != 5 {
		t.Errorf("page 2: got %d rows, want 5", got)
	}
	if d.Find("[data-testid=next-page]").Length() != 0 || d.Find("[data-testid=prev-page]").Length() != 1 {
		t.Error("page 2 should have a previous link and no next link")
	}

	d = doc(t, b.get("/admin/users?search=USER1"))
	var names []string
	d.Find("[data-testid=user-row]").Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("data-username")
		names = append(names, n)
	})
	if len(names) != 10 || names[0] != "user10" || d.Find("[data-testid=pager]").Length() != 0 {
		t.Errorf("search user1: got %v, want user10..user19 on one page", names)
	}
	if v, _ := d.Find("[data-testid=search-input]").Attr("value"); v != "USER1" {
		t.Errorf("the search box shows %q", v)
	}
	if d := doc(t, b.get("/admin/users?search=nobody")); d.Find("[data-testid=no-users]").Length() != 1 {
		t.Error("no empty state for a search without results")
	}
	if rec := b.get("/admin/users?page=abc"); rec.Code != http.StatusOK {
		t.Errorf("malformed page: got %d, want 200 (first page)", rec.Code)
	}
}

func TestAdminCreatesUser(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	dbtest.User(t, a.store, "taken", false)
	b := a.signedIn(root)
	b.get("/admin/users/new")
	good := url.Values{"username": {"carol"}, "name": {"Carol"}, "email": {"carol@example.com"}, "password": {"carol's password"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range good {
			f[key] = vals
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		name string
		form url.Values
		id   string
		want string
	}{
		{"blank username", with("username", ""), "user_username", "Enter the username."},
		{"bad username", with("username", "-carol"), "user_username", "The username can contain only letters, digits, '_', '-' and '.', cannot start or end with '_', '-' or '.', and cannot hold two of them in a row: change it to fit."},
		{"taken username", with("username", "Taken"), "user_username", "The username is already taken: choose another."},
		{"reserved username", with("username", "admin"), "user_username", "The username is reserved for Hooklab's own pages: choose another."},
		{"bad email", with("email", "carol"), "user_email", "Enter a whole e-mail address, such as name@example.com."},
		{"taken email", with("email", "taken@example.com"), "user_email", "This e-mail address is already used by an account: enter a different one."},
		{"short password", with("password", "short"), "user_password", "The password is too short: use at least 8 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/admin/users", tc.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if got := fieldError(d, tc.id); !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if v, _ := d.Find("#user_password").Attr("value"); v != "" {
				t.Error("the password is rendered back")
			}
			if n, _ := a.store.CountUsers(t.Context()); n != 2 {
				t.Errorf("got %d users, want 2", n)
			}
		})
	}
	rec := b.postForm("/admin/users", with("admin", "1"))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/users/carol" {
		t.Fatalf("got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d := doc(t, b.get("/admin/users/carol"))
	if got := flash(d, "notice"); got != "User was successfully created." {
		t.Errorf("got flash %q", got)
	}
	if got := strings.TrimSpace(d.Find("[data-testid=admin-user-access]").Text()); got != "Administrator" {
		t.Errorf("got access %q", got)
	}
	carol, err := a.store.UserByUsername(t.Context(), "carol")
	if err != nil || !carol.Admin || carol.Email != "carol@example.com" {
		t.Fatalf("got %+v, %v", carol, err)
	}
	c := a.browser()
	c.get("/users/sign_in")
	if rec := c.postForm("/users/sign_in", url.Values{"login": {"carol"}, "password": {"carol's password"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("carol signs in: got %d", rec.Code)
	}
	if rec := b.get("/admin/users/nobody"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown user: got %d, want 404", rec.Code)
	}
}

func TestAdminBlocksAndUnblocksUser(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	u := dbtest.User(t, a.store, "alice", false)
	token := a.token(u)
	alice := a.signedIn(u)
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/users/alice"))
	if d.Find("[data-testid=user-block]").Length() != 1 {
		t.Fatal("no Block button")
	}
	// Block asks first: the button only opens a confirmation that names the
	// user; the form's own button blocks.
	confirm := d.Find("[data-testid=user-block-confirmation]")
	if !confirm.Is("details") || confirm.Find("summary[data-testid=user-block]").Length() != 1 ||
		strings.TrimSpace(confirm.Find("form button[data-testid=user-block-confirm]").Text()) != "Block alice" {
		t.Fatalf("no confirmation before blocking: %q", strings.Join(strings.Fields(confirm.Text()), " "))
	}

	if rec := b.postForm("/admin/users/alice/block", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("block: got %d", rec.Code)
	}
	d = doc(t, b.get("/admin/users/alice"))
	if flash(d, "notice") != "Successfully blocked" || d.Find("[data-testid=badge-blocked]").Length() != 1 || d.Find("[data-testid=user-unblock]").Length() != 1 {
		t.Errorf("after block: flash %q, page %q", flash(d, "notice"), d.Find("[data-testid=admin-user-details]").Text())
	}
	if rec := alice.get("/-/profile"); rec.Code != http.StatusSeeOther {
		t.Errorf("alice's session after the block: got %d, want signed out", rec.Code)
	}
	s := a.browser()
	s.get("/users/sign_in")
	if rec := s.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}}); rec.Code != http.StatusForbidden {
		t.Errorf("alice signs in: got %d, want 403", rec.Code)
	}
	rec := a.api(http.MethodGet, "/api/v4/user", token, nil)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "blocked") {
		t.Errorf("alice's token: got %d %s, want 403 blocked", rec.Code, rec.Body)
	}

	if rec := b.postForm("/admin/users/alice/unblock", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("unblock: got %d", rec.Code)
	}
	if got := flash(doc(t, b.get("/admin/users/alice")), "notice"); got != "Successfully unblocked" {
		t.Errorf("got flash %q", got)
	}
	if rec := a.api(http.MethodGet, "/api/v4/user", token, nil); rec.Code != http.StatusOK {
		t.Errorf("alice's token after unblock: got %d", rec.Code)
	}
	if rec := s.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}}); rec.Code != http.StatusSeeOther {
		t.Errorf("alice signs in after unblock: got %d", rec.Code)
	}
}

func TestAdminCannotBlockOrDemoteThemselves(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/users/root"))
	if d.Find("[data-testid=user-block], [data-testid=user-remove-admin]").Length() != 0 || d.Find("[data-testid=self-note]").Length() != 1 {
		t.Error("the own page offers block or demote")
	}
	for _, tc := range []struct{ method, path, want string }{
		{"put", "/admin/users/root/block", "You cannot block yourself."},
		{"delete", "/admin/users/root/admin", "You cannot change your own administrator rights."},
	} {
		rec := b.postForm(tc.path, url.Values{"_method": {tc.method}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: got %d", tc.path, rec.Code)
		}
		if got := flash(doc(t, b.get("/admin/users/root")), "alert"); got != tc.want {
			t.Errorf("%s: got flash %q, want %q", tc.path, got, tc.want)
		}
	}
	got, _ := a.store.User(t.Context(), root.ID)
	if !got.Admin || !got.Active() {
		t.Errorf("root changed itself: admin %v, state %s", got.Admin, got.State)
	}
}

func TestAdminGrantsAndRemovesAdminRights(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(root)
	alice := a.signedIn(u)
	b.get("/admin/users/alice")
	if rec := b.postForm("/admin/users/alice/admin", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("grant: got %d", rec.Code)
	}
	if got := flash(doc(t, b.get("/admin/users/alice")), "notice"); got != "User was made an administrator." {
		t.Errorf("got flash %q", got)
	}
	if rec := alice.get("/admin/users"); rec.Code != http.StatusOK {
		t.Errorf("alice as admin: got %d, want 200", rec.Code)
	}
	if rec := b.postForm("/admin/users/alice/admin", url.Values{"_method": {"delete"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("remove: got %d", rec.Code)
	}
	if got := flash(doc(t, b.get("/admin/users/alice")), "notice"); got != "Administrator rights were removed." {
		t.Errorf("got flash %q", got)
	}
	if rec := alice.get("/admin/users"); rec.Code != http.StatusNotFound {
		t.Errorf("alice no longer admin: got %d, want 404", rec.Code)
	}
}

func TestAdminMarksEmailVerified(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	u := dbtest.User(t, a.store, "alice", false)
	bob := dbtest.User(t, a.store, "bob", false)
	e, err := a.store.AddEmail(t.Context(), u.ID, "alice@work.example.com", "token-1")
	if err != nil {
		t.Fatal(err)
	}
	be, err := a.store.AddEmail(t.Context(), bob.ID, "bob@work.example.com", "token-2")
	if err != nil {
		t.Fatal(err)
	}
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/users/alice"))
	row := emailRow(d, "alice@work.example.com")
	if row.Find("[data-testid=email-unverified]").Length() != 1 || row.Find("[data-testid=email-mark-verified]").Length() != 1 {
		t.Fatal("the unverified e-mail has no Mark as verified button")
	}
	// An e-mail of another user cannot be verified through alice's page.
	if rec := b.postForm("/admin/users/alice/emails/"+itoa(be.ID)+"/verify", url.Values{"_method": {"put"}}); rec.Code != http.StatusNotFound {
		t.Errorf("bob's e-mail via alice: got %d, want 404", rec.Code)
	}
	if rec := b.postForm("/admin/users/alice/emails/"+itoa(e.ID)+"/verify", url.Values{"_method": {"put"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("verify: got %d", rec.Code)
	}
	d = doc(t, b.get("/admin/users/alice"))
	if got := flash(d, "notice"); got != "alice@work.example.com was marked as verified." {
		t.Errorf("got flash %q", got)
	}
	if emailRow(d, "alice@work.example.com").Find("[data-testid=email-verified]").Length() != 1 {
		t.Error("not shown as verified")
	}
	if got, _ := a.store.VerifiedEmails(t.Context(), u.ID); len(got) != 2 {
		t.Errorf("got verified %v", got)
	}
	if got, _ := a.store.VerifiedEmails(t.Context(), bob.ID); len(got) != 1 {
		t.Errorf("bob's e-mail got verified: %v", got)
	}
	// The old confirmation link no longer works once an admin verified it.
	if rec := a.browser().get("/-/profile/emails/confirmation?confirmation_token=token-1"); rec.Code != http.StatusNotFound {
		t.Errorf("link after admin verification: got %d, want 404", rec.Code)
	}
}

func TestAdminGroupAndProjectLists(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	owner := dbtest.User(t, a.store, "owner", false)
	acme := dbtest.Group(t, a.store, "acme", nil, owner)
	platform := dbtest.Group(t, a.store, "platform", acme, nil)
	dbtest.Group(t, a.store, "other", nil, nil)
	dbtest.Project(t, a.store, "api", platform)
	dbtest.Project(t, a.store, "web", acme)
	for i := 0; i < 21; i++ {
		dbtest.Project(t, a.store, fmt.Sprintf("p%02d", i), acme)
	}
	b := a.signedIn(root)

	d := doc(t, b.get("/admin/groups"))
	if got := d.Find("[data-testid=group-row]").Length(); got != 3 {
		t.Errorf("got %d groups, want 3", got)
	}
	if href, _ := d.Find(`[data-testid=group-row] a[href="/groups/acme/platform"]`).Attr("href"); href == "" {
		t.Error("no link to the subgroup's page")
	}
	d = doc(t, b.get("/admin/groups?search=plat"))
	if got := d.Find("[data-testid=group-row]").Length(); got != 1 {
		t.Errorf("search plat: got %d groups, want 1", got)
	}

	d = doc(t, b.get("/admin/projects"))
	if got := d.Find("[data-testid=project-row]").Length(); got != 20 {
		t.Errorf("page 1: got %d projects, want 20", got)
	}
	if d.Find("[data-testid=next-page]").Length() != 1 {
		t.Error("no next page link")
	}
	d = doc(t, b.get("/admin/projects?search=api"))
	link := d.Find(`[data-testid=project-row] a[href="/acme/platform/api"]`)
	if d.Find("[data-testid=project-row]").Length() != 1 || link.Length() != 1 {
		t.Errorf("search api: got %q", d.Find("[data-testid=admin-project-list]").Text())
	}
	if rec := b.get("/acme/platform/api"); rec.Code != http.StatusOK {
		t.Errorf("the linked project page: got %d", rec.Code)
	}
}

func TestAdminSettingsForm(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	st, _ := a.store.Settings(t.Context())
	st.MailgunEventsEnabled, st.MailgunSigningKey = true, "mailgun-key-secret"
	if err := a.store.UpdateSettings(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/application_settings/general"))
	for _, section := range []string{"settings-outbound", "settings-webhooks"} {
		if d.Find("[data-testid="+section+"]").Length() != 1 {
			t.Errorf("no %s section", section)
		}
	}
	if v, _ := d.Find("#webhook_timeout").Attr("value"); v != "10" {
		t.Errorf("webhook_timeout shows %q, want 10", v)
	}
	if _, checked := d.Find("#auto_disabling_web_hooks").Attr("checked"); !checked {
		t.Error("auto-disabling is not shown ticked")
	}
	if strings.Contains(d.Text(), "mailgun-key-secret") {
		t.Error("the Mailgun key is rendered")
	}

	// The form as a browser posts it: hidden "0" twins before every checkbox.
	form := func() url.Values {
		return url.Values{
			"_method": {"put"},
			"allow_local_requests_from_web_hooks_and_services": {"0", "1"},
			"allow_local_requests_from_system_hooks":           {"0"},
			"outbound_local_requests_allowlist_raw":            {"example.com\n10.0.0.0/8, 127.0.0.1:8080\nexample.com"},
			"webhook_timeout":                                  {"20"},
			"push_event_hooks_limit":                           {"5"},
			"web_hook_calls":                                   {"100"},
			"project_hooks_limit":                              {"10"},
			"group_hooks_limit":                                {"7"},
			"auto_disabling_web_hooks":                         {"0"},
			"web_hook_test_limit":                              {"2"},
			"web_hook_resend_limit":                            {"3"},
			"hook_log_retention_days":                          {"30"},
		}
	}
	for _, tc := range []struct {
		name, field, value, id, want string
	}{
		{"timeout too long", "webhook_timeout", "121", "webhook_timeout", "The webhook timeout must be a whole number of seconds from 1 to 120."},
		{"timeout not a number", "webhook_timeout", "ten", "webhook_timeout", "The webhook timeout must be a whole number, such as 10."},
		{"negative push limit", "push_event_hooks_limit", "-1", "push_event_hooks_limit", "The push event hooks limit must be a whole number of 0 or more."},
		{"zero hooks per project", "project_hooks_limit", "0", "project_hooks_limit", "The maximum webhooks per project must be a whole number of 1 or more."},
		{"empty retention", "hook_log_retention_days", "", "hook_log_retention_days", "The number of days to keep webhook logs must be a whole number, such as 10."},
		{"bad allowlist port", "outbound_local_requests_allowlist_raw", "example.com:99999", "outbound_local_requests_allowlist_raw", "An allowlist entry has a port outside 1–65535: use a port from 1 to 65535, or none."},
		{"unicode allowlist", "outbound_local_requests_allowlist_raw", "bücher.example", "outbound_local_requests_allowlist_raw", "Write international domain names in their IDNA form (xn--…), such as xn--bcher-kva.example for bücher.example."},
		{"malformed allowlist entries", "outbound_local_requests_allowlist_raw", "example.com\nnot a host!!\n10.0.0.0/33", "outbound_local_requests_allowlist_raw",
			`These entries are not a domain name, IP address or CIDR range: "host!!", "10.0.0.0/33". Write each like example.com`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := form()
			f.Set(tc.field, tc.value)
			rec := b.postForm("/admin/application_settings/general", f)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if got := fieldError(d, tc.id); !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if tc.field != "outbound_local_requests_allowlist_raw" {
				if v, _ := d.Find("#" + tc.id).Attr("value"); v != tc.value {
					t.Errorf("the field shows %q, want what was typed (%q)", v, tc.value)
				}
			}
			got, _ := a.store.Settings(t.Context())
			if got.WebhookTimeout != 10 || got.PushEventHooksLimit != 3 || len(got.OutboundLocalRequestsAllowlist) != 0 || !got.AutoDisablingWebHooks {
				t.Errorf("settings changed by a refused form: %+v", got)
			}
		})
	}

	rec := b.postForm("/admin/application_settings/general", form())
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/application_settings/general" {
		t.Fatalf("save: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, b.get("/admin/application_settings/general"))
	if got := flash(d, "notice"); got != "Application settings saved successfully" {
		t.Errorf("got flash %q", got)
	}
	got, _ := a.store.Settings(t.Context())
	want := model.Settings{
		MailgunEventsEnabled: true, MailgunSigningKey: "mailgun-key-secret",
		AllowLocalRequestsFromWebHooksAndServices: true, AllowLocalRequestsFromSystemHooks: false,
		OutboundLocalRequestsAllowlist: []string{"example.com", "10.0.0.0/8", "127.0.0.1:8080"},
		PushEventHooksLimit:            5, WebHookCalls: 100, WebhookTimeout: 20, ProjectHooksLimit: 10, GroupHooksLimit: 7,
		AutoDisablingWebHooks: false, WebHookTestLimit: 2, WebHookResendLimit: 3, HookLogRetentionDays: 30,
		UpdatedAt: got.UpdatedAt,
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if v := d.Find("#outbound_local_requests_allowlist_raw").Text(); v != "example.com\n10.0.0.0/8\n127.0.0.1:8080" {
		t.Errorf("the allowlist shows %q, one entry per line", v)
	}
	if _, checked := d.Find("#allow_local_requests_from_system_hooks").Attr("checked"); checked {
		t.Error("the unticked checkbox is shown ticked")
	}
	if !strings.Contains(d.Find("[data-testid=sidebar] a.active").Text(), "Settings") {
		t.Error("the sidebar does not mark Settings")
	}
}
