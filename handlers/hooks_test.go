package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// hookForm is a plain post of the hook form with the browser's defaults
// (push events, wildcard, SSL verification) and the given fields.
func hookForm(fields map[string]string) url.Values {
	v := url.Values{"push_events": {"1"}, "branch_filter_strategy": {"wildcard"}, "enable_ssl_verification": {"1"}}
	for k, val := range fields {
		v.Set(k, val)
	}
	return v
}

// addRows adds URL masking rows (value, key pairs) and custom header rows
// (key, value pairs) as the form posts them.
func addRows(v url.Values, masks, headers [][2]string) url.Values {
	for _, m := range masks {
		v.Add("url_variables[][value]", m[0])
		v.Add("url_variables[][key]", m[1])
	}
	for _, h := range headers {
		v.Add("custom_headers[][key]", h[0])
		v.Add("custom_headers[][value]", h[1])
	}
	return v
}

// formValues collects what a browser would submit from the form sel in a
// page: inputs, checked boxes, textareas, in document order (not buttons).
func formValues(t *testing.T, rec *httptest.ResponseRecorder, sel string) url.Values {
	t.Helper()
	d := doc(t, rec)
	form := d.Find(sel)
	if form.Length() == 0 {
		t.Fatalf("no form %s in %s", sel, rec.Body)
	}
	v := url.Values{}
	form.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || name == "" {
			return
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			v.Add(name, s.Text())
		case s.AttrOr("type", "text") == "checkbox" || s.AttrOr("type", "text") == "radio":
			if _, checked := s.Attr("checked"); checked {
				v.Add(name, s.AttrOr("value", "on"))
			}
		default:
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// noSecrets fails when body holds any of the secrets.
func noSecrets(t *testing.T, what, body string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("%s holds the secret %q", what, s)
		}
	}
}

func followFlash(t *testing.T, b *browser, rec *httptest.ResponseRecorder, want string) *httptest.ResponseRecorder {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("got %d, want 303; body:\n%s", rec.Code, rec.Body)
	}
	page := b.get(rec.Header().Get("Location"))
	if got := doc(t, page).Find("[data-testid=flash-notice]").Text(); got != want {
		t.Fatalf("got flash %q, want %q", got, want)
	}
	return page
}

const (
	formPathSecret   = "form-path-secret-41"
	formQuerySecret  = "form-query-secret-42"
	formToken        = "form-token-secret-43"
	formHeaderSecret = "form-header-secret-44"
	formHeader2      = "form-header-secret-45"
)

var formSecrets = []string{formPathSecret, formQuerySecret, formToken, formHeaderSecret, formHeader2}

func TestHookFormCreateEditDelete(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	ctx := context.Background()

	list := b.get("/acme/api/-/hooks")
	wantStatus(t, list, http.StatusOK, `data-testid="hook-list-empty"`)
	newPage := b.get("/acme/api/-/hooks/new")
	wantStatus(t, newPage, http.StatusOK, `data-testid="hook-form"`)
	if doc(t, newPage).Find("[data-testid=trigger-member_events]").Length() != 0 {
		t.Fatal("the project hook form offers member events")
	}
	if _, checked := doc(t, newPage).Find("#hook_push_events").Attr("checked"); !checked {
		t.Fatal("push events is not checked by default")
	}

	form := addRows(hookForm(map[string]string{
		"url":                       "https://webhook.example.com/hook/" + formPathSecret + "?token=" + formQuerySecret,
		"name":                      "Receiver",
		"description":               "Our receiver",
		"token":                     formToken,
		"issues_events":             "1",
		"push_events_branch_filter": "release/*",
	}), [][2]string{{formPathSecret, "path"}, {formQuerySecret, "token"}}, [][2]string{{"Authorization", formHeaderSecret}, {"X-Second", formHeader2}})
	list = followFlash(t, b, b.postForm("/acme/api/-/hooks", form), "Webhook was created")
	d := doc(t, list)
	if got := d.Find("[data-testid=hook-url]").Text(); got != "https://webhook.example.com/hook/{path}?token={token}" {
		t.Fatalf("got listed URL %q", got)
	}
	if got := d.Find("[data-testid=hook-triggers]").Text(); !strings.Contains(got, "Push events") || !strings.Contains(got, "Issues events") {
		t.Fatalf("got triggers %q", got)
	}
	if got := d.Find("[data-testid=hook-ssl]").Text(); !strings.Contains(got, "SSL Verification: enabled") {
		t.Fatalf("got %q", got)
	}
	noSecrets(t, "the list", list.Body.String(), formSecrets...)

	hooks, _ := f.a.store.HooksByProject(ctx, f.api.ID)
	if len(hooks) != 1 {
		t.Fatalf("got %d hooks", len(hooks))
	}
	hk := hooks[0]
	if hk.Token != formToken || hk.URLVariables["path"] != formPathSecret || hk.URLVariables["token"] != formQuerySecret ||
		hk.CustomHeaders["Authorization"] != formHeaderSecret || hk.CustomHeaders["X-Second"] != formHeader2 ||
		hk.Name != "Receiver" || *hk.PushEventsBranchFilter != "release/*" || !hk.Events.Has("issues_events") {
		t.Fatalf("stored: %+v", hk)
	}

	// The edit form shows secrets as the mask, variables by name.
	edit := b.get(fmt.Sprintf("/acme/api/-/hooks/%d/edit", hk.ID))
	wantStatus(t, edit, http.StatusOK, `data-testid="hook-token-note"`)
	noSecrets(t, "the edit page", edit.Body.String(), formSecrets...)
	d = doc(t, edit)
	if v, _ := d.Find("#hook_token").Attr("value"); v != model.HookSecretMask {
		t.Fatalf("token field: got %q", v)
	}
	if got := d.Find("[data-testid=url-var-key]").Text(); got != "{path}{token}" {
		t.Fatalf("URL variables: got %q", got)
	}
	if n := d.Find("[data-testid=header-value][value='" + model.HookSecretMask + "']").Length(); n != 2 {
		t.Fatalf("got %d masked header values, want 2", n)
	}

	// Saving the form as shown keeps every secret.
	values := formValues(t, edit, "#hook-form")
	values.Set("name", "Renamed")
	followFlash(t, b, b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hk.ID), values), "Webhook was updated")
	got, _ := f.a.store.Hook(ctx, hk.ID)
	if got.Name != "Renamed" || got.Token != formToken || !maps(got.URLVariables, hk.URLVariables) || !maps(got.CustomHeaders, hk.CustomHeaders) {
		t.Fatalf("after saving unchanged: %+v", got)
	}

	// Removing a header row deletes that header.
	edit = b.get(fmt.Sprintf("/acme/api/-/hooks/%d/edit", hk.ID))
	values = formValues(t, edit, "#hook-form")
	values.Set("_op", "remove_header_row:1")
	shown := b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hk.ID), values)
	wantStatus(t, shown, http.StatusOK, `data-testid="hook-form"`)
	if n := doc(t, shown).Find("[data-testid=header-row]").Length(); n != 1 {
		t.Fatalf("got %d header rows after removing one", n)
	}
	values = formValues(t, shown, "#hook-form")
	followFlash(t, b, b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hk.ID), values), "Webhook was updated")
	got, _ = f.a.store.Hook(ctx, hk.ID)
	if !maps(got.CustomHeaders, map[string]string{"Authorization": formHeaderSecret}) {
		t.Fatalf("headers: got %v", got.CustomHeaders)
	}

	// Deleting asks first (a page without JavaScript), then deletes.
	confirm := b.get(fmt.Sprintf("/acme/api/-/hooks/%d/delete", hk.ID))
	wantStatus(t, confirm, http.StatusOK, "Are you sure you want to delete this webhook?")
	values = formValues(t, confirm, "[data-testid=hook-delete-page] form")
	list = followFlash(t, b, b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hk.ID), values), "Webhook was deleted")
	wantStatus(t, list, http.StatusOK, `data-testid="hook-list-empty"`)
	noSecrets(t, "the log", f.a.logs.String(), formSecrets...)
}

func TestHookFormErrorsShowBesideFieldsAndKeepSecretsSealed(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")
	ctx := context.Background()

	form := addRows(hookForm(map[string]string{
		"url":                       "https://webhook.example.com/hook/" + formPathSecret,
		"token":                     formToken,
		"branch_filter_strategy":    "regex",
		"push_events_branch_filter": seedExcludeMain,
		"name":                      strings.Repeat("n", 256),
	}), [][2]string{{formPathSecret, "path"}}, [][2]string{{"Authorization", formHeaderSecret}})
	rec := b.postForm("/acme/api/-/hooks", form)
	wantStatus(t, rec, http.StatusUnprocessableEntity, `data-testid="hook-form"`)
	noSecrets(t, "the 422 page", rec.Body.String(), formSecrets...)
	d := doc(t, rec)
	if got := d.Find("#branch-filter-pattern .field-error").Text(); got != "The regular expression is not valid RE2 syntax (invalid perl operator: (?!)." {
		t.Fatalf("branch filter error: got %q", got)
	}
	if got := d.Find("#hook_name").Parent().Find(".field-error").Text(); got != "The name is too long (maximum is 255 characters)." {
		t.Fatalf("name error: got %q", got)
	}
	if got, _ := d.Find("#hook_url").Attr("value"); got != "https://webhook.example.com/hook/{path}" {
		t.Fatalf("the URL is shown as %q, want it masked", got)
	}
	if n, _ := f.a.store.CountHooks(ctx, model.ProjectHookKind, f.api.ID); n != 0 {
		t.Fatal("an invalid hook was stored")
	}

	// Submitting the form as shown, with the fields fixed, saves the
	// secrets typed the first time.
	values := formValues(t, rec, "#hook-form")
	values.Set("push_events_branch_filter", `^(feature|hotfix)/`)
	values.Set("name", "ok")
	followFlash(t, b, b.postForm("/acme/api/-/hooks", values), "Webhook was created")
	hooks, _ := f.a.store.HooksByProject(ctx, f.api.ID)
	if len(hooks) != 1 || hooks[0].Token != formToken || hooks[0].URLVariables["path"] != formPathSecret ||
		hooks[0].CustomHeaders["Authorization"] != formHeaderSecret || hooks[0].BranchFilterStrategy != model.BranchFilterRegex {
		t.Fatalf("stored: %+v", hooks)
	}

	// Sealed secrets belong to the user who typed them.
	other := f.a.signedIn(f.owner)
	other.get("/acme/api/-/hooks/new")
	values.Set("authenticity_token", other.csrf)
	values.Set("push_events_branch_filter", "(")
	rec = other.postForm("/acme/api/-/hooks", values)
	wantStatus(t, rec, http.StatusUnprocessableEntity, "")
	if doc(t, rec).Find("#hook_token").AttrOr("value", "") != "" {
		t.Fatal("another user's sealed token opened")
	}
}

func TestHookFormMaskingAndTemplateErrors(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")
	for _, tc := range []struct {
		name   string
		form   url.Values
		sel    string
		want   string
		secret string
	}{
		{"mask value not in the URL", addRows(hookForm(map[string]string{"url": "https://webhook.example.com/x"}), [][2]string{{"nothere", "key"}}, nil),
			"[data-testid=mask-row] .field-error", "This text is not in the URL: copy the sensitive portion exactly as the URL has it.", ""},
		{"mask key invalid", addRows(hookForm(map[string]string{"url": "https://webhook.example.com/x"}), [][2]string{{"x", "1bad"}}, nil),
			"[data-testid=mask-row] .field-error", `Use letters and digits, separated by single ".", "_" or "-", starting with a letter.`, ""},
		{"placeholder without variable", hookForm(map[string]string{"url": "https://webhook.example.com/{foo}/{three}"}),
			"#hook_url ~ .field-error", "The URL uses {foo}, {three} but no masked portion has that name: add a URL masking row for each, or take it out of the URL.", ""},
		{"header without value", addRows(hookForm(map[string]string{"url": "https://webhook.example.com/x"}), nil, [][2]string{{"X-Key", ""}}),
			"[data-testid=header-row] .field-error", "This field is required.", ""},
		{"header name invalid", addRows(hookForm(map[string]string{"url": "https://webhook.example.com/x"}), nil, [][2]string{{"X--Key", "v-secret-77"}}),
			"[data-testid=custom-headers] > .field-error", `"X--Key" is not a valid name`, "v-secret-77"},
		{"template walks into an array", hookForm(map[string]string{"url": "https://webhook.example.com/x", "custom_webhook_template": `{"id": "{{commits.id}}"}`}),
			"#hook_custom_webhook_template ~ .field-error",
			"Error while parsing rendered custom webhook template: You may be trying to access an array value, which is not supported. (with a sample Push Hook event)", ""},
		{"template renders invalid JSON", hookForm(map[string]string{"url": "https://webhook.example.com/x", "custom_webhook_template": `{"name": {{project.name}}}`}),
			"#hook_custom_webhook_template ~ .field-error", "Error while parsing rendered custom webhook template:", ""},
		{"regex filter too long", hookForm(map[string]string{"url": "https://webhook.example.com/x", "branch_filter_strategy": "regex",
			"push_events_branch_filter": strings.Repeat("a", 4097)}),
			"#branch-filter-pattern .field-error", "The regular expression is longer than the allowed 4096 characters.", ""},
		{"token with a line break", hookForm(map[string]string{"url": "https://webhook.example.com/x", "token": "a\nb"}),
			"#hook_token ~ .field-error", "The secret token cannot contain line breaks.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/acme/api/-/hooks", tc.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			if got := doc(t, rec).Find(tc.sel).Text(); !strings.Contains(got, tc.want) {
				t.Fatalf("errors at %s: got %q, want %q", tc.sel, got, tc.want)
			}
			if tc.secret != "" {
				noSecrets(t, "the 422 page", rec.Body.String(), tc.secret)
			}
		})
	}
	// A template that renders valid JSON for every sample is accepted.
	ok := hookForm(map[string]string{"url": "https://webhook.example.com/x", "issues_events": "1",
		"custom_webhook_template": `{"event":"{{object_kind}}","project_name":"{{project.name}}"}`})
	followFlash(t, b, b.postForm("/acme/api/-/hooks", ok), "Webhook was created")
}

func TestHookFormEditRules(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	ctx := context.Background()
	b.get("/acme/api/-/hooks/new")
	form := addRows(hookForm(map[string]string{"url": "https://webhook.example.com/" + formPathSecret, "token": formToken}),
		[][2]string{{formPathSecret, "path"}}, [][2]string{{"Authorization", formHeaderSecret}})
	followFlash(t, b, b.postForm("/acme/api/-/hooks", form), "Webhook was created")
	hooks, _ := f.a.store.HooksByProject(ctx, f.api.ID)
	id := hooks[0].ID
	editPath := fmt.Sprintf("/acme/api/-/hooks/%d/edit", id)
	hookPath := fmt.Sprintf("/acme/api/-/hooks/%d", id)

	// Removing a variable the URL still uses fails, and nothing changes.
	values := formValues(t, b.get(editPath), "#hook-form")
	values.Del("url_variables_kept[]")
	rec := b.postForm(hookPath, values)
	wantStatus(t, rec, http.StatusUnprocessableEntity, "The URL uses {path} but no masked portion has that name")
	if got, _ := f.a.store.Hook(ctx, id); got.URLVariables["path"] != formPathSecret {
		t.Fatalf("a refused update changed the hook: %v", got.URLVariables)
	}

	// Pointing the hook at a new URL without retyping the token clears the
	// token and the custom headers; removing the old masked portion deletes
	// it.
	values = formValues(t, b.get(editPath), "#hook-form")
	values.Del("url_variables_kept[]")
	values.Set("url", "https://public.example.com/new")
	// The flash names what the edit removed (names only, never values).
	followFlash(t, b, b.postForm(hookPath, values), "Webhook was updated. It no longer has the secret token and the custom header Authorization: "+
		"enter them again if the receiver needs them.")
	got, _ := f.a.store.Hook(ctx, id)
	if got.URL != "https://public.example.com/new" || got.Token != "" || len(got.CustomHeaders) != 0 || len(got.URLVariables) != 0 {
		t.Fatalf("after a new URL: %+v", got)
	}
	// A token typed with the new URL is kept; a blank token field clears it.
	values = formValues(t, b.get(editPath), "#hook-form")
	values.Set("url", "https://public.example.com/newer")
	values.Set("token", "retyped-token")
	followFlash(t, b, b.postForm(hookPath, values), "Webhook was updated")
	if got, _ := f.a.store.Hook(ctx, id); got.Token != "retyped-token" {
		t.Fatalf("token: got %q", got.Token)
	}
	values = formValues(t, b.get(editPath), "#hook-form")
	values.Set("token", "")
	followFlash(t, b, b.postForm(hookPath, values), "Webhook was updated")
	if got, _ := f.a.store.Hook(ctx, id); got.Token != "" {
		t.Fatalf("token: got %q", got.Token)
	}
	// Unchecking a trigger and SSL verification is saved (the form is
	// authoritative).
	values = formValues(t, b.get(editPath), "#hook-form")
	values.Del("push_events")
	values.Del("enable_ssl_verification")
	values.Set("branch_filter_strategy", "all_branches")
	followFlash(t, b, b.postForm(hookPath, values), "Webhook was updated")
	got, _ = f.a.store.Hook(ctx, id)
	if got.Events.Has("push_events") || got.EnableSSLVerification || got.BranchFilterStrategy != model.BranchFilterAllBranches || got.PushEventsBranchFilter != nil {
		t.Fatalf("after unchecking: %+v", got)
	}
}

func TestHookFormPlainFallbacks(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	page := b.get("/acme/api/-/hooks/new")
	values := formValues(t, page, "#hook-form")
	values.Set("url", "https://webhook.example.com/x/"+formPathSecret)
	values.Set("token", formToken)

	values.Set("_op", "add_mask_row")
	rec := b.postForm("/acme/api/-/hooks", values)
	wantStatus(t, rec, http.StatusOK, `data-testid="mask-row"`)
	noSecrets(t, "the re-rendered form", rec.Body.String(), formToken)
	values = formValues(t, rec, "#hook-form")
	values.Set("url_variables[][value]", formPathSecret)
	values.Set("url_variables[][key]", "path")

	values.Set("_op", "add_header_row")
	rec = b.postForm("/acme/api/-/hooks", values)
	wantStatus(t, rec, http.StatusOK, `data-testid="header-row"`)
	noSecrets(t, "the re-rendered form", rec.Body.String(), formToken, formPathSecret)
	if got := doc(t, rec).Find("[data-testid=url-var-key]").Text(); got != "{path}" {
		t.Fatalf("the masked portion became %q", got)
	}
	values = formValues(t, rec, "#hook-form")
	values.Set("custom_headers[][key]", "X-Key")
	values.Set("custom_headers[][value]", formHeaderSecret)

	values.Set("_op", "refresh")
	values.Set("branch_filter_strategy", "regex")
	rec = b.postForm("/acme/api/-/hooks", values)
	wantStatus(t, rec, http.StatusOK, "")
	if got := doc(t, rec).Find("#branch-filter-pattern label").Text(); got != "Regular expression" {
		t.Fatalf("pattern label: got %q", got)
	}
	noSecrets(t, "the re-rendered form", rec.Body.String(), formToken, formPathSecret, formHeaderSecret)

	values = formValues(t, rec, "#hook-form")
	values.Set("_op", "remove_header_row:0")
	rec = b.postForm("/acme/api/-/hooks", values)
	if n := doc(t, rec).Find("[data-testid=header-row]").Length(); n != 0 {
		t.Fatalf("got %d header rows after removing the only one", n)
	}
	values = formValues(t, rec, "#hook-form")
	values.Set("push_events_branch_filter", "^main$")
	followFlash(t, b, b.postForm("/acme/api/-/hooks", values), "Webhook was created")
	hooks, _ := f.a.store.HooksByProject(context.Background(), f.api.ID)
	if len(hooks) != 1 || hooks[0].URL != "https://webhook.example.com/x/{path}" || hooks[0].URLVariables["path"] != formPathSecret ||
		hooks[0].Token != formToken || len(hooks[0].CustomHeaders) != 0 || *hooks[0].PushEventsBranchFilter != "^main$" {
		t.Fatalf("stored: %+v", hooks)
	}
}

func TestHookFormWithHTMX(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")

	rec := b.postHTMX("/acme/api/-/hooks", hookForm(map[string]string{"url": "ftp://nope"}))
	wantStatus(t, rec, http.StatusUnprocessableEntity, `id="hook-form"`)
	if strings.Contains(rec.Body.String(), "<html") {
		t.Fatal("htmx got a whole page, want the form")
	}
	rec = b.postHTMX("/acme/api/-/hooks", hookForm(map[string]string{"url": "https://webhook.example.com/x"}))
	if rec.Code != http.StatusOK || rec.Header().Get("HX-Redirect") != "/acme/api/-/hooks" {
		t.Fatalf("got %d HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
	}

	for _, tc := range []struct {
		path, want, notWant string
	}{
		{"/-/hooks/fragments/mask_row", `name="url_variables[][value]"`, "<html"},
		{"/-/hooks/fragments/header_row", `name="custom_headers[][key]"`, "<html"},
		{"/-/hooks/fragments/branch_filter?branch_filter_strategy=wildcard&push_events_branch_filter=main", `value="main"`, ""},
		{"/-/hooks/fragments/branch_filter?branch_filter_strategy=regex", "Regular expression", ""},
		{"/-/hooks/fragments/branch_filter?branch_filter_strategy=all_branches", "Push events to every branch", "push_events_branch_filter"},
	} {
		rec := b.getHTMX(tc.path)
		wantStatus(t, rec, http.StatusOK, tc.want)
		if tc.notWant != "" && strings.Contains(rec.Body.String(), tc.notWant) {
			t.Errorf("%s holds %q", tc.path, tc.notWant)
		}
	}
	q := url.Values{}
	for i := range model.MaxHookEntries {
		q.Add("custom_headers[][key]", fmt.Sprintf("X-%d", i))
	}
	rec = b.getHTMX("/-/hooks/fragments/header_row?" + q.Encode())
	if rec.Header().Get("HX-Reswap") != "none" || !strings.Contains(rec.Body.String(), "at most 20 custom headers") {
		t.Fatalf("a 21st header row: got %q %s", rec.Header().Get("HX-Reswap"), rec.Body)
	}
	if rec := b.getHTMX("/-/hooks/fragments/remove"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("remove: got %d %q", rec.Code, rec.Body)
	}
}

func TestHookPagesPermissions(t *testing.T) {
	f := newHookFixture(t)
	hk := model.NewHook(model.ProjectHookKind)
	hk.ProjectID, hk.URL = &f.api.ID, "https://webhook.example.com/x"
	if err := f.a.store.CreateHook(context.Background(), &hk); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/acme/api/-/hooks/%d/edit", hk.ID)
	for _, tc := range []struct {
		name string
		user *model.User
		path string
		want int
	}{
		{"project maintainer", f.maintainer, "/acme/api/-/hooks", 200},
		{"project maintainer edits", f.maintainer, edit, 200},
		{"project developer", f.dev, "/acme/api/-/hooks", 404},
		{"project developer edit", f.dev, edit, 404},
		{"outsider", f.outsider, "/acme/api/-/hooks", 404},
		{"group owner", f.owner, "/groups/acme/-/hooks", 200},
		{"group owner, add form", f.owner, "/groups/acme/-/hooks/new", 200},
		{"group maintainer", f.maintainer, "/groups/acme/-/hooks", 404},
		{"group owner cannot edit a project hook as a group hook", f.owner, fmt.Sprintf("/groups/acme/-/hooks/%d/edit", hk.ID), 404},
		{"admin, system hooks", f.admin, "/admin/hooks", 200},
		{"owner, system hooks", f.owner, "/admin/hooks", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.a.signedIn(tc.user).get(tc.path)
			if rec.Code != tc.want {
				t.Fatalf("got %d, want %d", rec.Code, tc.want)
			}
		})
	}
	// A developer cannot change a hook through the form either.
	b := f.a.signedIn(f.dev)
	b.get("/")
	if rec := b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hk.ID), url.Values{"_method": {"delete"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("developer deletes: got %d", rec.Code)
	}
	// The sidebar links the page for maintainers only.
	if strings.Contains(f.a.signedIn(f.dev).get("/acme/api").Body.String(), "/acme/api/-/hooks") {
		t.Fatal("the developer's sidebar links the webhooks page")
	}
	if !strings.Contains(f.a.signedIn(f.maintainer).get("/acme/api").Body.String(), "/acme/api/-/hooks") {
		t.Fatal("the maintainer's sidebar does not link the webhooks page")
	}
}

func TestGroupAndSystemHookForms(t *testing.T) {
	f := newHookFixture(t)
	ctx := context.Background()
	owner := f.a.signedIn(f.owner)
	page := owner.get("/groups/acme/-/hooks/new")
	for _, attr := range []string{"member_events", "project_events", "subgroup_events"} {
		if doc(t, page).Find("[data-testid=trigger-"+attr+"]").Length() != 1 {
			t.Fatalf("the group hook form does not offer %s", attr)
		}
	}
	followFlash(t, owner, owner.postForm("/groups/acme/-/hooks", hookForm(map[string]string{
		"url": "https://webhook.example.com/g", "member_events": "1"})), "Webhook was created")
	hooks, _ := f.a.store.HooksByGroup(ctx, f.acme.ID)
	if len(hooks) != 1 || !hooks[0].Events.Has("member_events") {
		t.Fatalf("group hooks: %+v", hooks)
	}

	// Subgroups inherit their owners; their pages use the full path.
	platform := dbtest.Group(t, f.a.store, "platform", f.acme, nil)
	rec := owner.postForm("/groups/acme/platform/-/hooks", hookForm(map[string]string{"url": "https://webhook.example.com/sub"}))
	if rec.Header().Get("Location") != "/groups/acme/platform/-/hooks" {
		t.Fatalf("subgroup hook: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	sub, _ := f.a.store.HooksByGroup(ctx, platform.ID)
	if len(sub) != 1 {
		t.Fatalf("subgroup hooks: %+v", sub)
	}
	edit := owner.get(fmt.Sprintf("/groups/acme/platform/-/hooks/%d/edit", sub[0].ID))
	wantStatus(t, edit, http.StatusOK, fmt.Sprintf(`action="/groups/acme/platform/-/hooks/%d"`, sub[0].ID))

	admin := f.a.signedIn(f.admin)
	page = admin.get("/admin/hooks/new")
	d := doc(t, page)
	if d.Find("[data-testid=trigger-repository_update_events]").Length() != 1 || d.Find("[data-testid=trigger-issues_events]").Length() != 0 {
		t.Fatal("the system hook form offers the wrong triggers")
	}
	if _, checked := d.Find("#hook_repository_update_events").Attr("checked"); !checked {
		t.Fatal("repository update events is not checked by default")
	}
	values := formValues(t, page, "#hook-form")
	values.Set("url", "http://127.0.0.1:9/system")
	values.Set("merge_requests_events", "1")
	list := followFlash(t, admin, admin.postForm("/admin/hooks", values), "Webhook was created")
	if got := doc(t, list).Find("[data-testid=hook-url]").Text(); got != "http://127.0.0.1:9/system" {
		t.Fatalf("system hooks list: %q", got)
	}
	sys, _ := f.a.store.SystemHooks(ctx)
	if len(sys) != 1 || !sys[0].Events.Has("merge_requests_events") || !sys[0].Events.Has("repository_update_events") || sys[0].Events.Has("push_events") {
		t.Fatalf("system hooks: %+v", sys)
	}
}

func TestHookListShowsAlertStatus(t *testing.T) {
	f := newHookFixture(t)
	ctx := context.Background()
	mk := func(name string, failures int, until *time.Time) int64 {
		h := model.NewHook(model.ProjectHookKind)
		h.ProjectID, h.URL, h.Name = &f.api.ID, "https://webhook.example.com/"+name, name
		if err := f.a.store.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.store.UpdateHookState(ctx, h.ID, func(h *model.Hook) bool {
			h.RecentFailures, h.DisabledUntil = failures, until
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return h.ID
	}
	later := time.Now().Add(30 * time.Minute).UTC()
	mk("fine", 2, nil)
	temp := mk("backing-off", 5, &later)
	gone := mk("dead", 40, &later)

	b := f.a.signedIn(f.maintainer)
	d := doc(t, b.get("/acme/api/-/hooks"))
	status := func(id int64) string {
		return strings.Join(strings.Fields(d.Find(fmt.Sprintf("#hook-%d [data-testid=hook-status]", id)).Text()), " ")
	}
	if d.Find("[data-testid=hook-alert]").Length() != 2 {
		t.Fatalf("got %d badges, want 2", d.Find("[data-testid=hook-alert]").Length())
	}
	if got := status(temp); !strings.HasPrefix(got, "Temporarily disabled Re-enables in 29 minutes") && !strings.HasPrefix(got, "Temporarily disabled Re-enables in 30 minutes") {
		t.Fatalf("temporarily disabled: got %q", got)
	}
	if got := status(gone); got != "Disabled" {
		t.Fatalf("disabled: got %q", got)
	}
	edit := doc(t, b.get(fmt.Sprintf("/acme/api/-/hooks/%d/edit", gone)))
	if got := edit.Find("[data-testid=hook-status-callout]").Text(); !strings.Contains(got, "send a test request") {
		t.Fatalf("edit page callout: %q", got)
	}
	// With auto-disabling off, nothing is disabled.
	st, _ := f.a.store.Settings(ctx)
	st.AutoDisablingWebHooks = false
	_ = f.a.store.UpdateSettings(ctx, st)
	if n := doc(t, b.get("/acme/api/-/hooks")).Find("[data-testid=hook-alert]").Length(); n != 0 {
		t.Fatalf("got %d badges with auto-disabling off", n)
	}
}

// The form checks every field at once and says in whole sentences what is
// wrong and how to fix it: a blocked URL does not hide a bad template, and
// the error summary at the top lists both.
func TestHookFormReportsEveryFieldInSentences(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")
	rec := b.postForm("/acme/api/-/hooks", hookForm(map[string]string{
		"url": "ftp://webhook.example.com/x", "custom_webhook_template": `{"id": "{{commits.id}}"}`,
	}))
	wantStatus(t, rec, http.StatusUnprocessableEntity, "")
	d := doc(t, rec)
	if got := d.Find("#hook_url ~ .field-error").Text(); got != "The URL must start with http:// or https://." {
		t.Errorf("URL error %q", got)
	}
	if got := d.Find("#hook_custom_webhook_template ~ .field-error").Text(); !strings.HasPrefix(got, "Error while parsing rendered custom webhook template") {
		t.Errorf("template error %q: the URL error hid it", got)
	}
	if n := d.Find("[data-testid=error-summary] li").Length(); n != 2 {
		t.Errorf("the summary lists %d errors, want 2", n)
	}
	rec = b.postForm("/acme/api/-/hooks", hookForm(map[string]string{"url": ""}))
	if got := doc(t, rec).Find("#hook_url ~ .field-error").Text(); got != "Enter the URL that receives the webhook's requests." {
		t.Errorf("blank URL: %q", got)
	}
}

// As in GitLab: a new hook starts with "All branches" (an empty wildcard
// shows as that too), saving an edit stays on the edit page, and the edit
// page's breadcrumbs end with the hook's name.
func TestHookFormFollowsGitLabsFlow(t *testing.T) {
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	if doc(t, b.get("/acme/api/-/hooks/new")).Find(`[data-testid=strategy-all_branches][checked]`).Length() != 1 {
		t.Error("a new hook does not start with All branches")
	}
	followFlash(t, b, b.postForm("/acme/api/-/hooks", hookForm(map[string]string{"url": "https://webhook.example.com/x", "name": "Receiver"})), "Webhook was created")
	hooks, _ := f.a.store.HooksByProject(context.Background(), f.api.ID)
	editPath := fmt.Sprintf("/acme/api/-/hooks/%d/edit", hooks[0].ID)
	edit := b.get(editPath)
	d := doc(t, edit)
	if got := strings.TrimSpace(d.Find(`[data-testid=breadcrumbs] a`).Last().Text()); got != "Receiver" {
		t.Errorf("the last breadcrumb is %q, want the hook's name", got)
	}
	if d.Find(`[data-testid=strategy-all_branches][checked]`).Length() != 1 {
		t.Error("an empty wildcard filter is not shown as All branches")
	}
	values := formValues(t, edit, "#hook-form")
	values.Set("name", "Renamed")
	rec := b.postForm(fmt.Sprintf("/acme/api/-/hooks/%d", hooks[0].ID), values)
	if got := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || got != editPath {
		t.Fatalf("saving an edit went to %d %q, want the edit page", rec.Code, got)
	}
}
