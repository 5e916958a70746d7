package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hooklab/hooklab/model"
)

// A maintainer adds a webhook with two masked URL portions, a secret token
// and two custom headers through the form, sees the masked URL in the
// list, edits the hook and deletes it. No page source and no log line ever
// holds one of the secrets.
func TestBrowserProjectWebhook(t *testing.T) {
	inst := startInstance(t)
	ctx := context.Background()
	st, err := inst.store().Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.AllowLocalRequestsFromWebHooksAndServices = true
	if err := inst.store().UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	g := &model.Group{Name: "Acme", Path: "acme"}
	if err := inst.store().CreateGroup(ctx, g, 0); err != nil {
		t.Fatal(err)
	}
	p := &model.Project{Name: "API", Path: "api", GroupID: g.ID}
	if err := inst.store().CreateProject(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(receiver.Close)

	const (
		pathSecret   = "browser-path-secret-71"
		querySecret  = "browser-query-secret-72"
		tokenSecret  = "browser-token-secret-73"
		headerSecret = "browser-header-secret-74"
		header2      = "browser-header-secret-75"
	)
	secrets := []string{pathSecret, querySecret, tokenSecret, headerSecret, header2}
	fullURL := receiver.URL + "/hook/" + pathSecret + "?token=" + querySecret
	maskedURL := receiver.URL + "/hook/{path}?token={query_token}"

	var sources []string
	source := func() chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var html string
			if err := chromedp.OuterHTML("html", &html, chromedp.ByQuery).Do(ctx); err != nil {
				return err
			}
			sources = append(sources, html)
			return nil
		})
	}
	row := func(list string, n int, field string) string {
		return fmt.Sprintf(`#%s > .hook-form-row:nth-of-type(%d) [data-testid=%s]`, list, n, field)
	}

	bctx := newBrowser(t)
	var listedURL, flash, tokenField, headerValue, varKeys, formLocation string
	browse(t, bctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/acme/api/-/hooks"),
		chromedp.WaitVisible(`[data-testid=hook-list-empty]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=add-hook]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#hook_url`, chromedp.ByQuery),
		htmxReady(),
		chromedp.SendKeys(`#hook_url`, fullURL, chromedp.ByQuery),
		chromedp.SendKeys(`#hook_name`, "Receiver", chromedp.ByQuery),
		chromedp.SendKeys(`#hook_token`, tokenSecret, chromedp.ByQuery),

		// URL masking: two rows added with htmx.
		chromedp.Click(`[data-testid=add-mask-row]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("hook-mask-rows", 1, "mask-value"), chromedp.ByQuery),
		htmxSettled(),
		chromedp.SendKeys(row("hook-mask-rows", 1, "mask-value"), pathSecret, chromedp.ByQuery),
		chromedp.SendKeys(row("hook-mask-rows", 1, "mask-key"), "path", chromedp.ByQuery),
		chromedp.Click(`[data-testid=add-mask-row]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("hook-mask-rows", 2, "mask-value"), chromedp.ByQuery),
		htmxSettled(),
		chromedp.SendKeys(row("hook-mask-rows", 2, "mask-value"), querySecret, chromedp.ByQuery),
		chromedp.SendKeys(row("hook-mask-rows", 2, "mask-key"), "query_token", chromedp.ByQuery),

		// Two custom headers, and a third row removed again.
		chromedp.Click(`[data-testid=add-header-row]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("hook-header-rows", 1, "header-key"), chromedp.ByQuery),
		htmxSettled(),
		chromedp.SendKeys(row("hook-header-rows", 1, "header-key"), "Authorization", chromedp.ByQuery),
		chromedp.SendKeys(row("hook-header-rows", 1, "header-value"), headerSecret, chromedp.ByQuery),
		chromedp.Click(`[data-testid=add-header-row]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("hook-header-rows", 2, "header-key"), chromedp.ByQuery),
		htmxSettled(),
		chromedp.SendKeys(row("hook-header-rows", 2, "header-key"), "X-Second", chromedp.ByQuery),
		chromedp.SendKeys(row("hook-header-rows", 2, "header-value"), header2, chromedp.ByQuery),
		chromedp.Click(`[data-testid=add-header-row]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("hook-header-rows", 3, "header-key"), chromedp.ByQuery),
		htmxSettled(),
		chromedp.Click(row("hook-header-rows", 3, "remove-header-row"), chromedp.ByQuery),
		chromedp.WaitNotPresent(row("hook-header-rows", 3, "header-key"), chromedp.ByQuery),
		htmxSettled(),

		// The strategy switch shows the pattern input for the choice.
		chromedp.Click(`[data-testid=strategy-all_branches]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#hook_push_events_branch_filter`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Click(`[data-testid=strategy-wildcard]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#hook_push_events_branch_filter`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.SendKeys(`#hook_push_events_branch_filter`, "release/*", chromedp.ByQuery),
		chromedp.Click(`[data-testid=trigger-issues_events]`, chromedp.ByQuery),
		// htmx did all of that in place: the browser never left the page.
		chromedp.Location(&formLocation),

		chromedp.Click(`[data-testid=hook-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Text(`[data-testid=hook-url]`, &listedURL, chromedp.ByQuery),
		source(),
	)
	if !strings.HasSuffix(formLocation, "/acme/api/-/hooks/new") {
		t.Errorf("the form was reloaded (at %s): rows and the strategy switch should use htmx", formLocation)
	}
	if flash != "Webhook was created" || listedURL != maskedURL {
		t.Fatalf("after adding: flash %q, listed URL %q (want %q)", flash, listedURL, maskedURL)
	}
	hooks, err := inst.store().HooksByProject(ctx, p.ID)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("stored hooks: %v (%v)", hooks, err)
	}
	hk := hooks[0]
	if hk.URL != maskedURL || hk.URLVariables["path"] != pathSecret || hk.URLVariables["query_token"] != querySecret ||
		hk.Token != tokenSecret || len(hk.CustomHeaders) != 2 || hk.CustomHeaders["Authorization"] != headerSecret ||
		hk.CustomHeaders["X-Second"] != header2 || !hk.Events.Has("issues_events") || *hk.PushEventsBranchFilter != "release/*" {
		t.Fatalf("stored hook: %+v", hk)
	}
	if target, _ := hk.InterpolatedURL(); target != fullURL {
		t.Fatalf("interpolated URL: got %q", target)
	}

	browse(t, bctx,
		chromedp.Click(`[data-testid=hook-edit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#hook_name`, chromedp.ByQuery),
		htmxReady(),
		source(),
		chromedp.Value(`#hook_token`, &tokenField, chromedp.ByQuery),
		chromedp.Value(row("hook-header-rows", 1, "header-value"), &headerValue, chromedp.ByQuery),
		chromedp.Text(`#hook-url-vars`, &varKeys, chromedp.ByQuery),
		chromedp.SetValue(`#hook_name`, "Renamed receiver", chromedp.ByQuery),
		chromedp.Click(`[data-testid=hook-submit]`, chromedp.ByQuery),
		// Saving stays on the edit page, as in GitLab.
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Location(&formLocation),
		source(),
	)
	if !strings.HasSuffix(formLocation, "/acme/api/-/hooks/"+itoa(hk.ID)+"/edit") {
		t.Errorf("saving the edit went to %s, want the edit page", formLocation)
	}
	if tokenField != model.HookSecretMask || headerValue != model.HookSecretMask {
		t.Fatalf("edit form: token field %q, header value %q, want the mask", tokenField, headerValue)
	}
	if !strings.Contains(varKeys, "{path}") || !strings.Contains(varKeys, "{query_token}") {
		t.Fatalf("edit form variables: %q", varKeys)
	}
	if flash != "Webhook was updated" {
		t.Fatalf("after editing: flash %q", flash)
	}
	edited, err := inst.store().Hook(ctx, hk.ID)
	if err != nil || edited.Name != "Renamed receiver" || edited.Token != tokenSecret ||
		edited.URLVariables["path"] != pathSecret || edited.CustomHeaders["X-Second"] != header2 {
		t.Fatalf("edited hook: %+v (%v)", edited, err)
	}

	browse(t, bctx,
		chromedp.Click(`[data-testid=hook-delete]`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog[open] [data-testid=hook-delete-confirm]`, chromedp.ByQuery),
		chromedp.Click(`dialog[open] [data-testid=hook-delete-confirm]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=hook-list-empty]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		source(),
	)
	if flash != "Webhook was deleted" {
		t.Fatalf("after deleting: flash %q", flash)
	}
	if n, _ := inst.store().CountHooks(ctx, model.ProjectHookKind, p.ID); n != 0 {
		t.Fatalf("got %d hooks after deleting", n)
	}

	everything := strings.Join(sources, "\n") + inst.logs.String()
	for _, s := range secrets {
		if strings.Contains(everything, s) {
			t.Errorf("a page source or the log holds %q", s)
		}
	}
}
