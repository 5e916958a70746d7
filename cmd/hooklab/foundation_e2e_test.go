package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A person signs in as root, creates a group and a project through the
// pages and sees them where they expect to.
func TestBrowserSignInCreateGroupAndProject(t *testing.T) {
	inst := startInstance(t)
	ctx := newBrowser(t)
	var user, groupPath, flash, projectPath, dashboard string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Text(`[data-testid=current-user]`, &user, chromedp.ByQuery),

		chromedp.Navigate(inst.URL+"/groups/new"),
		chromedp.SendKeys(`#group_name`, "Acme Corp", chromedp.ByQuery),
		chromedp.SendKeys(`#group_path`, "acme", chromedp.ByQuery),
		chromedp.Click(`[data-testid=group-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=group-path]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=group-path]`, &groupPath, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),

		chromedp.Click(`[data-testid=new-project-in-group]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#project_name`, chromedp.ByQuery),
		chromedp.SendKeys(`#project_name`, "Billing API", chromedp.ByQuery),
		chromedp.Click(`[data-testid=project-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=project-path]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=project-path]`, &projectPath, chromedp.ByQuery),

		chromedp.Navigate(inst.URL+"/"),
		chromedp.WaitVisible(`[data-testid=project-list]`, chromedp.ByQuery),
		chromedp.Text(`main`, &dashboard, chromedp.ByQuery),
	)
	if user != "root" {
		t.Errorf("got signed-in user %q, want root", user)
	}
	if groupPath != "acme" || !strings.Contains(flash, "Group 'Acme Corp' was successfully created.") {
		t.Errorf("got group path %q and flash %q", groupPath, flash)
	}
	if projectPath != "acme/billing-api" {
		t.Errorf("got project path %q, want acme/billing-api (derived from the name)", projectPath)
	}
	for _, want := range []string{"Acme Corp", "Acme Corp / Billing API"} {
		if !strings.Contains(dashboard, want) {
			t.Errorf("dashboard does not list %q:\n%s", want, dashboard)
		}
	}
}

// Sign-in with a wrong password shows the error on the page.
func TestBrowserWrongPassword(t *testing.T) {
	inst := startInstance(t)
	ctx := newBrowser(t)
	var msg string
	browse(t, ctx,
		chromedp.Navigate(inst.URL+"/users/sign_in"),
		chromedp.SendKeys(`#user_login`, "root", chromedp.ByQuery),
		chromedp.SendKeys(`#user_password`, "not the password", chromedp.ByQuery),
		chromedp.Click(`[data-testid=signin-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=signin-error]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=signin-error]`, &msg, chromedp.ByQuery),
	)
	if msg != "Invalid login or password." {
		t.Errorf("got %q", msg)
	}
}
