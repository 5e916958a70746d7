package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/db"
)

// screenshot saves a PNG of the page (the whole page when full) into the
// directory named by HOOKLAB_SCREENSHOTS, for the README; without it the
// test takes none. `make screenshots` sets it to docs/.
func screenshot(name string, full bool) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		dir := os.Getenv("HOOKLAB_SCREENSHOTS")
		if dir == "" {
			return nil
		}
		var png []byte
		var err error
		if full {
			err = chromedp.FullScreenshot(&png, 90).Do(ctx)
		} else {
			err = chromedp.CaptureScreenshot(&png).Do(ctx)
		}
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), png, 0o644)
	})
}

// overflow measures how far a page is wider than the window.
type overflow struct {
	ScrollWidth, InnerWidth float64
	Widest                  string
}

const measureOverflow = `(function () {
	var w = window.innerWidth, widest = "", max = 0;
	document.querySelectorAll("body *").forEach(function (el) {
		var r = el.getBoundingClientRect();
		if (r.right > w + 0.5 && r.right > max && r.width > 0) {
			max = r.right;
			widest = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.dataset && el.dataset.testid ? "[" + el.dataset.testid + "]" : "") + (el.className && el.className.baseVal === undefined ? "." + String(el.className).split(" ").join(".") : "") + " → " + Math.round(r.right) + "px";
		}
	});
	return {ScrollWidth: document.documentElement.scrollWidth, InnerWidth: w, Widest: widest};
})()`

// At 375 px (a desktop-mode window that narrow, no mobile emulation) the
// settings pages fit the window: the navigation collapses, tables scroll
// inside their box, long URLs wrap; nothing widens the page.
func TestBrowserPagesFitA375PxWindow(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme Corporation Engineering"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("Payments API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Users.CreateUser(&gitlab.CreateUserOptions{Email: gitlab.Ptr("a.very.long.address.for.testing@engineering.example.com"), Username: gitlab.Ptr("maintainer-with-a-long-username"),
		Name: gitlab.Ptr("Maintainer With A Rather Long Display Name"), Password: gitlab.Ptr("a long enough password"), SkipConfirmation: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.GroupMembers.AddGroupMember(acme.ID, &gitlab.AddGroupMemberOptions{Username: gitlab.Ptr("maintainer-with-a-long-username"), AccessLevel: gitlab.Ptr(gitlab.MaintainerPermissions)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("someone.invited.with.a.long.address@partners.example.org"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}); err != nil {
		t.Fatal(err)
	}
	rcv := newEventReceiver(t)
	longURL := rcv.URL + "/receivers/" + strings.Repeat("segment-", 30) + "end?query=" + strings.Repeat("x", 120)
	hk, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{
		URL: gitlab.Ptr(longURL), PushEvents: gitlab.Ptr(true), Name: gitlab.Ptr("Payments receiver"),
		IssuesEvents: gitlab.Ptr(true), MergeRequestsEvents: gitlab.Ptr(true), TagPushEvents: gitlab.Ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL + "/second")}); err != nil {
		t.Fatal(err)
	}
	const events = 25 // more than one page of Recent events
	for i := 0; i < events; i++ {
		publishPush(t, gl, "acme%2Fapi")
	}
	waitFor(t, "the pushes to be delivered", func() bool {
		_, n, err := inst.store().HookLogs(context.Background(), hk.ID, db.HookLogFilter{Since: time.Now().Add(-time.Hour), Page: db.Page{Page: 1, PerPage: 1}})
		return err == nil && n >= events
	})
	logs, _, err := inst.store().HookLogs(context.Background(), hk.ID, db.HookLogFilter{Since: time.Now().Add(-time.Hour), Page: db.Page{Page: 1, PerPage: 1}})
	if err != nil || len(logs) == 0 {
		t.Fatal(logs, err)
	}
	hooks := inst.URL + "/acme/api/-/hooks"
	pages := []struct{ name, path, ready, shot string }{
		{"hooks list", hooks, `[data-testid=hook-row]`, "hooks-list-375.png"},
		{"edit page with Recent events", hooks + "/" + itoa(hk.ID) + "/edit", `[data-testid=recent-event]`, "hook-edit-375.png"},
		{"event details", hooks + "/" + itoa(hk.ID) + "/hook_logs/" + itoa(logs[0].ID), `[data-testid=log-request-body]`, ""},
		{"members", inst.URL + "/groups/acme/-/group_members", `[data-testid=invite-row]`, ""},
		{"notifications", inst.URL + "/-/profile/notifications", `[data-testid=current-user]`, ""},
	}

	// Headless Chromium keeps windows at least 500 px wide; the viewport is
	// narrowed to 375 px in desktop mode (not a mobile device emulation:
	// no touch, no mobile viewport rules, device scale 1).
	ctx := newBrowserWindow(t, 500, 800)
	var inner float64
	browse(t, ctx, chromedp.EmulateViewport(375, 800), signIn(inst.URL, "root", rootPassword), chromedp.Evaluate(`window.innerWidth`, &inner))
	if inner != 375 {
		t.Fatalf("window.innerWidth is %.0f, want 375", inner)
	}
	for _, pg := range pages {
		var o overflow
		browse(t, ctx,
			chromedp.Navigate(pg.path),
			chromedp.WaitVisible(pg.ready, chromedp.ByQuery),
			chromedp.Evaluate(measureOverflow, &o),
		)
		if o.ScrollWidth > o.InnerWidth {
			t.Errorf("%s: scrollWidth %.0f > innerWidth %.0f; widest: %s", pg.name, o.ScrollWidth, o.InnerWidth, o.Widest)
		}
		if pg.shot != "" {
			browse(t, ctx, screenshot(pg.shot, false))
		}
	}
	// The collapsed navigation opens, and Sign out is reachable.
	var signOutVisible bool
	browse(t, ctx,
		chromedp.Navigate(hooks),
		chromedp.WaitVisible(`[data-testid=nav-toggle]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=nav-toggle]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=sidebar] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=sign-out]`, chromedp.ByQuery),
		chromedp.Evaluate(inViewport(`[data-testid=sign-out]`), &signOutVisible),
	)
	if !signOutVisible {
		t.Error("Sign out is outside the 375 px window")
	}
}
