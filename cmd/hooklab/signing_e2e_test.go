package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hooklab/hooklab/model"
)

// In a browser, Generate fills the signing token field with a new token
// shown once (htmx, in place); saving keeps it, sealed, and the edit page
// then shows only the mask.
func TestBrowserHookSigningToken(t *testing.T) {
	inst := startInstance(t)
	ctx := context.Background()
	g := &model.Group{Name: "Acme", Path: "acme"}
	if err := inst.store().CreateGroup(ctx, g, 0); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	var shown, note, flash string
	browse(t, bctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/groups/acme/-/hooks/new"),
		chromedp.WaitVisible(`#hook_url`, chromedp.ByQuery),
		htmxReady(),
		chromedp.SendKeys(`#hook_url`, "http://127.0.0.1:9/signed", chromedp.ByQuery),
		chromedp.Click(`[data-testid=generate-signing-token]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=hook-signing-token-shown]`, chromedp.ByQuery),
		chromedp.Value(`#hook_signing_token`, &shown, chromedp.ByQuery),
		chromedp.Text(`[data-testid=hook-signing-token-shown]`, &note, chromedp.ByQuery),
	)
	if _, ok := model.SigningKey(shown); !ok || !strings.Contains(note, "never shown again") {
		t.Fatalf("generated %q, note %q", shown, note)
	}
	// The URL typed before Generate is still there (only the field was replaced).
	var url string
	browse(t, bctx, chromedp.Value(`#hook_url`, &url, chromedp.ByQuery))
	if url != "http://127.0.0.1:9/signed" {
		t.Fatalf("url after Generate: %q", url)
	}
	// The hook points at loopback, which the admin allows.
	st, _ := inst.store().Settings(ctx)
	st.AllowLocalRequestsFromWebHooksAndServices = true
	if err := inst.store().UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	browse(t, bctx,
		chromedp.Click(`[data-testid=hook-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
	)
	hooks, err := inst.store().HooksByGroup(ctx, g.ID)
	if err != nil || len(hooks) != 1 || hooks[0].SigningToken != shown {
		t.Fatalf("flash %q; stored hooks %d, token kept %v (%v)", flash, len(hooks), len(hooks) == 1 && hooks[0].SigningToken == shown, err)
	}
	var field, html string
	browse(t, bctx,
		chromedp.Navigate(inst.URL+"/groups/acme/-/hooks/"+itoa(hooks[0].ID)+"/edit"),
		chromedp.WaitVisible(`#hook_signing_token`, chromedp.ByQuery),
		chromedp.Value(`#hook_signing_token`, &field, chromedp.ByQuery),
		chromedp.OuterHTML("html", &html, chromedp.ByQuery),
	)
	if field != model.HookSecretMask || strings.Contains(html, strings.TrimPrefix(shown, "whsec_")) {
		t.Fatalf("edit page shows %q (token in page: %v)", field, strings.Contains(html, strings.TrimPrefix(shown, "whsec_")))
	}
	if strings.Contains(inst.logs.String(), strings.TrimPrefix(shown, "whsec_")) {
		t.Fatal("the signing token is in the log")
	}
}
