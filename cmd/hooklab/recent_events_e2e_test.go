package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// seedHookLogs stores n log rows for a hook, a minute apart, newest last;
// status picks each row's status. A urlHash that matches nothing marks rows
// sent to an earlier URL.
func seedHookLogs(t *testing.T, inst *instance, hookID int64, n int, status func(i int) string, urlHash string) {
	t.Helper()
	start := time.Now().Add(-time.Duration(n+1) * time.Minute)
	var outs []db.Outcome
	for i := 0; i < n; i++ {
		outs = append(outs, db.Outcome{Log: &model.HookLog{HookID: hookID, Trigger: "push_hooks", URL: "http://127.0.0.1/old", URLHash: urlHash,
			ResponseStatus: status(i), RequestHeaders: []model.Header{{Name: "Content-Type", Value: "application/json"}},
			RequestData: []byte(`{"object_kind":"push"}`), ResponseBody: []byte("nope"), IdempotencyKey: "seed-" + itoa(int64(i)),
			ExecutionDuration: 0.1, CreatedAt: start.Add(time.Duration(i) * time.Minute)}})
	}
	if _, err := inst.store().RecordOutcomes(context.Background(), "", outs); err != nil {
		t.Fatal(err)
	}
}

// Recent events with 130 rows: the pager has first, last and numbered
// pages; paging with htmx updates the address bar, so reload and Back show
// the same view; links work without JavaScript and lead to the section.
// "Resend all failed" is disabled, with the reason, when every failed row
// was sent to an earlier URL.
func TestBrowserRecentEventsPagingAndResendAll(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	rcv := newEventReceiver(t)
	hk, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL + "/now"), PushEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	// Every tenth row failed, all of them sent to an earlier URL.
	seedHookLogs(t, inst, int64(hk.ID), 130, func(i int) string {
		if i%10 == 0 {
			return "500"
		}
		return "200"
	}, "hash-of-an-earlier-url")
	edit := inst.URL + "/acme/api/-/hooks/" + itoa(int64(hk.ID)) + "/edit"

	ctx := newBrowser(t)
	var pager, location, current, afterReload, afterBack, why, lastHref string
	var resendEnabled int
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(edit),
		chromedp.WaitVisible(`[data-testid=recent-events-pager]`, chromedp.ByQuery),
		htmxReady(),
		chromedp.Text(`[data-testid=recent-events-pager]`, &pager, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid=page-7]`, "href", &lastHref, nil, chromedp.ByQuery),
		chromedp.Text(`[data-testid=resend-failed-why]`, &why, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=resend-failed]").length`, &resendEnabled),
		// Page 3 through htmx: the address bar follows.
		chromedp.Click(`[data-testid=page-3]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=page-1]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("[data-testid=current-page]").textContent === "3"`, nil),
		htmxSettled(),
		chromedp.Location(&location),
		// Reload shows page 3 again.
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid=current-page]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=current-page]`, &afterReload, chromedp.ByQuery),
		htmxReady(),
		// Page 4, then Back: page 3.
		chromedp.Click(`[data-testid=next-page]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("[data-testid=current-page]").textContent === "4"`, nil),
		htmxSettled(),
		chromedp.NavigateBack(),
		chromedp.Poll(`location.search === "?page=3" && document.querySelector("[data-testid=current-page]") !== null`, nil),
		chromedp.Text(`[data-testid=current-page]`, &afterBack, chromedp.ByQuery),
		chromedp.Text(`[data-testid=current-page]`, &current, chromedp.ByQuery),
	)
	// 130 rows, 20 a page: 7 pages; on page 1: 1 2 3 … 7.
	if pager = strings.Join(strings.Fields(pager), " "); !strings.Contains(pager, "1 2 3 … 7 Next →") {
		t.Errorf("pager %q: want numbered pages with first, last and a gap", pager)
	}
	if !strings.HasSuffix(lastHref, "/edit?page=7#recent-events") {
		t.Errorf("the last page's plain link is %q: want the edit page at #recent-events", lastHref)
	}
	if location != edit+"?page=3#recent-events" {
		t.Errorf("after paging with htmx the address bar shows %s", location)
	}
	if afterReload != "3" || afterBack != "3" {
		t.Errorf("reload shows page %s, Back page %s; want 3", afterReload, afterBack)
	}
	if resendEnabled != 0 || why != model.ResendURLChanged+"." {
		t.Errorf("Resend all failed: %d enabled buttons, reason %q", resendEnabled, why)
	}
}

// Long values: a 2,000-character URL is two lines in the list (the whole
// URL on hover) and does not widen the details page; a Test answered with
// a long unbroken body does not widen the page either.
func TestBrowserLongValuesStayInTheirBox(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromSystemHooks: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(strings.Repeat("no-such-route/", 300)))
	}))
	t.Cleanup(rcv.Close)
	longURL := rcv.URL + "/" + strings.Repeat("a", 2000)
	hk, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr(longURL)})
	if err != nil {
		t.Fatal(err)
	}
	row := "#hook-" + itoa(hk.ID)
	ctx := newBrowser(t)
	var urlLines float64
	var title, flash string
	var listWide, testWide, detailsWide overflow
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/hooks"),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		htmxReady(),
		chromedp.Evaluate(`(function () { var el = document.querySelector("`+row+` [data-testid=hook-url]");
			return el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight); })()`, &urlLines),
		chromedp.AttributeValue(row+` [data-testid=hook-url]`, "title", &title, nil, chromedp.ByQuery),
		chromedp.Evaluate(measureOverflow, &listWide),
		chromedp.Click(row+` [data-testid=hook-test]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-alert]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Text(`[data-testid=flash-alert]`, &flash, chromedp.ByQuery),
		chromedp.Evaluate(measureOverflow, &testWide),
		chromedp.Click(row+` [data-testid=hook-edit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=event-details]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=event-details]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=log-url]`, chromedp.ByQuery),
		chromedp.Evaluate(measureOverflow, &detailsWide),
	)
	if urlLines > 2.05 {
		t.Errorf("the URL takes %.1f lines in the list, want at most 2", urlLines)
	}
	if title != longURL {
		t.Errorf("the URL's title holds %d characters, want the whole URL", len(title))
	}
	if !strings.HasPrefix(flash, "Hook executed successfully but returned HTTP 404 no-such-route/") {
		t.Errorf("flash %.80q…", flash)
	}
	for name, o := range map[string]overflow{"list": listWide, "list after Test": testWide, "details": detailsWide} {
		if o.ScrollWidth > o.InnerWidth {
			t.Errorf("%s: scrollWidth %.0f > innerWidth %.0f; widest: %s", name, o.ScrollWidth, o.InnerWidth, o.Widest)
		}
	}
}
