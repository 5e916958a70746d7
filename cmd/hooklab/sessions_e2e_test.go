package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneAgent is the browser the second session claims to be.
const phoneAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

var csrfMetaTag = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// phoneSession signs root in with a plain HTTP client posing as a phone
// and returns the client, which keeps the session cookie.
func phoneSession(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("User-Agent", phoneAgent)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	_, page := get("/users/sign_in")
	m := csrfMetaTag.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	form := url.Values{"login": {"root"}, "password": {rootPassword}, "authenticity_token": {m[1]}}
	req, _ := http.NewRequest(http.MethodPost, base+"/users/sign_in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", phoneAgent)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("phone sign-in: got %d", res.StatusCode)
	}
	if code, _ := get("/-/profile"); code != http.StatusOK {
		t.Fatalf("phone session: got %d on the profile", code)
	}
	return c
}

// In Chromium, User settings → Active sessions lists this browser (marked
// current) and the phone's session; Revoke in its dialog signs the phone
// out on the server at once.
func TestBrowserActiveSessionsRevoke(t *testing.T) {
	inst := startInstance(t)
	phone := phoneSession(t, inst.URL)
	ctx := newBrowser(t)
	var device, flash string
	var rows, current int
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/-/profile"),
		chromedp.Click(`[data-testid=sidebar] a[href="/-/profile/active_sessions"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=active-sessions]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=active-session]").length`, &rows),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=current-session]").length`, &current),
		chromedp.Text(`[data-testid=active-session]:not(:has([data-testid=current-session])) [data-testid=session-device]`, &device, chromedp.ByQuery),
		htmxReady(),
		chromedp.Click(`[data-testid=session-revoke]`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog[open] [data-testid=revoke-session-confirm]`, chromedp.ByQuery),
		chromedp.Click(`dialog[open] [data-testid=revoke-session-confirm]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
	)
	if rows != 2 || current != 1 || device != "Safari on iOS" {
		t.Fatalf("got %d sessions (%d current), other %q; want 2, 1 current, Safari on iOS", rows, current, device)
	}
	if !strings.Contains(flash, "was revoked") {
		t.Fatalf("got flash %q", flash)
	}
	res, err := phone.Get(inst.URL + "/-/profile")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/users/sign_in" {
		t.Fatalf("the revoked phone: got %d to %q, want signed out", res.StatusCode, res.Header.Get("Location"))
	}
}

// The serve command's --trusted-proxies reaches the web layer: behind a
// trusted proxy the request log records the forwarded client; without
// one, the header is ignored.
func TestTrustedProxiesDecideTheLoggedClientAddress(t *testing.T) {
	for _, tc := range []struct {
		name, proxies, want, notWant string
	}{
		{"no trusted proxy", "", "ip=127.0.0.1", "203.0.113.9"},
		{"loopback trusted", "127.0.0.0/8", "ip=203.0.113.9", "ip=127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := startInstance(t, func(c *config) {
				var err error
				if c.TrustedProxies, err = parseCIDRs(tc.proxies); err != nil {
					t.Fatal(err)
				}
			})
			req, _ := http.NewRequest(http.MethodGet, inst.URL+"/users/sign_in", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			// The log line is written as the response goes out: wait for it.
			logs := inst.logs.String()
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs, "path=/users/sign_in") && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				logs = inst.logs.String()
			}
			if !strings.Contains(logs, "path=/users/sign_in status=200") || !strings.Contains(logs, tc.want) || strings.Contains(logs, tc.notWant) {
				t.Fatalf("want %q and not %q in the request log:\n%s", tc.want, tc.notWant, logs)
			}
		})
	}
}
