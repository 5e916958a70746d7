package handlers_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mailgun/mailgun-go/v4"
	"github.com/mailgun/mailgun-go/v4/events"
	_ "github.com/mattn/go-sqlite3"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

const (
	mailgunKey     = "key-mailgun-signing-secret-8a1f"
	webhookPath    = "/-/mailgun/webhooks"
	oldWebhookPath = "/-/members/mailgun/permanent_failures"
)

// testClock is a settable clock shared by the store and the web layer.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mailgunApp is a test app at a fixed time with Mailgun enabled.
func mailgunApp(t *testing.T) (*testApp, *testClock) {
	t.Helper()
	c := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	a := newTestAppAt(t, c.Now)
	setMailgun(t, a, true, mailgunKey)
	return a, c
}

func setMailgun(t *testing.T, a *testApp, enabled bool, key string) {
	t.Helper()
	st, err := a.store.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.MailgunEventsEnabled, st.MailgunSigningKey = enabled, key
	if err := a.store.UpdateSettings(t.Context(), st); err != nil {
		t.Fatal(err)
	}
}

// failedEvent is a Mailgun "failed" event built with mailgun-go's types.
func failedEvent(severity, recipient string, at time.Time) *events.Failed {
	ev := &events.Failed{
		Recipient:       recipient,
		RecipientDomain: recipient[strings.IndexByte(recipient, '@')+1:],
		Severity:        severity,
		Reason:          "bounce",
		DeliveryStatus: events.DeliveryStatus{
			Code: 550, AttemptNo: 1, Message: "5.1.1 The email account that you tried to reach does not exist",
			Description: "Not delivering to previously bounced address",
		},
		Message: events.Message{Headers: events.MessageHeaders{
			To: recipient, MessageID: "20260301100000.1.1@mg.hooklab.test", From: "hooklab@mg.hooklab.test", Subject: "Hello",
		}},
	}
	ev.Name = events.EventFailed
	ev.ID = "ev-" + strconv.FormatInt(at.UnixNano(), 36) + "-" + recipient
	ev.SetTimestamp(at)
	return ev
}

// inviteFailed is a failed invitation e-mail as Mailgun reports it.
func inviteFailed(severity, recipient, rawToken string, at time.Time) *events.Failed {
	ev := failedEvent(severity, recipient, at)
	ev.Tags = []string{model.InviteEmailTag}
	ev.UserVariables = map[string]any{"invite_token": rawToken}
	return ev
}

// sign signs timestamp and token as Mailgun does, independently of model.
func sign(key, timestamp, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp + token))
	return hex.EncodeToString(m.Sum(nil))
}

// mailgunBody is a mailgun.WebhookPayload for ev signed with key at ts. It
// checks the signature with mailgun-go's VerifyWebhookSignature, and that
// mailgun-go reads the body back as the same event.
func mailgunBody(t *testing.T, key string, ts time.Time, token string, ev any) []byte {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	p := mailgun.WebhookPayload{
		Signature: mailgun.Signature{TimeStamp: stamp, Token: token, Signature: sign(key, stamp, token)},
		EventData: events.RawJSON(data),
	}
	mg := mailgun.NewMailgun("mg.hooklab.test", "api-key")
	mg.SetWebhookSigningKey(key)
	if ok, err := mg.VerifyWebhookSignature(p.Signature); !ok || err != nil {
		t.Fatalf("mailgun-go does not verify the test's signature: %v %v", ok, err)
	}
	// events.RawJSON has no MarshalJSON: encode the payload's fields with
	// the event data as raw JSON, as Mailgun sends it.
	body, err := json.Marshal(struct {
		Signature mailgun.Signature `json:"signature"`
		EventData json.RawMessage   `json:"event-data"`
	}{p.Signature, json.RawMessage(p.EventData)})
	if err != nil {
		t.Fatal(err)
	}
	var back mailgun.WebhookPayload
	if err := json.Unmarshal(body, &back); err != nil || back.Signature != p.Signature {
		t.Fatalf("mailgun-go reads the body back as %+v (%v)", back.Signature, err)
	}
	if _, isFailed := ev.(*events.Failed); isFailed {
		parsed, err := mailgun.ParseEvent(back.EventData)
		if err != nil {
			t.Fatalf("mailgun-go cannot parse the event: %v", err)
		}
		if f, ok := parsed.(*events.Failed); !ok || f.Recipient != ev.(*events.Failed).Recipient {
			t.Fatalf("mailgun-go parses the event as %T %+v", parsed, parsed)
		}
	}
	return body
}

// postWebhook posts a body to the receiver without session or CSRF token.
func (a *testApp) postWebhook(path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return a.serve(req)
}

func TestMailgunGitLabTestVectorIsAccepted(t *testing.T) {
	// GitLab's spec signs timestamp 1625056677 with the key abc123.
	const token, signature = "eb944d0ace7227667a1b97d2d07276ae51d2b849ed2cfa68f3", "9790cc6686eb70f0b1f869180d906870cdfd496d27fee81da0aa86b9e539e790"
	if got := sign("abc123", "1625056677", token); got != signature {
		t.Fatalf("the test's signer: got %s, want GitLab's %s", got, signature)
	}
	mg := mailgun.NewMailgun("mg.hooklab.test", "api-key")
	mg.SetWebhookSigningKey("abc123")
	if ok, _ := mg.VerifyWebhookSignature(mailgun.Signature{TimeStamp: "1625056677", Token: token, Signature: signature}); !ok {
		t.Fatal("mailgun-go rejects GitLab's vector")
	}
	c := &testClock{t: time.Unix(1625056677, 0).Add(time.Minute)}
	a := newTestAppAt(t, c.Now)
	setMailgun(t, a, true, "abc123")
	body := `{"signature":{"timestamp":"1625056677","token":"` + token + `","signature":"` + signature + `"},
		"event-data":{"event":"failed","severity":"permanent","tags":["invite_email"],"recipient":"alice@example.com",
		"reason":"suppress-bounce","delivery-status":{"attempt-no":1,"message":"","code":605,
		"description":"Not delivering to previously bounced address","session-seconds":0}}}`
	if rec := a.postWebhook(webhookPath, []byte(body)); rec.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", rec.Code)
	}
	setMailgun(t, a, true, "_foobar_")
	if rec := a.postWebhook(webhookPath, []byte(strings.Replace(body, token, token[:len(token)-1]+"0", 1))); rec.Code != http.StatusNotFound {
		t.Fatalf("wrong key: got %d, want 404", rec.Code)
	}
}

// Each answer of the receiver, in the order the checks are made.
func TestMailgunWebhookStatusCodes(t *testing.T) {
	a, c := mailgunApp(t)
	now := c.Now()
	ev := failedEvent(model.MailgunTemporary, "codes@example.com", now)
	valid := func(token string) []byte { return mailgunBody(t, mailgunKey, now, token, ev) }
	withSig := func(token, sig string, ts time.Time) []byte {
		data, _ := json.Marshal(ev)
		b, _ := json.Marshal(map[string]any{
			"signature":  mailgun.Signature{TimeStamp: strconv.FormatInt(ts.Unix(), 10), Token: token, Signature: sig},
			"event-data": json.RawMessage(data),
		})
		return b
	}
	stamp := strconv.FormatInt(now.Unix(), 10)
	blankKey := func(t *testing.T) {
		// Validation never stores an enabled integration without a key;
		// the receiver refuses one anyway (an older database, a hand edit).
		raw, err := sql.Open("sqlite3", "file:"+a.dbPath+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`UPDATE application_settings SET mailgun_signing_key = NULL, mailgun_events_enabled = TRUE`); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
		path  string
		body  []byte
		want  int
	}{
		{"disabled, even when signed", func(t *testing.T) { setMailgun(t, a, false, mailgunKey) }, webhookPath, valid("tok-disabled"), http.StatusNotAcceptable},
		{"disabled wins over a bad signature", nil, webhookPath, withSig("tok-x", "nope", now), http.StatusNotAcceptable},
		{"disabled on the old path", nil, oldWebhookPath, valid("tok-disabled-old"), http.StatusNotAcceptable},
		{"blank key", blankKey, webhookPath, valid("tok-blank-key"), http.StatusNotFound},
		{"enabled again", func(t *testing.T) { setMailgun(t, a, true, mailgunKey) }, webhookPath, valid("tok-1"), http.StatusOK},
		{"no body", nil, webhookPath, nil, http.StatusNotFound},
		{"not JSON", nil, webhookPath, []byte("timestamp=1&token=2&signature=3"), http.StatusNotFound},
		{"no signature object", nil, webhookPath, []byte(`{"event-data":{"event":"failed"}}`), http.StatusNotFound},
		{"missing signature", nil, webhookPath, withSig("tok-2", "", now), http.StatusNotFound},
		{"signed with another key", nil, webhookPath, withSig("tok-3", sign("other-key", stamp, "tok-3"), now), http.StatusNotFound},
		{"signature of another token", nil, webhookPath, withSig("tok-4", sign(mailgunKey, stamp, "tok-5"), now), http.StatusNotFound},
		{"upper-case signature", nil, webhookPath, withSig("tok-6", strings.ToUpper(sign(mailgunKey, stamp, "tok-6")), now), http.StatusNotFound},
		{"stale: 16 minutes old", nil, webhookPath, mailgunBody(t, mailgunKey, now.Add(-16*time.Minute), "tok-7", ev), http.StatusNotFound},
		{"16 minutes ahead", nil, webhookPath, mailgunBody(t, mailgunKey, now.Add(16*time.Minute), "tok-8", ev), http.StatusNotFound},
		{"14 minutes old", nil, webhookPath, mailgunBody(t, mailgunKey, now.Add(-14*time.Minute), "tok-9", ev), http.StatusOK},
		{"replayed", nil, webhookPath, valid("tok-1"), http.StatusNotFound},
		{"replayed on the old path", nil, oldWebhookPath, valid("tok-1"), http.StatusNotFound},
		{"accepted on the old path", nil, oldWebhookPath, valid("tok-10"), http.StatusOK},
		{"too large", nil, webhookPath, append(valid("tok-11"), bytes.Repeat([]byte(" "), 300<<10)...), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			rec := a.postWebhook(tc.path, tc.body)
			if rec.Code != tc.want {
				t.Fatalf("got %d, want %d", rec.Code, tc.want)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("got body %q, want none", rec.Body)
			}
			if c := rec.Header().Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("the receiver set cookies %q: it has no session", c)
			}
			if dep := rec.Header().Get("Deprecation"); (dep != "") != (tc.path == oldWebhookPath) {
				t.Errorf("got Deprecation %q on %s", dep, tc.path)
			}
		})
	}
	// Only the three accepted requests were stored: nothing refused was.
	_, total, err := a.store.MailgunFailures(t.Context(), db.MailgunFailureFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if err != nil || total != 3 {
		t.Errorf("got %d failures stored (%v), want 3", total, err)
	}
	if strings.Contains(a.logs.String(), mailgunKey) {
		t.Error("the signing key is in the log")
	}
}

func TestMailgunOldPathIsDeprecated(t *testing.T) {
	a, c := mailgunApp(t)
	rec := a.postWebhook(oldWebhookPath, mailgunBody(t, mailgunKey, c.Now(), "tok", failedEvent("permanent", "x@example.com", c.Now())))
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d", rec.Code)
	}
	if got := rec.Header().Get("Deprecation"); got != "@1653177600" {
		t.Errorf("got Deprecation %q, want GitLab 15.0's date", got)
	}
	if got := rec.Header().Get("Link"); got != `<http://hooklab.test/-/mailgun/webhooks>; rel="successor-version"` {
		t.Errorf("got Link %q", got)
	}
}

// A permanent failure of an invitation e-mail marks the invitation, and
// the members page shows it with the reason and a Resend button.
func TestMailgunPermanentFailureMarksInviteOnMembersPage(t *testing.T) {
	w := newMembersWorld(t)
	c := &testClock{t: time.Now().UTC()}
	setMailgun(t, w.a, true, mailgunKey)
	w.invite(t, model.SourceProject, w.api.ID, "gone@example.org", "raw-gone")
	w.invite(t, model.SourceGroup, w.platform.ID, "string-code@example.org", "raw-string")
	w.invite(t, model.SourceGroup, w.platform.ID, "fine@example.org", "raw-fine")

	rec := w.a.postWebhook(webhookPath, mailgunBody(t, mailgunKey, c.Now(), "tok-1", inviteFailed("permanent", "gone@example.org", "raw-gone", c.Now())))
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", rec.Code)
	}
	// Mailgun may send the code as a string; the old path works too.
	body := mailgunBody(t, mailgunKey, c.Now(), "tok-2", inviteFailed("permanent", "string-code@example.org", "raw-string", c.Now()))
	body = bytes.Replace(body, []byte(`"code":550`), []byte(`"code":"550"`), 1)
	if rec := w.a.postWebhook(oldWebhookPath, body); rec.Code != http.StatusOK {
		t.Fatalf("string code: got %d, want 200", rec.Code)
	}

	for _, tc := range []struct{ url, email string }{
		{w.projectMembersURL, "gone@example.org"},
		{w.groupMembersURL, "string-code@example.org"},
	} {
		d := doc(t, w.a.signedIn(w.owner).get(tc.url))
		row := d.Find(`[data-testid=invite-row][data-email="` + tc.email + `"]`)
		if got := row.Find(`[data-testid=invite-failed]`).Text(); got != "Invite email failed to send" {
			t.Errorf("%s: got note %q", tc.email, got)
		}
		if got := row.Find(`[data-testid=invite-failure]`).Text(); got != "550 5.1.1 The email account that you tried to reach does not exist" {
			t.Errorf("%s: got reason %q", tc.email, got)
		}
		if row.Find(`[data-testid=resend-invite]`).Length() != 1 {
			t.Errorf("%s: no Resend invite button", tc.email)
		}
	}
	d := doc(t, w.a.signedIn(w.owner).get(w.groupMembersURL))
	if d.Find(`[data-testid=invite-row][data-email="fine@example.org"] [data-testid=invite-failed]`).Length() != 0 {
		t.Error("the delivered invitation shows a failure")
	}
	if strings.Contains(w.a.logs.String(), "raw-gone") {
		t.Error("the invite token is in the log")
	}
}

// Temporary failures, failures without the tag and other events are
// answered 200; temporary ones are stored, but no invitation changes.
func TestMailgunOtherEventsLeaveInvitesAlone(t *testing.T) {
	w := newMembersWorld(t)
	c := &testClock{t: time.Now().UTC()}
	setMailgun(t, w.a, true, mailgunKey)
	w.invite(t, model.SourceGroup, w.platform.ID, "slow@example.org", "raw-slow")
	untagged := failedEvent("permanent", "slow@example.org", c.Now())
	untagged.UserVariables = map[string]any{"invite_token": "raw-slow"}
	delivered := &events.Delivered{Recipient: "slow@example.org", Tags: []string{model.InviteEmailTag}, UserVariables: map[string]any{"invite_token": "raw-slow"}}
	delivered.Name = events.EventDelivered

	for i, ev := range []any{
		inviteFailed("temporary", "slow@example.org", "raw-slow", c.Now()),
		untagged,
		delivered,
		map[string]any{"event": "failed", "severity": "permanent", "delivery-status": map[string]any{"code": map[string]int{"odd": 1}}},
	} {
		if rec := w.a.postWebhook(webhookPath, mailgunBody(t, mailgunKey, c.Now(), "tok-"+strconv.Itoa(i), ev)); rec.Code != http.StatusOK {
			t.Fatalf("event %d: got %d, want 200", i, rec.Code)
		}
	}
	inv, err := w.a.store.InviteByToken(t.Context(), "raw-slow")
	if err != nil || !inv.InviteEmailSuccess || inv.InviteFailure != "" {
		t.Fatalf("got %+v (%v), want the invitation untouched", inv, err)
	}
	list, total, _ := w.a.store.MailgunFailures(t.Context(), db.MailgunFailureFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if total != 2 || list[1].Severity != "temporary" || list[1].Recipient != "slow@example.org" {
		t.Errorf("got %d failures %+v, want the temporary and the untagged permanent one", total, list)
	}
	d := doc(t, w.a.signedIn(w.owner).get(w.groupMembersURL))
	if d.Find(`[data-testid=invite-failed]`).Length() != 0 {
		t.Error("the members page shows a failed invitation")
	}
}

func TestMailgunFailuresAdminPage(t *testing.T) {
	a, c := mailgunApp(t)
	root := dbtest.User(t, a.store, "root", true)
	n := 0
	post := func(severity, recipient string) {
		t.Helper()
		n++
		c.Add(time.Second)
		rec := a.postWebhook(webhookPath, mailgunBody(t, mailgunKey, c.Now(), "tok-"+strconv.Itoa(n), failedEvent(severity, recipient, c.Now())))
		if rec.Code != http.StatusOK {
			t.Fatalf("post: got %d", rec.Code)
		}
	}
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/mailgun/failures"))
	if d.Find("[data-testid=no-failures]").Length() != 1 || d.Find("[data-testid=no-failing-addresses]").Length() != 1 {
		t.Error("the empty page does not say so")
	}
	if !strings.Contains(d.Find("[data-testid=sidebar] a.active").Text(), "Mailgun failures") {
		t.Error("the sidebar does not mark Mailgun failures")
	}

	for i := 0; i < 6; i++ {
		post("permanent", "Gone@Example.com")
	}
	for i := 0; i < 20; i++ {
		post("temporary", fmt.Sprintf("busy%02d@example.org", i))
	}

	d = doc(t, b.get("/admin/mailgun/failures"))
	rows := d.Find("[data-testid=failure-row]")
	if rows.Length() != 20 {
		t.Fatalf("page 1: got %d rows, want 20", rows.Length())
	}
	first := rows.First()
	for sel, want := range map[string]string{
		"[data-testid=failure-recipient]": "busy19@example.org",
		"[data-testid=failure-severity]":  "temporary",
		"[data-testid=failure-reason]":    "bounce",
		"[data-testid=failure-code]":      "550",
		"[data-testid=failure-message]":   "5.1.1 The email account that you tried to reach does not exist",
		"[data-testid=failure-time]":      "Mar 1, 2026 10:00:26 UTC",
	} {
		if got := strings.TrimSpace(first.Find(sel).Text()); got != want {
			t.Errorf("newest row %s: got %q, want %q", sel, got, want)
		}
	}
	if got, want := first.AttrOr("title", ""), "Mailgun event ev-"; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "Message-ID 20260301100000.1.1@mg.hooklab.test") {
		t.Errorf("row title %q names neither the event nor the message", got)
	}
	next, _ := d.Find("[data-testid=next-page]").Attr("href")
	if next != "/admin/mailgun/failures?page=2" {
		t.Errorf("got next page link %q", next)
	}
	d = doc(t, b.get(next))
	if got := d.Find("[data-testid=failure-row]").Length(); got != 6 {
		t.Errorf("page 2: got %d rows, want 6", got)
	}

	for _, tc := range []struct {
		query string
		rows  int
		next  string
	}{
		{"severity=permanent", 6, ""},
		{"severity=temporary", 20, ""},
		{"recipient=gone%40EXAMPLE", 6, ""},
		{"recipient=busy0", 10, ""},
		{"severity=permanent&recipient=busy", 0, ""},
		{"severity=bogus", 20, "/admin/mailgun/failures?page=2&severity=bogus"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			d := doc(t, b.get("/admin/mailgun/failures?"+tc.query))
			if got := d.Find("[data-testid=failure-row]").Length(); got != tc.rows {
				t.Errorf("got %d rows, want %d", got, tc.rows)
			}
			if tc.rows == 0 && !strings.Contains(d.Find("[data-testid=no-failures]").Text(), "match the filter") {
				t.Error("no 'nothing matches' note")
			}
			q, _ := url.ParseQuery(tc.query)
			if v, _ := d.Find("[data-testid=filter-recipient]").Attr("value"); v != q.Get("recipient") {
				t.Errorf("recipient field shows %q", v)
			}
			if got, _ := d.Find("[data-testid=next-page]").Attr("href"); got != tc.next {
				t.Errorf("next link %q, want %q", got, tc.next)
			}
		})
	}

	// htmx polls the list part alone, keeping the filter.
	rec := b.getHTMX("/admin/mailgun/failures?severity=permanent")
	d = doc(t, rec)
	if d.Find("html > body > #mailgun-failures-content").Length() != 1 || d.Find("[data-testid=sidebar]").Length() != 0 {
		t.Errorf("the fragment is not the list alone: %.300s", rec.Body)
	}
	if got, _ := d.Find("#mailgun-failures-content").Attr("hx-get"); got != "/admin/mailgun/failures?severity=permanent" {
		t.Errorf("polls %q", got)
	}

	// Six permanent failures in a day: the address is failing, and listed.
	addr := d.Find(`[data-testid=failing-address-row]`)
	if addr.Length() != 1 || addr.AttrOr("data-address", "") != "gone@example.com" {
		t.Fatalf("failing addresses: %q", d.Find("[data-testid=failing-addresses]").Text())
	}
	if failing, _ := a.store.AddressFailing(t.Context(), "gone@example.com"); !failing {
		t.Fatal("the address is not failing")
	}
	action, _ := addr.Find("[data-testid=allow-address-form]").Attr("action")
	b.get("/admin/mailgun/failures")
	rec = b.postForm(action, url.Values{"_method": {"delete"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/mailgun/failures" {
		t.Fatalf("allow: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, b.get("/admin/mailgun/failures"))
	if got := flash(d, "notice"); got != "E-mail to gone@example.com is allowed again." {
		t.Errorf("got flash %q", got)
	}
	if d.Find(`[data-testid=failing-address-row]`).Length() != 0 {
		t.Error("the address is still listed")
	}
	if rec := b.postForm(action, url.Values{"_method": {"delete"}}); rec.Code != http.StatusNotFound {
		t.Errorf("allow again: got %d, want 404", rec.Code)
	}

	// Others get 404, and so does a signed-out visitor's post.
	u := dbtest.User(t, a.store, "alice", false)
	ub := a.signedIn(u)
	if rec := ub.get("/admin/mailgun/failures"); rec.Code != http.StatusNotFound {
		t.Errorf("non-admin: got %d", rec.Code)
	}
	ub.get("/")
	if rec := ub.postForm("/admin/mailgun/failing_addresses/1", url.Values{"_method": {"delete"}}); rec.Code != http.StatusNotFound {
		t.Errorf("non-admin allow: got %d", rec.Code)
	}
}

func TestMailgunPageWarnsWhenDisabled(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	d := doc(t, a.signedIn(root).get("/admin/mailgun/failures"))
	if !strings.Contains(d.Find("[data-testid=mailgun-disabled]").Text(), "not enabled") {
		t.Error("no note that Mailgun is disabled")
	}
}

func TestMailgunSettingsPage(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	b := a.signedIn(root)
	d := doc(t, b.get("/admin/application_settings/general"))
	sec := d.Find("[data-testid=settings-mailgun]")
	if sec.Length() != 1 || sec.Closest("form[data-testid=settings-form]").Length() != 1 {
		t.Fatal("no Mailgun section in the settings form")
	}
	if got := sec.Find("[data-testid=mailgun-webhook-url]").Text(); got != "http://hooklab.test/-/mailgun/webhooks" {
		t.Errorf("got webhook URL %q", got)
	}
	setup := strings.Join(strings.Fields(sec.Find("[data-testid=mailgun-setup]").Text()), " ")
	for _, want := range []string{"Permanent Failure", "Temporary Failure"} {
		if !strings.Contains(setup, want) {
			t.Errorf("help %q does not name %s", setup, want)
		}
	}
	if got := strings.TrimSpace(sec.Find("label[for=mailgun_events_enabled]").Text()); got != "Enable Mailgun" {
		t.Errorf("checkbox label %q", got)
	}
	if got := strings.TrimSpace(sec.Find("label[for=mailgun_signing_key]").Text()); got != "Mailgun HTTP webhook signing key" {
		t.Errorf("key label %q", got)
	}
	if sec.Find("[data-testid=mailgun-key-saved]").Length() != 0 {
		t.Error("says a key is saved when none is")
	}

	// The whole form as the browser posts it, with the Mailgun fields.
	form := func(enabled []string, key string) url.Values {
		f := url.Values{"_method": {"put"}, "mailgun_events_enabled": enabled, "mailgun_signing_key": {key}}
		d.Find("form[data-testid=settings-form] input[type=number]").Each(func(_ int, s *goquery.Selection) {
			f.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
		})
		return f
	}
	for _, tc := range []struct {
		name, key, want string
	}{
		{"enabling without a key", "", "Enter the Mailgun signing key to enable Mailgun, or untick Enable Mailgun."},
		{"enabling with a blank key", "   ", "Enter the Mailgun signing key to enable Mailgun, or untick Enable Mailgun."},
		{"a key too long", strings.Repeat("k", 256), "The Mailgun signing key is too long: use at most 255 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm("/admin/application_settings/general", form([]string{"0", "1"}, tc.key))
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			d := doc(t, rec)
			if got := fieldError(d, "mailgun_signing_key"); got != tc.want {
				t.Errorf("got %q beside the key, want %q", got, tc.want)
			}
			if _, checked := d.Find("#mailgun_events_enabled").Attr("checked"); !checked {
				t.Error("the ticked box is shown unticked")
			}
			if st, _ := a.store.Settings(t.Context()); st.MailgunEventsEnabled || st.MailgunSigningKey != "" {
				t.Errorf("saved: %+v", st)
			}
		})
	}

	rec := b.postForm("/admin/application_settings/general", form([]string{"0", "1"}, mailgunKey))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: got %d", rec.Code)
	}
	page := b.get("/admin/application_settings/general")
	d = doc(t, page)
	if got := flash(d, "notice"); got != "Application settings saved successfully" {
		t.Errorf("got flash %q", got)
	}
	if st, _ := a.store.Settings(t.Context()); !st.MailgunEventsEnabled || st.MailgunSigningKey != mailgunKey {
		t.Fatalf("not saved: enabled %v", st.MailgunEventsEnabled)
	}
	key := d.Find("#mailgun_signing_key")
	if v, _ := key.Attr("value"); v != "" || key.AttrOr("type", "") != "password" || key.AttrOr("placeholder", "") != "************" {
		t.Errorf("the key field: value %q, type %q, placeholder %q; want empty, password, the mask", v, key.AttrOr("type", ""), key.AttrOr("placeholder", ""))
	}
	if d.Find("[data-testid=mailgun-key-saved]").Length() != 1 {
		t.Error("no note that a key is saved")
	}
	if strings.Contains(page.Body.String(), mailgunKey) {
		t.Error("the key is in the page")
	}

	// A blank key field keeps the saved key; unticking disables.
	rec = b.postForm("/admin/application_settings/general", form([]string{"0"}, ""))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("untick: got %d %s", rec.Code, rec.Body)
	}
	if st, _ := a.store.Settings(t.Context()); st.MailgunEventsEnabled || st.MailgunSigningKey != mailgunKey {
		t.Errorf("got enabled %v, key kept %v", st.MailgunEventsEnabled, st.MailgunSigningKey == mailgunKey)
	}
	// Enabling again needs no key when one is saved.
	if rec := b.postForm("/admin/application_settings/general", form([]string{"0", "1"}, "")); rec.Code != http.StatusSeeOther {
		t.Fatalf("enable with the saved key: got %d", rec.Code)
	}

	// The key is sealed in the database file.
	a.store.Close()
	for _, f := range []string{a.dbPath, a.dbPath + "-wal"} {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(mailgunKey)) {
			t.Errorf("%s holds the key in clear", f)
		}
	}
	if strings.Contains(a.logs.String(), mailgunKey) {
		t.Error("the key is in the log")
	}
}

func TestMailgunSettingsAPI(t *testing.T) {
	a := newTestApp(t)
	root := dbtest.User(t, a.store, "root", true)
	tok := a.token(root)
	// GitLab's settings API answers validation errors with 400 (Grape's
	// render_validation_error!).
	rec := a.api(http.MethodPut, "/api/v4/application/settings", tok, map[string]any{"mailgun_events_enabled": true})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("enable without a key: got %d %s", rec.Code, rec.Body)
	}
	var verr struct {
		Message map[string][]string `json:"message"`
	}
	decode(t, rec, &verr)
	if got := verr.Message["mailgun_signing_key"]; len(got) != 1 || got[0] != "can't be blank" {
		t.Errorf("got %v", verr.Message)
	}
	rec = a.api(http.MethodPut, "/api/v4/application/settings", tok, map[string]any{"mailgun_events_enabled": true, "mailgun_signing_key": mailgunKey})
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), mailgunKey) {
		t.Fatalf("enable: got %d %s", rec.Code, rec.Body)
	}
	rec = a.api(http.MethodGet, "/api/v4/application/settings", tok, nil)
	var got map[string]any
	decode(t, rec, &got)
	if got["mailgun_events_enabled"] != true || got["mailgun_signing_key_set"] != true || strings.Contains(rec.Body.String(), mailgunKey) {
		t.Errorf("GET: %s", rec.Body)
	}
	if _, ok := got["mailgun_signing_key"]; ok {
		t.Error("GET returns a mailgun_signing_key field")
	}
}
