package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Root creates a user in the admin area; that user signs in, creates a
// personal access token on the profile page, reads it off the page (the
// only time it is shown) and uses it with the GitLab client.
func TestBrowserAdminCreatesUserWhoCreatesAToken(t *testing.T) {
	inst := startInstance(t)
	ctx := newBrowser(t)
	const password = "dave's long password"
	var flash, access string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/users"),
		chromedp.Click(`[data-testid=new-user]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user_username`, chromedp.ByQuery),
		chromedp.SendKeys(`#user_name`, "Dave Lister", chromedp.ByQuery),
		chromedp.SendKeys(`#user_username`, "dave", chromedp.ByQuery),
		chromedp.SendKeys(`#user_email`, "dave@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#user_password`, password, chromedp.ByQuery),
		chromedp.Click(`[data-testid=user-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=admin-user-details]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Text(`[data-testid=admin-user-access]`, &access, chromedp.ByQuery),
		chromedp.Click(`[data-testid=sign-out]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
	)
	if flash != "User was successfully created." || strings.TrimSpace(access) != "Regular" {
		t.Fatalf("got flash %q and access %q", flash, access)
	}

	var raw, user, sectionAfterReload string
	var shownAgain int
	browse(t, ctx,
		signIn(inst.URL, "dave", password),
		chromedp.Text(`[data-testid=current-user]`, &user, chromedp.ByQuery),
		chromedp.Navigate(inst.URL+"/-/profile/personal_access_tokens"),
		chromedp.WaitVisible(`[data-testid=no-active-tokens]`, chromedp.ByQuery),
		chromedp.SendKeys(`#personal_access_token_name`, "laptop", chromedp.ByQuery),
		chromedp.Click(`[data-testid=token-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=new-token]`, chromedp.ByQuery),
		chromedp.Value(`[data-testid=new-token]`, &raw, chromedp.ByQuery),
	)
	if user != "dave" {
		t.Fatalf("signed in as %q, want dave", user)
	}
	if !strings.HasPrefix(raw, "glpat-") {
		t.Fatalf("read token %q off the page, want a glpat- token", raw)
	}

	gl, err := gitlab.NewClient(raw, gitlab.WithBaseURL(inst.URL+"/api/v4"))
	if err != nil {
		t.Fatal(err)
	}
	me, _, err := gl.Users.CurrentUser()
	if err != nil {
		t.Fatalf("GET /user with the token from the page: %v", err)
	}
	if me.Username != "dave" || me.Name != "Dave Lister" {
		t.Errorf("got user %q (%q), want dave (Dave Lister)", me.Username, me.Name)
	}

	browse(t, ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid=active-tokens]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=new-token]').length`, &shownAgain),
		chromedp.OuterHTML(`html`, &sectionAfterReload, chromedp.ByQuery),
	)
	if shownAgain != 0 || strings.Contains(sectionAfterReload, raw) {
		t.Fatal("the token is shown again after a reload")
	}
	if !strings.Contains(sectionAfterReload, "laptop") {
		t.Error("the token is not listed after a reload")
	}
	if strings.Contains(inst.logs.String(), raw) {
		t.Error("the token was logged")
	}
}
