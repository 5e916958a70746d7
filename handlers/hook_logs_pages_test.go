package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

const pushHooksBase = "/acme/platform/api/-/hooks"

// The Test dropdown lists the testable triggers on the list and the edit
// page; htmx runs a test in place, a plain post comes back with a flash.
func TestTestDropdownPages(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	hookURL := pushHooksBase + "/" + itoa(h.ID)

	list := doc(t, b.get(pushHooksBase))
	var items []string
	list.Find(`#hook-` + itoa(h.ID) + ` [data-testid=hook-test-menu] button[name=trigger]`).Each(func(_ int, s *goquery.Selection) {
		items = append(items, s.AttrOr("value", ""))
	})
	if got := strings.Join(items, ","); got != "push_events,tag_push_events,issues_events,confidential_issues_events,note_events,merge_requests_events,job_events,pipeline_events,wiki_page_events,releases_events,emoji_events,resource_access_token_events,vulnerability_events" {
		t.Fatalf("dropdown: %s", got)
	}
	edit := doc(t, b.get(hookURL+"/edit"))
	if edit.Find(`[data-testid=hook-test-menu] input[name=view]`).AttrOr("value", "") != "edit" {
		t.Fatal("the edit page has no Test dropdown")
	}

	t.Run("missing sample, plain post", func(t *testing.T) {
		rec := b.postForm(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"list"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != pushHooksBase {
			t.Fatalf("got %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		got := doc(t, b.get(pushHooksBase)).Find(`[data-testid=flash-alert]`).Text()
		if got != "Hook execution failed: Ensure the project has at least one commit." {
			t.Fatalf("flash %q", got)
		}
	})
	f.publishPush()
	t.Run("htmx on a disabled hook", func(t *testing.T) {
		f.disable(h.ID)
		if doc(t, b.get(pushHooksBase)).Find(`#hook-`+itoa(h.ID)+` [data-testid=hook-alert]`).Text() != "Disabled" {
			t.Fatal("no Disabled badge before the test")
		}
		rec := b.postHTMX(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"list"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		d := doc(t, rec)
		if got := d.Find(`#flashes[hx-swap-oob] [data-testid=flash-notice]`).Text(); got != "Hook executed successfully: HTTP 200" {
			t.Fatalf("flash %q in %s", got, rec.Body)
		}
		row := d.Find(`li#hook-` + itoa(h.ID) + `[hx-swap-oob]`)
		if row.Length() != 1 || row.Find(`[data-testid=hook-alert]`).Length() != 0 {
			t.Fatalf("the row is not swapped without its badge: %s", rec.Body)
		}
		if len(f.rcv.requests()) != 1 {
			t.Fatalf("receiver got %d requests", len(f.rcv.requests()))
		}
	})
	t.Run("htmx from the edit page", func(t *testing.T) {
		f.rcv.answer(http.StatusNotFound, "nobody home")
		rec := b.postHTMX(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"edit"}})
		d := doc(t, rec)
		if got := d.Find(`[data-testid=flash-alert]`).Text(); got != "Hook executed successfully but returned HTTP 404 nobody home" {
			t.Fatalf("flash %q", got)
		}
		if d.Find(`#recent-events[hx-swap-oob] [data-testid=recent-event]`).Length() != 2 || d.Find(`#hook-status-area[hx-swap-oob]`).Length() != 1 {
			t.Fatalf("recent events and status not swapped: %s", rec.Body)
		}
		if got := d.Find(`[data-testid=recent-event] [data-testid=event-status]`).First().Text(); got != "404" {
			t.Fatalf("newest event %q", got)
		}
	})
	t.Run("not testable", func(t *testing.T) {
		rec := b.postHTMX(hookURL+"/test", url.Values{"trigger": {"deployment_events"}, "view": {"list"}})
		if got := doc(t, rec).Find(`[data-testid=flash-alert]`).Text(); got != "Hook execution failed: Testing not available for this hook" {
			t.Fatalf("flash %q", got)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		f.settings(func(st *model.Settings) { st.WebHookTestLimit = 1 })
		f.rcv.answer(http.StatusOK, "")
		if rec := b.postHTMX(hookURL+"/test", url.Values{"trigger": {"push_events"}}); rec.Code != http.StatusOK {
			t.Fatalf("first: %d", rec.Code)
		}
		rec := b.postHTMX(hookURL+"/test", url.Values{"trigger": {"push_events"}})
		if rec.Code != http.StatusTooManyRequests || doc(t, rec).Find(`[data-testid=flash-alert]`).Text() != model.TooManyRequests {
			t.Fatalf("htmx over the limit: %d %s", rec.Code, rec.Body)
		}
		rec = b.postForm(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"edit"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != hookURL+"/edit" {
			t.Fatalf("plain over the limit: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=flash-alert]`).Text(); got != model.TooManyRequests {
			t.Fatalf("flash %q", got)
		}
	})
	t.Run("a developer", func(t *testing.T) {
		dev := dbtest.User(t, f.a.store, "dev", false)
		dbtest.Member(t, f.a.store, model.SourceProject, f.project.ID, dev, model.Developer)
		if rec := f.a.signedIn(dev).postForm(hookURL+"/test", url.Values{"trigger": {"push_events"}}); rec.Code != http.StatusNotFound {
			t.Fatalf("got %d", rec.Code)
		}
	})
}

// Recent events on the edit page: the last two days, newest first, 20 a
// page, filtered by status class and trigger, as a fragment for htmx.
func TestRecentEventsSection(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	h := f.hook(model.ProjectHookKind, "/p", "push_events", "issues_events")
	now := time.Now()
	for i := range 22 {
		f.seedLog(h.ID, "200", "push_hooks", now.Add(-time.Duration(30+i)*time.Minute))
	}
	f.seedLog(h.ID, "404", "issue_hooks", now.Add(-3*time.Minute))
	f.seedLog(h.ID, "503", "push_hooks", now.Add(-2*time.Minute))
	f.seedLog(h.ID, model.InternalErrorStatus, "push_hooks", now.Add(-time.Minute))
	f.seedLog(h.ID, "500", "push_hooks", now.AddDate(0, 0, -4)) // too old for the page
	edit := pushHooksBase + "/" + itoa(h.ID) + "/edit"
	frag := pushHooksBase + "/" + itoa(h.ID) + "/hook_logs"

	d := doc(t, b.get(edit))
	rows := d.Find(`[data-testid=recent-event]`)
	if rows.Length() != 20 || d.Find(`[data-testid=recent-events-pager]`).Length() != 1 {
		t.Fatalf("got %d rows", rows.Length())
	}
	first := rows.First()
	if first.Find(`[data-testid=event-status]`).Text() != "internal error" || !first.Find(`[data-testid=event-status]`).HasClass("badge-danger") ||
		first.Find(`[data-testid=event-trigger]`).Text() != "Push Hook" || first.Find(`[data-testid=event-elapsed]`).Text() != "0.25 sec" ||
		first.Find(`[data-testid=event-time]`).Text() != "1 minute ago" || first.Find(`[data-testid=event-time]`).AttrOr("title", "") == "" {
		h, _ := first.Html()
		t.Fatalf("first row: %s", h)
	}
	if ok := rows.Eq(3).Find(`[data-testid=event-status]`); ok.Text() != "200" || !ok.HasClass("badge-ok") {
		t.Fatalf("a 200 row: %q", ok.Text())
	}
	if got := d.Find(`[data-testid=resend-failed]`).Text(); got != "Resend all failed in this view (3)" {
		t.Fatalf("resend failed: %q", got)
	}

	for _, tc := range []struct {
		query    string
		statuses string
	}{
		{"?status=client_error", "404"},
		{"?status=server_error", "503"},
		{"?status=internal_error", "internal error"},
		{"?trigger=issue_hooks", "404"},
		{"?status=success&trigger=issue_hooks", ""},
		{"?page=2", "200,200,200,200,200"},
		{"?status=bogus&trigger=bogus&page=2", "200,200,200,200,200"},
		{"?page=9", "200,200,200,200,200"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			rec := b.getHTMX(frag + tc.query)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "<html") {
				t.Fatalf("fragment: %d", rec.Code)
			}
			var got []string
			doc(t, rec).Find(`[data-testid=recent-event] [data-testid=event-status]`).Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
			if strings.Join(got, ",") != tc.statuses {
				t.Errorf("got %v, want %s", got, tc.statuses)
			}
			// Without JavaScript the same URL leads to the edit page.
			if plain := b.get(frag + tc.query); plain.Code != http.StatusSeeOther || !strings.HasPrefix(plain.Header().Get("Location"), edit) {
				t.Errorf("plain: %d %s", plain.Code, plain.Header().Get("Location"))
			}
		})
	}
	// The whole page takes the same query.
	d = doc(t, b.get(edit+"?status=client_error"))
	if d.Find(`[data-testid=recent-event]`).Length() != 1 || d.Find(`[data-testid=filter-status] option[selected]`).AttrOr("value", "") != "client_error" {
		t.Fatal("the edit page ignores the filter")
	}
	next := doc(t, b.get(edit)).Find(`[data-testid=next-page]`)
	if next.AttrOr("href", "") != edit+"?page=2#recent-events" || next.AttrOr("hx-get", "") != frag+"?page=2" {
		t.Fatalf("next link %s / %s", next.AttrOr("href", ""), next.AttrOr("hx-get", ""))
	}
}

// The details page shows the masked URL, the redacted request headers, the
// pretty-printed body and the response; Resend Request goes out again and
// comes back to the edit page, and is disabled with the reason when the
// URL changed or the hook is disabled.
func TestHookLogDetailsAndResend(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	h := f.hook(model.ProjectHookKind, "/x", "push_events")
	h.URL = f.rcv.URL + "/{path}"
	h.URLVariables = map[string]string{"path": "secret-path-42"}
	h.CustomHeaders = map[string]string{"Authorization": "Bearer secret-header-43"}
	h.Token = "secret-token-44"
	if err := f.a.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	f.publishPush()
	f.rcv.answer(http.StatusAccepted, `{"received":true}`)
	hookURL := pushHooksBase + "/" + itoa(h.ID)
	if rec := b.postForm(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"edit"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("test: %d", rec.Code)
	}
	logs, _, _ := f.a.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if len(logs) != 1 {
		t.Fatalf("%d log rows", len(logs))
	}
	logURL := hookURL + "/hook_logs/" + itoa(logs[0].ID)

	rec := b.get(logURL)
	if rec.Code != http.StatusOK {
		t.Fatalf("details: %d %s", rec.Code, rec.Body)
	}
	noSecrets(t, "details page", rec.Body.String(), "secret-path-42", "secret-header-43", "secret-token-44")
	d := doc(t, rec)
	headers := d.Find(`[data-testid=log-request-headers]`).Text()
	for _, want := range []string{"Authorization: [REDACTED]", "X-Gitlab-Token: [REDACTED]", "X-Gitlab-Event: Push Hook", "Idempotency-Key: " + logs[0].IdempotencyKey} {
		if !strings.Contains(headers, want) {
			t.Errorf("request headers lack %q:\n%s", want, headers)
		}
	}
	if got := d.Find(`[data-testid=log-url]`).Text(); got != f.rcv.URL+"/{path}" {
		t.Errorf("URL %q", got)
	}
	if body := d.Find(`[data-testid=log-request-body]`).Text(); !strings.Contains(body, "\n  \"object_kind\": \"push\",\n") || !strings.Contains(body, `"user_email": "[REDACTED]"`) {
		t.Errorf("request body not pretty-printed and redacted:\n%s", body)
	}
	if d.Find(`[data-testid=log-status]`).Text() != "202" || d.Find(`[data-testid=log-response-body]`).Text() != `{"received":true}` ||
		!strings.Contains(d.Find(`[data-testid=log-response-headers]`).Text(), "X-Receiver: yes") {
		t.Errorf("response not shown: %s", rec.Body)
	}
	if _, disabled := d.Find(`[data-testid=resend-request]`).Attr("disabled"); disabled {
		t.Fatal("Resend Request is disabled")
	}

	rec = b.postForm(logURL+"/retry", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != hookURL+"/edit" {
		t.Fatalf("resend: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	edit := doc(t, b.get(hookURL+"/edit"))
	if got := edit.Find(`[data-testid=flash-notice]`).Text(); got != "Hook executed successfully: HTTP 202" {
		t.Fatalf("flash %q", got)
	}
	if edit.Find(`[data-testid=recent-event]`).Length() != 2 {
		t.Fatal("the resend is not in Recent events")
	}
	reqs := f.rcv.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") || reqs[1].URL.Path != "/secret-path-42" {
		t.Fatalf("receiver: %d requests", len(reqs))
	}

	for _, tc := range []struct {
		name   string
		change func()
		undo   func()
		want   string
	}{
		{"disabled", func() { f.disable(h.ID) }, func() {
			_, _ = f.a.store.UpdateHookState(context.Background(), h.ID, func(h *model.Hook) bool { h.RecentFailures = 0; return true })
		}, "Hook disabled"},
		{"URL changed", func() {
			hk := f.reload(h.ID)
			hk.URLVariables = map[string]string{"path": "moved"}
			if err := f.a.store.UpdateHook(context.Background(), hk); err != nil {
				t.Fatal(err)
			}
		}, func() {}, model.ResendURLChanged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			defer tc.undo()
			d := doc(t, b.get(logURL))
			if _, disabled := d.Find(`[data-testid=resend-request]`).Attr("disabled"); !disabled {
				t.Fatal("Resend Request is enabled")
			}
			if got := d.Find(`[data-testid=resend-blocked]`).Text(); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("explanation %q", got)
			}
			rec := b.postForm(logURL+"/retry", nil)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("post: %d", rec.Code)
			}
			if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=flash-alert]`).Text(); got != "Hook execution failed: "+tc.want {
				t.Fatalf("flash %q", got)
			}
		})
	}
	if n := len(f.rcv.requests()); n != 2 {
		t.Fatalf("refused resends reached the receiver: %d", n)
	}
	if rec := b.get(hookURL + "/hook_logs/999999"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown log: %d", rec.Code)
	}
}

// "Resend all failed in this view" asks first, resends the failed rows
// shown, oldest first, and counts as one Resend against the limit.
func TestResendAllFailed(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	now := time.Now()
	ok := f.seedLog(h.ID, "200", "push_hooks", now.Add(-4*time.Minute))
	failed := []*model.HookLog{
		f.seedLog(h.ID, "500", "push_hooks", now.Add(-3*time.Minute)),
		f.seedLog(h.ID, "404", "push_hooks", now.Add(-2*time.Minute)),
	}
	hookURL := pushHooksBase + "/" + itoa(h.ID)
	d := doc(t, b.get(hookURL+"/edit"))
	link := d.Find(`[data-testid=resend-failed]`)
	form := d.Find(`[data-testid=resend-failed-dialog] form`)
	var ids []string
	form.Find(`input[name="ids[]"]`).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("value", "")) })
	if want := itoa(failed[0].ID) + "," + itoa(failed[1].ID); strings.Join(ids, ",") != want {
		t.Fatalf("ids %v, want %s", ids, want)
	}
	// Without JavaScript the link leads to a confirmation page.
	confirm := doc(t, b.get(link.AttrOr("href", "")))
	if confirm.Find(`[data-testid=resend-failed-page] [data-testid=resend-failed-confirm]`).Text() != "Resend 2 events" {
		t.Fatalf("confirmation page: %s", link.AttrOr("href", ""))
	}

	f.settings(func(st *model.Settings) { st.WebHookResendLimit = 1 })
	post := url.Values{"ids[]": append(append([]string{}, ids...), itoa(ok.ID))} // a successful row is never resent
	rec := b.postForm(hookURL+"/hook_logs/resend_failed", post)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != hookURL+"/edit#recent-events" {
		t.Fatalf("post: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=flash-notice]`).Text(); got != "Resent 2 of 2 failed events: 2 succeeded, 0 failed again." {
		t.Fatalf("flash %q", got)
	}
	reqs := f.rcv.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") != "key-500" || reqs[1].Header.Get("Idempotency-Key") != "key-404" {
		t.Fatalf("receiver: %d requests", len(reqs))
	}
	rec = b.postForm(hookURL+"/hook_logs/resend_failed", url.Values{"ids[]": ids})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("second post: %d", rec.Code)
	}
	if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=flash-alert]`).Text(); got != model.TooManyRequests {
		t.Fatalf("over the limit: %q", got)
	}
	if n := len(f.rcv.requests()); n != 2 {
		t.Fatalf("over the limit, the receiver got %d requests", n)
	}

	// A receiver still failing disables the hook on the way: the rest is
	// not sent.
	f.settings(func(st *model.Settings) { st.WebHookResendLimit = 0 })
	f.rcv.answer(http.StatusInternalServerError, "")
	if _, err := f.a.store.UpdateHookState(context.Background(), h.ID, func(h *model.Hook) bool { h.RecentFailures = 3; return true }); err != nil {
		t.Fatal(err)
	}
	if rec := b.postForm(hookURL+"/hook_logs/resend_failed", url.Values{"ids[]": ids}); rec.Code != http.StatusSeeOther {
		t.Fatalf("third post: %d", rec.Code)
	}
	if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=flash-alert]`).Text(); got != "Resent 1 of 2 failed events: 0 succeeded, 1 failed again. 1 not resent: Hook disabled." {
		t.Fatalf("flash %q", got)
	}
	if n := len(f.rcv.requests()); n != 3 {
		t.Fatalf("the receiver got %d requests, want 3", n)
	}
}

// "Resend all failed in this view" counts only the rows Resend would send:
// rows logged for an earlier URL are left out, and when none is left the
// button is shown disabled with the reason (also while the hook is
// disabled).
func TestResendAllFailedCountsOnlyResendable(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	f.publishPush()
	f.rcv.answer(http.StatusInternalServerError, "down")
	hookURL := pushHooksBase + "/" + itoa(h.ID)
	test := func() {
		t.Helper()
		if rec := b.postForm(hookURL+"/test", url.Values{"trigger": {"push_events"}, "view": {"edit"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("test: %d", rec.Code)
		}
	}
	test()
	test()
	if got := doc(t, b.get(hookURL+"/edit")).Find(`[data-testid=resend-failed]`).Text(); got != "Resend all failed in this view (2)" {
		t.Fatalf("before the URL change: %q", got)
	}
	h = f.reload(h.ID)
	h.URL = f.rcv.URL + "/moved"
	if err := f.a.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	d := doc(t, b.get(hookURL+"/edit"))
	if d.Find(`[data-testid=resend-failed]`).Length() != 0 || d.Find(`[data-testid=resend-failed-disabled][disabled]`).Length() != 1 {
		t.Fatal("after the URL change the button should be disabled")
	}
	if got := d.Find(`[data-testid=resend-failed-why]`).Text(); got != model.ResendURLChanged+"." {
		t.Fatalf("reason %q", got)
	}
	test()
	d = doc(t, b.get(hookURL+"/edit"))
	rows := d.Find(`[data-testid=recent-event]`)
	if rows.Length() != 3 {
		t.Fatalf("%d rows", rows.Length())
	}
	newest := rows.First().AttrOr("data-log-id", "")
	if got := d.Find(`[data-testid=resend-failed]`).Text(); got != "Resend all failed in this view (1)" {
		t.Fatalf("with one resendable row: %q", got)
	}
	if got := d.Find(`[data-testid=resend-failed-dialog] input[name="ids[]"]`).AttrOr("value", ""); got != newest {
		t.Fatalf("resends %s, want the newest row %s", got, newest)
	}
	if _, err := f.a.store.UpdateHookState(context.Background(), h.ID, func(h *model.Hook) bool { h.RecentFailures = 40; return true }); err != nil {
		t.Fatal(err)
	}
	d = doc(t, b.get(hookURL+"/edit"))
	if d.Find(`[data-testid=resend-failed]`).Length() != 0 || !strings.HasPrefix(d.Find(`[data-testid=resend-failed-why]`).Text(), model.HookDisabled) {
		t.Fatalf("a disabled hook offers Resend all: %q", d.Find(`[data-testid=resend-failed-why]`).Text())
	}
}

// The hooks list warns when web_hook_calls dropped deliveries of the
// top-level group lately.
func TestHooksListRateLimitWarning(t *testing.T) {
	f := newRunFixture(t)
	b := f.a.signedIn(f.owner)
	f.settings(func(st *model.Settings) { st.WebHookCalls = 10 })
	if doc(t, b.get(pushHooksBase)).Find(`[data-testid=hooks-rate-limited]`).Length() != 0 {
		t.Fatal("a warning before any limit was hit")
	}
	if err := f.a.store.NoteRateLimited(context.Background(), f.group.ID, time.Now().Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{pushHooksBase, "/groups/acme/platform/-/hooks", "/groups/acme/-/hooks"} {
		got := doc(t, b.get(path)).Find(`[data-testid=hooks-rate-limited]`).Text()
		if !strings.Contains(got, "top-level group acme") || !strings.Contains(got, "more than 10 times in a minute") || !strings.Contains(got, "2 minutes ago") {
			t.Errorf("%s: warning %q", path, got)
		}
	}
}

// Group and system hooks have the same Test dropdown and Recent events.
func TestTestDropdownGroupAndSystemPages(t *testing.T) {
	f := newRunFixture(t)
	f.settings(func(st *model.Settings) { st.AllowLocalRequestsFromSystemHooks = true })
	f.publishPush() // in acme/platform/api: a sample for the group hook
	gh := f.hook(model.GroupHookKind, "/g", "push_events")
	sh := f.hook(model.SystemHookKind, "/s")
	admin := dbtest.User(t, f.a.store, "admin", true)
	for _, tc := range []struct {
		name, base string
		user       *model.User
		triggers   int
	}{
		{"group", "/groups/acme/-/hooks/" + itoa(gh.ID), f.owner, 14},
		{"system", "/admin/hooks/" + itoa(sh.ID), admin, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := f.a.signedIn(tc.user)
			if n := doc(t, b.get(tc.base+"/edit")).Find(`[data-testid=hook-test-menu] button[name=trigger]`).Length(); n != tc.triggers {
				t.Fatalf("%d triggers in the dropdown, want %d", n, tc.triggers)
			}
			rec := b.postForm(tc.base+"/test", url.Values{"trigger": {"push_events"}, "view": {"edit"}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tc.base+"/edit" {
				t.Fatalf("test: %d %s", rec.Code, rec.Header().Get("Location"))
			}
			d := doc(t, b.get(tc.base+"/edit"))
			if got := d.Find(`[data-testid=flash-notice]`).Text(); got != "Hook executed successfully: HTTP 200" {
				t.Fatalf("flash %q", got)
			}
			if d.Find(`[data-testid=recent-event]`).Length() != 1 {
				t.Fatal("the test is not in Recent events")
			}
		})
	}
	if got := f.rcv.requests(); len(got) != 2 || got[1].Header.Get("X-Gitlab-Event") != "System Hook" {
		t.Fatalf("receiver got %d requests", len(got))
	}
	// An owner of the group is not an admin.
	if rec := f.a.signedIn(f.owner).postForm("/admin/hooks/"+itoa(sh.ID)+"/test", url.Values{"trigger": {"push_events"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("non-admin: %d", rec.Code)
	}
}
