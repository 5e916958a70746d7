package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// requestLog records the URLs a browser tab requests, in order.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func watchRequests(ctx context.Context) *requestLog {
	l := &requestLog{}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			l.mu.Lock()
			l.urls = append(l.urls, e.Request.Method+" "+e.Request.URL)
			l.mu.Unlock()
		}
	})
	return l
}

// index is the position of the first request containing s, or -1.
func (l *requestLog) index(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, u := range l.urls {
		if strings.Contains(u, s) {
			return i
		}
	}
	return -1
}

func (l *requestLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.urls, "\n")
}

// fetchFavicon makes the page load the favicon the way a browser tab does
// (an image request), at /favicon.ico and at the layout's <link rel=icon>,
// and waits until both have loaded: headless Chromium does not always fetch
// tab icons on its own.
func fetchFavicon() chromedp.Action {
	return chromedp.Poll(`(function () {
		if (!window.__icons) {
			var link = document.querySelector('link[rel=icon]');
			window.__icons = ['/favicon.ico', link ? link.href : '/missing-icon-link'].map(function (src) {
				var img = new Image(); img.src = src; return img;
			});
		}
		return window.__icons.every(function (img) { return img.complete && img.naturalWidth > 0; });
	})()`, nil)
}

// Signing in lands where the user was going: from the sign-in page (the
// dashboard), from a deep link, and from an invitation's "Sign in to
// accept", even though the browser fetched the favicon (and other assets)
// while the sign-in page was shown.
func TestBrowserSignInLandsWhereTheUserWasGoing(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("guest@example.org"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}); err != nil {
		t.Fatal(err)
	}
	invite := inviteLinkFrom(t, inst, "guest@example.org")

	ctx := newBrowser(t)
	reqs := watchRequests(ctx)
	signInHere := chromedp.Tasks{
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
		fetchFavicon(),
		// An htmx fragment and an image while signed out must not count either.
		chromedp.Evaluate(`fetch('/-/profile', {headers: {'HX-Request': 'true'}}).then(function () { return 1 })`, nil, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		chromedp.SendKeys(`#user_login`, "root", chromedp.ByQuery),
		chromedp.SendKeys(`#user_password`, rootPassword, chromedp.ByQuery),
		chromedp.Click(`[data-testid=signin-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=current-user]`, chromedp.ByQuery),
	}
	signOut := chromedp.Tasks{
		chromedp.Click(`[data-testid=sign-out]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
	}
	var fromSignIn, fromDeepLink, fromInvite, title string
	browse(t, ctx,
		chromedp.Navigate(inst.URL+"/users/sign_in"),
		signInHere,
		chromedp.Location(&fromSignIn),
		chromedp.Title(&title),
		signOut,

		chromedp.Navigate(inst.URL+"/acme/api/-/hooks?page=1"),
		signInHere,
		chromedp.WaitVisible(`[data-testid=add-hook]`, chromedp.ByQuery),
		chromedp.Location(&fromDeepLink),
		signOut,

		chromedp.Navigate(invite),
		chromedp.Click(`[data-testid=invite-sign-in]`, chromedp.ByQuery),
		signInHere,
		chromedp.WaitVisible(`[data-testid=accept-invite]`, chromedp.ByQuery),
		chromedp.Location(&fromInvite),
	)
	if fromSignIn != inst.URL+"/" || strings.Contains(title, "not found") {
		t.Errorf("signing in from the sign-in page landed on %s (%q), want the dashboard", fromSignIn, title)
	}
	if fromDeepLink != inst.URL+"/acme/api/-/hooks?page=1" {
		t.Errorf("signing in from a deep link landed on %s", fromDeepLink)
	}
	if fromInvite != invite {
		t.Errorf("signing in from the invitation landed on %s, want %s", fromInvite, invite)
	}
	// The favicon was really requested before signing in, and never
	// answered with the sign-in redirect.
	icon, post := reqs.index("/favicon.ico"), reqs.index("POST "+inst.URL+"/users/sign_in")
	if icon < 0 || post < 0 || icon > post {
		t.Errorf("favicon at request %d, sign-in at %d; requests:\n%s", icon, post, reqs)
	}
}
