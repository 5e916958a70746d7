package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Editing a masked URL in the form keeps the URL variables whose
// placeholders remain: the receiver still gets the secret value. The flash
// says which secrets the URL change removed (the token and the custom
// header, as in GitLab) instead of just "Webhook was updated".
func TestBrowserMaskedURLEditKeepsItsVariables(t *testing.T) {
	inst := startInstance(t)
	rcv := newEventReceiver(t)
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
	const secret = "masked-path-secret-5150"
	req, err := gl.NewRequest(http.MethodPost, "projects/acme%2Fapi/hooks", map[string]any{
		"url": rcv.URL + "/ok/{token}/endpoint", "push_events": true, "token": "signing-token-5151",
		"url_variables":  []map[string]string{{"key": "token", "value": secret}},
		"custom_headers": []map[string]string{{"key": "X-Custom", "value": "header-secret-5152"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var hook gitlab.ProjectHook
	if _, err := gl.Do(req, &hook); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	edit := inst.URL + "/acme/api/-/hooks/" + itoa(int64(hook.ID)) + "/edit"
	var shown, flash, vars string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(edit),
		chromedp.WaitVisible(`[data-testid=url-var-row]`, chromedp.ByQuery),
		htmxReady(),
		chromedp.Value(`#hook_url`, &shown, chromedp.ByQuery),
		chromedp.SetValue(`#hook_url`, rcv.URL+"/ok/{token}/endpoint2", chromedp.ByQuery),
		chromedp.Click(`[data-testid=hook-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Navigate(edit),
		chromedp.WaitVisible(`[data-testid=url-var-row]`, chromedp.ByQuery),
		chromedp.Text(`#hook-url-vars`, &vars, chromedp.ByQuery),
	)
	if shown != rcv.URL+"/ok/{token}/endpoint" {
		t.Fatalf("the form showed the URL %q", shown)
	}
	if !strings.HasPrefix(flash, "Webhook was updated. ") || !strings.Contains(flash, "the secret token") || !strings.Contains(flash, "X-Custom") || strings.Contains(flash, "{token}") {
		t.Errorf("flash %q should say the token and the custom header X-Custom were removed, and nothing else", flash)
	}
	if !strings.Contains(vars, "{token}") {
		t.Errorf("the edit page no longer lists {token}: %q", vars)
	}
	publishPush(t, gl, "acme%2Fapi")
	waitFor(t, "the receiver to get the push", func() bool { return len(rcv.requests()) > 0 })
	if got := rcv.requests()[0].path; got != "/ok/"+secret+"/endpoint2" {
		t.Errorf("the receiver got the path %q, want the secret interpolated into the new URL", got)
	}
	if strings.Contains(inst.logs.String(), secret) {
		t.Error("the log holds the URL variable's value")
	}
}
