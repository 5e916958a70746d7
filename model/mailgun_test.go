package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/model"
)

// GitLab's spec (spec/requests/members/mailgun/permanent_failure_spec.rb)
// signs its request with the key abc123.
const (
	vectorKey       = "abc123"
	vectorTimestamp = "1625056677"
	vectorToken     = "eb944d0ace7227667a1b97d2d07276ae51d2b849ed2cfa68f3"
	vectorSignature = "9790cc6686eb70f0b1f869180d906870cdfd496d27fee81da0aa86b9e539e790"
)

func vectorBody(sig string) string {
	return `{"signature":{"timestamp":"` + vectorTimestamp + `","token":"` + vectorToken + `","signature":"` + sig + `"},
		"event-data":{"event":"failed","severity":"permanent"}}`
}

func TestMailgunSignatureVector(t *testing.T) {
	if got := model.SignMailgun(vectorKey, vectorTimestamp, vectorToken); got != vectorSignature {
		t.Fatalf("got %s, want %s", got, vectorSignature)
	}
	for _, tc := range []struct {
		name, key, sig string
		want           bool
	}{
		{"GitLab's vector", vectorKey, vectorSignature, true},
		{"wrong key", "_foobar_", vectorSignature, false},
		{"blank key", "", vectorSignature, false},
		{"blank key of spaces", "   ", vectorSignature, false},
		{"missing signature", vectorKey, "", false},
		{"upper-case hex", vectorKey, strings.ToUpper(vectorSignature), false},
		{"truncated", vectorKey, vectorSignature[:63], false},
		{"one digit changed", vectorKey, vectorSignature[:63] + "1", false},
		{"not hex", vectorKey, strings.Repeat("z", 64), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := model.ParseMailgunWebhook([]byte(vectorBody(tc.sig)))
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Signature.Verify(tc.key); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("missing token or timestamp", func(t *testing.T) {
		for _, body := range []string{
			`{"signature":{"timestamp":"` + vectorTimestamp + `","signature":"` + vectorSignature + `"}}`,
			`{"signature":{"token":"` + vectorToken + `","signature":"` + vectorSignature + `"}}`,
			`{"event-data":{}}`,
		} {
			w, err := model.ParseMailgunWebhook([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if w.Signature.Verify(vectorKey) {
				t.Errorf("%s verified", body)
			}
		}
	})
	t.Run("numeric timestamp", func(t *testing.T) {
		body := `{"signature":{"timestamp":` + vectorTimestamp + `,"token":"` + vectorToken + `","signature":"` + vectorSignature + `"}}`
		w, err := model.ParseMailgunWebhook([]byte(body))
		if err != nil || !w.Signature.Verify(vectorKey) {
			t.Errorf("got %v, %v; want the number read as its text", w.Signature.Verify(vectorKey), err)
		}
	})
}

func TestMailgunSignatureFreshness(t *testing.T) {
	ts := time.Unix(1625056677, 0).UTC()
	w, _ := model.ParseMailgunWebhook([]byte(vectorBody(vectorSignature)))
	sig := w.Signature
	for _, tc := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"same second", ts, true},
		{"15 minutes later", ts.Add(15 * time.Minute), true},
		{"15 minutes and a second later", ts.Add(15*time.Minute + time.Second), false},
		{"a day later", ts.Add(24 * time.Hour), false},
		{"15 minutes earlier (clock skew)", ts.Add(-15 * time.Minute), true},
		{"16 minutes earlier", ts.Add(-16 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sig.Fresh(tc.now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got, want := sig.SeenUntil(), ts.Add(16*time.Minute); !got.Equal(want) {
		t.Errorf("seen until %v, want %v", got, want)
	}
	for _, bad := range []string{"", "soon", "-5", "1e300", "NaN"} {
		w, _ := model.ParseMailgunWebhook([]byte(`{"signature":{"timestamp":"` + bad + `"}}`))
		if w.Signature.Fresh(ts) {
			t.Errorf("timestamp %q is fresh", bad)
		}
	}
}

func TestMailgunEventReading(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	event := func(t *testing.T, data string) model.MailgunEvent {
		t.Helper()
		w, err := model.ParseMailgunWebhook([]byte(`{"event-data":` + data + `}`))
		if err != nil {
			t.Fatal(err)
		}
		e, err := w.Event()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	t.Run("code as an integer or a string", func(t *testing.T) {
		for _, code := range []string{`550`, `"550"`} {
			e := event(t, `{"event":"failed","severity":"permanent","delivery-status":{"code":`+code+`}}`)
			if got := e.Failure(now).Code; got != "550" {
				t.Errorf("code %s: got %q, want 550", code, got)
			}
		}
		e := event(t, `{"event":"failed","severity":"temporary","delivery-status":{"code":null}}`)
		if got := e.Failure(now).Code; got != "" {
			t.Errorf("null code: got %q", got)
		}
		w, _ := model.ParseMailgunWebhook([]byte(`{"event-data":{"delivery-status":{"code":{"x":1}}}}`))
		if _, err := w.Event(); err == nil {
			t.Error("an object as code was read")
		}
	})
	t.Run("the failure record", func(t *testing.T) {
		e := event(t, `{"event":"failed","severity":"permanent","recipient":" Alice@Example.com ","reason":"bounce","id":"ev-1",
			"timestamp":1521233195.375624,"message":{"headers":{"message-id":"m-1@mg.example.com"}},
			"delivery-status":{"code":550,"message":"5.1.1 mailbox does not exist","description":"Not delivering"}}`)
		f := e.Failure(now)
		want := model.MailgunFailure{
			Recipient: "Alice@Example.com", Severity: "permanent", Reason: "bounce", Code: "550",
			Message: "5.1.1 mailbox does not exist", Description: "Not delivering", EventID: "ev-1",
			MessageID: "m-1@mg.example.com", OccurredAt: time.Unix(1521233195, 375624000).UTC(), ReceivedAt: now,
		}
		f.OccurredAt = f.OccurredAt.Round(time.Microsecond)
		if f != want {
			t.Errorf("got  %+v\nwant %+v", f, want)
		}
		if got := f.InviteReason(); got != "550 5.1.1 mailbox does not exist" {
			t.Errorf("invite reason %q", got)
		}
		if got := model.NormalizeAddress(f.Recipient); got != "alice@example.com" {
			t.Errorf("address %q", got)
		}
	})
	t.Run("invite reasons", func(t *testing.T) {
		for _, tc := range []struct {
			f    model.MailgunFailure
			want string
		}{
			{model.MailgunFailure{Code: "605", Description: "Not delivering to previously bounced address", Reason: "suppress-bounce"}, "605 Not delivering to previously bounced address"},
			{model.MailgunFailure{Reason: "suppress-bounce"}, "suppress-bounce"},
			{model.MailgunFailure{}, "Permanent delivery failure"},
			{model.MailgunFailure{Message: strings.Repeat("é", 300)}, strings.Repeat("é", 127)},
		} {
			if got := tc.f.InviteReason(); got != tc.want {
				t.Errorf("%+v: got %q, want %q", tc.f, got, tc.want)
			}
		}
	})
	t.Run("what counts", func(t *testing.T) {
		for _, tc := range []struct {
			data    string
			failure bool
			token   string
		}{
			{`{"event":"failed","severity":"permanent","tags":["invite_email"],"user-variables":{"invite_token":"tok"}}`, true, "tok"},
			{`{"event":"failed","severity":"temporary","tags":["invite_email"],"user-variables":{"invite_token":"tok"}}`, true, ""},
			{`{"event":"failed","severity":"permanent","tags":["other"],"user-variables":{"invite_token":"tok"}}`, true, ""},
			{`{"event":"failed","severity":"permanent","tags":["invite_email"]}`, true, ""},
			{`{"event":"failed","severity":"permanent","tags":["invite_email"],"user-variables":{"invite_token":42}}`, true, ""},
			{`{"event":"failed","severity":"permanent","tags":["invite_email"],"user-variables":"x"}`, true, ""},
			{`{"event":"delivered","tags":["invite_email"],"user-variables":{"invite_token":"tok"}}`, false, ""},
			{`{"event":"failed","severity":"other"}`, false, ""},
		} {
			e := event(t, tc.data)
			if got := e.IsFailure(); got != tc.failure {
				t.Errorf("%s: failure %v, want %v", tc.data, got, tc.failure)
			}
			tok, ok := e.InviteToken()
			if tok != tc.token || ok != (tc.token != "") {
				t.Errorf("%s: token %q %v, want %q", tc.data, tok, ok, tc.token)
			}
		}
	})
}

func TestMailgunFailingLimits(t *testing.T) {
	for _, tc := range []struct {
		temporary, permanent int
		want                 bool
	}{
		{0, 0, false}, {300, 0, false}, {301, 0, true}, {0, 5, false}, {0, 6, true}, {300, 5, false},
	} {
		if got := model.MailgunFailing(tc.temporary, tc.permanent); got != tc.want {
			t.Errorf("%d temporary, %d permanent: got %v, want %v", tc.temporary, tc.permanent, got, tc.want)
		}
	}
}
