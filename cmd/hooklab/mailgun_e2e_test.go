package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mailgun/mailgun-go/v4"
	"github.com/mailgun/mailgun-go/v4/events"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

const e2eMailgunKey = "key-e2e-webhook-signing-4f9c2d"

// signedMailgunPayload is a mailgun.WebhookPayload for ev, signed now with
// key by the test and verified by mailgun-go.
func signedMailgunPayload(t *testing.T, key, token string, ev *events.Failed) []byte {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(stamp + token))
	p := mailgun.WebhookPayload{
		Signature: mailgun.Signature{TimeStamp: stamp, Token: token, Signature: hex.EncodeToString(m.Sum(nil))},
		EventData: events.RawJSON(data),
	}
	mg := mailgun.NewMailgun("mg.hooklab.test", "api-key")
	mg.SetWebhookSigningKey(key)
	if ok, err := mg.VerifyWebhookSignature(p.Signature); !ok || err != nil {
		t.Fatalf("mailgun-go rejects the signature: %v %v", ok, err)
	}
	body, err := json.Marshal(struct {
		Signature mailgun.Signature `json:"signature"`
		EventData json.RawMessage   `json:"event-data"`
	}{p.Signature, json.RawMessage(p.EventData)})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func mailgunFailure(severity, recipient string) *events.Failed {
	ev := &events.Failed{
		Recipient: recipient, Severity: severity, Reason: "bounce",
		DeliveryStatus: events.DeliveryStatus{Code: 550, Message: "5.1.1 No such user here"},
		Message:        events.Message{Headers: events.MessageHeaders{MessageID: "e2e@mg.hooklab.test"}},
	}
	ev.Name = events.EventFailed
	ev.ID = "e2e-" + recipient
	ev.SetTimestamp(time.Now())
	return ev
}

// postMailgun posts a webhook body as Mailgun does: plain net/http, no
// session, no CSRF token.
func postMailgun(t *testing.T, url string, body []byte) int {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// An admin enables Mailgun with a key on the settings page, opens the
// failures page, and sees a failure appear there (the list polls) after
// Mailgun posts a signed webhook to the URL the settings page gave. A
// permanent failure of an invitation e-mail then shows on the members page.
func TestBrowserAdminEnablesMailgunAndSeesFailures(t *testing.T) {
	inst := startInstance(t)
	ctx := newBrowser(t)

	var flash, hookURL, placeholder, keyValue string
	var enabled bool
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/admin/application_settings/general"),
		chromedp.WaitVisible(`#mailgun_signing_key`, chromedp.ByQuery),
		chromedp.Click(`#mailgun_events_enabled`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=settings-submit]`, chromedp.ByQuery),
		// Enabling without a key is refused beside the key field.
		chromedp.WaitVisible(`.has-error #mailgun_signing_key`, chromedp.ByQuery),
		chromedp.SendKeys(`#mailgun_signing_key`, e2eMailgunKey, chromedp.ByQuery),
		chromedp.Click(`[data-testid=settings-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Text(`[data-testid=mailgun-webhook-url]`, &hookURL, chromedp.ByQuery),
		chromedp.AttributeValue(`#mailgun_signing_key`, "placeholder", &placeholder, nil, chromedp.ByQuery),
		chromedp.Value(`#mailgun_signing_key`, &keyValue, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#mailgun_events_enabled').checked`, &enabled),
	)
	if flash != "Application settings saved successfully" {
		t.Fatalf("got flash %q", flash)
	}
	if hookURL != inst.URL+"/-/mailgun/webhooks" {
		t.Errorf("the page gives the webhook URL %q, want %q", hookURL, inst.URL+"/-/mailgun/webhooks")
	}
	if placeholder != "************" || keyValue != "" || !enabled {
		t.Errorf("after saving: placeholder %q, value %q, enabled %v", placeholder, keyValue, enabled)
	}
	st, err := inst.store().Settings(context.Background())
	if err != nil || !st.MailgunEventsEnabled || st.MailgunSigningKey != e2eMailgunKey {
		t.Fatalf("settings not saved (enabled %v): %v", st.MailgunEventsEnabled, err)
	}

	browse(t, ctx,
		chromedp.Navigate(inst.URL+"/admin/mailgun/failures"),
		chromedp.WaitVisible(`[data-testid=no-failures]`, chromedp.ByQuery),
	)
	if code := postMailgun(t, hookURL, signedMailgunPayload(t, e2eMailgunKey, "e2e-token-1", mailgunFailure("temporary", "far@example.net"))); code != http.StatusOK {
		t.Fatalf("webhook: got %d, want 200", code)
	}
	if code := postMailgun(t, hookURL, signedMailgunPayload(t, e2eMailgunKey, "e2e-token-1", mailgunFailure("temporary", "far@example.net"))); code != http.StatusNotFound {
		t.Fatalf("replayed webhook: got %d, want 404", code)
	}
	var row string
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	browse(t, waitCtx,
		chromedp.WaitVisible(`[data-testid=failure-row][data-recipient="far@example.net"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=failure-row]`, &row, chromedp.ByQuery),
	)
	row = strings.Join(strings.Fields(row), " ")
	for _, want := range []string{"far@example.net", "temporary", "bounce", "550", "5.1.1 No such user here"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}

	// An invitation e-mail that bounces for good is marked on the members page.
	gl := inst.client(t, "root")
	if _, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")}); err != nil {
		t.Fatal(err)
	}
	if res, _, err := gl.Invites.GroupInvites("acme", &gitlab.InvitesOptions{Email: gitlab.Ptr("gone@example.org"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}); err != nil || res.Status != "success" {
		t.Fatalf("invite: %+v %v", res, err)
	}
	var raw string
	for _, m := range inst.mails() {
		if m.To == "gone@example.org" && m.Tag == model.InviteEmailTag {
			raw = m.Variables["invite_token"]
		}
	}
	if raw == "" {
		t.Fatal("no invitation e-mail with an invite_token")
	}
	ev := mailgunFailure("permanent", "gone@example.org")
	ev.Tags, ev.UserVariables = []string{model.InviteEmailTag}, map[string]any{"invite_token": raw}
	if code := postMailgun(t, hookURL, signedMailgunPayload(t, e2eMailgunKey, "e2e-token-2", ev)); code != http.StatusOK {
		t.Fatalf("invite failure webhook: got %d", code)
	}
	var note, reason string
	browse(t, ctx,
		chromedp.Navigate(inst.URL+"/groups/acme/-/group_members"),
		chromedp.WaitVisible(`[data-testid=invite-row][data-email="gone@example.org"] [data-testid=invite-failed]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=invite-failed]`, &note, chromedp.ByQuery),
		chromedp.Text(`[data-testid=invite-failure]`, &reason, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=invite-row][data-email="gone@example.org"] [data-testid=resend-invite]`, chromedp.ByQuery),
	)
	if note != "Invite email failed to send" || reason != "550 5.1.1 No such user here" {
		t.Errorf("got note %q, reason %q", note, reason)
	}

	// The key is sealed at rest and never logged.
	inst.stop()
	db := filepath.Join(inst.app.cfg.DataDir, "hooklab.db")
	for _, f := range []string{db, db + "-wal"} {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(e2eMailgunKey)) {
			t.Errorf("%s holds the key in clear", f)
		}
	}
	// (Without SMTP the log is the mailbox, so the invitation link is in it;
	// the receiver itself never logs the token.)
	if strings.Contains(inst.logs.String(), e2eMailgunKey) {
		t.Error("the key is in the log")
	}
}

// The mailer of a running instance skips addresses that failed too often.
func TestMailerSkipsFailingAddresses(t *testing.T) {
	inst := startInstance(t)
	ctx := context.Background()
	st, _ := inst.store().Settings(ctx)
	st.MailgunEventsEnabled, st.MailgunSigningKey = true, e2eMailgunKey
	if err := inst.store().UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	url := inst.URL + model.MailgunWebhookPath
	for i := 0; i <= model.MailgunPermanentFailureLimit; i++ {
		body := signedMailgunPayload(t, e2eMailgunKey, "skip-"+strconv.Itoa(i), mailgunFailure("permanent", "Bouncy@Example.com"))
		if code := postMailgun(t, url, body); code != http.StatusOK {
			t.Fatalf("webhook %d: got %d", i, code)
		}
	}
	for _, to := range []string{"bouncy@example.com", "fine@example.com"} {
		if err := inst.app.mailer.Send(ctx, model.Mail{To: to, Subject: "Notice for " + to, Body: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	logs := inst.logs.String()
	if !strings.Contains(logs, "mail not sent: the address keeps failing") || !strings.Contains(logs, `to=bouncy@example.com subject="Notice for bouncy@example.com"`) {
		t.Errorf("the failing address was not skipped:\n%s", logs)
	}
	if strings.Contains(logs, `msg=mail to=bouncy@example.com`) {
		t.Error("mail to the failing address was sent")
	}
	if !strings.Contains(logs, `msg=mail to=fine@example.com`) {
		t.Error("mail to a working address was not sent")
	}
}

// client-go sets and reads the Mailgun settings; the key never comes back.
func TestClientGoMailgunSettings(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{MailgunEventsEnabled: gitlab.Ptr(true)}); err == nil {
		t.Fatal("enabling without a key was accepted")
	}
	s, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{MailgunEventsEnabled: gitlab.Ptr(true), MailgunSigningKey: gitlab.Ptr(e2eMailgunKey)})
	if err != nil || !s.MailgunEventsEnabled || s.MailgunSigningKey != "" {
		t.Fatalf("update: enabled %v, key returned %v (%v)", s != nil && s.MailgunEventsEnabled, s != nil && s.MailgunSigningKey != "", err)
	}
	s, _, err = gl.Settings.GetSettings()
	if err != nil || !s.MailgunEventsEnabled || s.MailgunSigningKey != "" {
		t.Fatalf("get: %v", err)
	}
}
