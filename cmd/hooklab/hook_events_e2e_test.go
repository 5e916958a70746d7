package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// A maintainer sends a test event from the Test dropdown of the hooks list
// (htmx: the page stays, the flash appears and the Disabled badge of the
// hook it enabled again goes away), opens the event from Recent events,
// sees the request and the response, and resends it: the receiver gets the
// same Idempotency-Key twice.
func TestBrowserTestAndResend(t *testing.T) {
	inst := startInstance(t)
	ctx := context.Background()
	rcv := newEventReceiver(t)
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
	const tokenSecret = "browser-test-token-91"
	ph, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{
		URL: gitlab.Ptr(rcv.URL + "/receiver"), PushEvents: gitlab.Ptr(true), Token: gitlab.Ptr(tokenSecret),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The hook failed for good; the push published now is not delivered to
	// it but is the sample its test sends.
	if _, err := inst.store().UpdateHookState(ctx, ph.ID, func(h *model.Hook) bool { h.RecentFailures = 40; return true }); err != nil {
		t.Fatal(err)
	}
	publishPush(t, gl, "acme%2Fapi")

	hooksURL := inst.URL + "/acme/api/-/hooks"
	row := `#hook-` + itoa(ph.ID)
	bctx := newBrowser(t)
	var badge, flash, location string
	var badges int
	browse(t, bctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(hooksURL),
		chromedp.WaitVisible(row+` [data-testid=hook-alert]`, chromedp.ByQuery),
		htmxReady(),
		chromedp.Text(row+` [data-testid=hook-alert]`, &badge, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=hook-test]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.Click(row+` [data-testid=test-push_events]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("`+row+` [data-testid=hook-alert]").length`, &badges),
		chromedp.Location(&location),
	)
	if badge != "Disabled" {
		t.Fatalf("badge before the test: %q", badge)
	}
	if flash != "Hook executed successfully: HTTP 200" {
		t.Fatalf("flash %q", flash)
	}
	if badges != 0 {
		t.Fatal("the Disabled badge is still shown after a successful test")
	}
	if location != hooksURL {
		t.Fatalf("the test left the list for %s: it should run through htmx", location)
	}
	if got := rcv.requests(); len(got) != 1 || got[0].event != "Push Hook" || got[0].path != "/receiver" {
		t.Fatalf("receiver: %+v", got)
	}

	var events int
	var status, trigger, reqHeaders, reqBody, respBody, logURL string
	browse(t, bctx,
		chromedp.Click(row+` [data-testid=hook-edit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=recent-event]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=recent-event]").length`, &events),
		chromedp.Click(`[data-testid=recent-event] [data-testid=event-details]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=log-request-headers]`, chromedp.ByQuery),
		chromedp.Location(&logURL),
		chromedp.Text(`[data-testid=log-status]`, &status, chromedp.ByQuery),
		chromedp.Text(`[data-testid=log-trigger]`, &trigger, chromedp.ByQuery),
		chromedp.Text(`[data-testid=log-request-headers]`, &reqHeaders, chromedp.ByQuery),
		chromedp.Text(`[data-testid=log-request-body]`, &reqBody, chromedp.ByQuery),
		chromedp.Text(`[data-testid=log-response-body]`, &respBody, chromedp.ByQuery),
	)
	if events != 1 {
		t.Fatalf("Recent events shows %d rows, want 1", events)
	}
	key := rcv.requests()[0].idempotencyKey
	if status != "200" || trigger != "Push Hook" || respBody != `{"ok":true}` {
		t.Fatalf("details: status %q, trigger %q, response %q", status, trigger, respBody)
	}
	for _, want := range []string{"X-Gitlab-Event: Push Hook", "X-Gitlab-Token: [REDACTED]", "Idempotency-Key: " + key} {
		if !strings.Contains(reqHeaders, want) {
			t.Errorf("request headers lack %q:\n%s", want, reqHeaders)
		}
	}
	if strings.Contains(reqHeaders, tokenSecret) {
		t.Error("the request headers show the secret token")
	}
	if !strings.Contains(reqBody, `"object_kind": "push"`) {
		t.Errorf("request body:\n%s", reqBody)
	}

	browse(t, bctx,
		chromedp.Click(`[data-testid=resend-request]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=recent-events]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=recent-event]").length`, &events),
		chromedp.Location(&location),
	)
	if flash != "Hook executed successfully: HTTP 200" || events != 2 || !strings.HasSuffix(location, "/acme/api/-/hooks/"+itoa(ph.ID)+"/edit") {
		t.Fatalf("after resending: flash %q, %d events, at %s", flash, events, location)
	}
	got := rcv.requests()
	if len(got) != 2 || got[1].idempotencyKey != key || got[1].webhookUUID == got[0].webhookUUID || got[1].body != got[0].body {
		t.Fatalf("receiver: %+v", got)
	}
	if strings.Contains(inst.logs.String(), tokenSecret) {
		t.Error("the log holds the secret token")
	}
}
