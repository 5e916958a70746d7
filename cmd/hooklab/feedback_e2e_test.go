package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// inViewport is a script that reports whether the element matching sel is
// wholly inside the browser's viewport.
func inViewport(sel string) string {
	return `(function () {
		var el = document.querySelector(` + "`" + sel + "`" + `);
		if (!el) { return false; }
		var r = el.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
	})()`
}

// Test on the last of 40 hooks: while the slow receiver has not answered,
// the Test button shows it is running and cannot be used again; the result,
// in GitLab's words, then appears inside the viewport (not at the top of
// the page, thousands of pixels above) in an announced region.
func TestBrowserTestResultShowsWhereTheUserLooks(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromSystemHooks: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // the receiver is slow until the test lets it answer
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(open)
	var last int64
	for i := 0; i < 40; i++ {
		h, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr(rcv.URL + "/hook/" + itoa(int64(i)))})
		if err != nil {
			t.Fatal(err)
		}
		last = h.ID
	}
	row := "#hook-" + itoa(last)

	ctx := newBrowser(t)
	var scrollY float64
	var flash, live string
	var inView, busyBefore bool
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/hooks"),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		htmxReady(),
		chromedp.Evaluate(`document.querySelector("`+row+` [data-testid=hook-test-menu]").hasAttribute("aria-busy")`, &busyBefore),
		chromedp.ScrollIntoView(row, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=hook-test]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		// Running: the menu is busy, says so, and its buttons are disabled.
		chromedp.Poll(`(function () {
			var m = document.querySelector("`+row+` [data-testid=hook-test-menu]");
			return m.getAttribute("aria-busy") === "true" &&
				m.querySelector("[data-testid=hook-test]").getAttribute("aria-disabled") === "true" &&
				m.querySelector("[data-testid=test-push_events]").disabled &&
				m.querySelector("[data-testid=hook-test-busy]").offsetParent !== null;
		})()`, nil),
		chromedp.ActionFunc(func(context.Context) error { open(); return nil }),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Evaluate(`window.scrollY`, &scrollY),
		chromedp.Evaluate(inViewport(`[data-testid=flash-notice]`), &inView),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.AttributeValue(`#flashes`, "aria-live", &live, nil, chromedp.ByQuery),
		screenshot("hook-test-result.png", false),
	)
	if busyBefore {
		t.Error("the Test menu was busy before anything ran")
	}
	if scrollY < 1000 {
		t.Fatalf("the page is scrolled only %.0f px: the 40th hook should be far down", scrollY)
	}
	if !inView {
		t.Errorf("the Test result is outside the viewport (scrolled to %.0f px)", scrollY)
	}
	if flash != "Hook executed successfully: HTTP 200" {
		t.Errorf("flash %q, want GitLab's wording", flash)
	}
	if live != "polite" {
		t.Errorf("the flash area has aria-live %q, want polite", live)
	}
}

// A 422 on the long add form: the error summary heads the form and the
// first field in error (the template, far down) has the focus and is in
// view.
func TestBrowserFormErrorIsFocusedAndInView(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)}); err != nil {
		t.Fatal(err)
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(rcv.Close)

	ctx := newBrowser(t)
	var focused, summary string
	var inView bool
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/acme/api/-/hooks/new"),
		chromedp.WaitVisible(`#hook_url`, chromedp.ByQuery),
		htmxReady(),
		chromedp.SendKeys(`#hook_url`, rcv.URL+"/hook", chromedp.ByQuery),
		chromedp.SendKeys(`#hook_custom_webhook_template`, `{"kind":"{{object_kind.name}}"}`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=hook-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=error-summary]`, chromedp.ByQuery),
		chromedp.Poll(`document.activeElement && document.activeElement.id === "hook_custom_webhook_template"`, nil),
		chromedp.Evaluate(inViewport(`#hook_custom_webhook_template`), &inView),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
		chromedp.Text(`[data-testid=error-summary]`, &summary, chromedp.ByQuery),
	)
	if !inView {
		t.Error("the focused field in error is not in view")
	}
	if !strings.Contains(strings.ToLower(summary), "custom webhook template") {
		t.Errorf("error summary %q does not name the field", summary)
	}
}

// Escape closes the Test dropdown and leaves the focus on its toggle; a
// dialog gives the focus back to what opened it when it closes.
func TestBrowserEscapeAndDialogFocus(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromSystemHooks: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(rcv.Close)
	h, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr(rcv.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	row := "#hook-" + itoa(h.ID)
	ctx := newBrowser(t)
	var afterEscape, afterDialog string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/hooks"),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		htmxReady(),
		chromedp.Click(row+` [data-testid=hook-test]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.Focus(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Poll(`!document.querySelector("`+row+` details").open`, nil),
		chromedp.Evaluate(`document.activeElement.dataset.testid || document.activeElement.tagName`, &afterEscape),
		chromedp.Focus(row+` [data-testid=hook-delete]`, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=hook-delete]`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog[open] [data-testid=hook-delete-confirm]`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(`dialog[open]`, chromedp.ByQuery),
		chromedp.Poll(`document.activeElement !== document.body && !document.activeElement.closest("dialog")`, nil),
		chromedp.Evaluate(`document.activeElement.dataset.testid || document.activeElement.tagName`, &afterDialog),
	)
	// The custom events dialog opens after htmx replaced the level select
	// that asked for it: closing it focuses its "Custom events" button.
	_, _, proj := notificationTree(t, gl)
	key := "project-" + itoa(int64(proj.ID))
	var afterEvents string
	browse(t, ctx,
		chromedp.Navigate(inst.URL+"/-/profile/notifications"),
		chromedp.WaitVisible(`[data-testid=level-`+key+`]`, chromedp.ByQuery),
		htmxReady(),
		chromedp.Focus(`[data-testid=level-`+key+`]`, chromedp.ByQuery),
		chromedp.SetValue(`[data-testid=level-`+key+`]`, "custom", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("[data-testid=level-`+key+`]").dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		chromedp.WaitVisible(`dialog#events-`+key+`[open]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=close-events-`+key+`]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("dialog[open]") === null && document.activeElement !== document.body && !document.activeElement.closest("dialog")`, nil),
		chromedp.Evaluate(`document.activeElement.dataset.testid || document.activeElement.tagName`, &afterEvents),
	)
	if afterEvents != "edit-events-"+key {
		t.Errorf("after the custom events dialog the focus is on %q, want its Custom events button", afterEvents)
	}
	if afterEscape != "hook-test" {
		t.Errorf("after Escape the focus is on %q, want the Test toggle", afterEscape)
	}
	if afterDialog != "hook-delete" {
		t.Errorf("after the dialog the focus is on %q, want the Delete button", afterDialog)
	}
}

// An htmx request answered with an error (which htmx does not swap) still
// tells the user: the error page's message lands in the flash area instead
// of nothing happening.
func TestBrowserHTMXErrorsReachTheFlashArea(t *testing.T) {
	inst := startInstance(t)
	ctx := newBrowser(t)
	var msg string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/hooks"),
		htmxReady(),
		chromedp.Evaluate(`htmx.ajax("GET", "/admin/hooks/999999/hook_logs", {target: "#hook-list", swap: "outerHTML"}); 1`, nil),
		chromedp.WaitVisible(`#flashes [data-testid=flash-alert]`, chromedp.ByQuery),
		chromedp.Text(`#flashes [data-testid=flash-alert]`, &msg, chromedp.ByQuery),
	)
	if !strings.Contains(msg, "could not be found") {
		t.Errorf("flash %q, want the 404 page's message", msg)
	}
}
