package model

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Mailgun's failure webhooks. Mailgun signs each request with
// the account's HTTP webhook signing key: signature = lowercase hex of
// HMAC-SHA256(key, timestamp + token). GitLab checks only that; Hooklab also
// refuses timestamps outside MailgunMaxAge and tokens it has seen before,
// so that a captured request cannot be replayed.

// MailgunWebhookPath is where Mailgun posts failure events; the old
// permanent-failure path is still accepted but deprecated.
const (
	MailgunWebhookPath           = "/-/mailgun/webhooks"
	MailgunDeprecatedWebhookPath = "/-/members/mailgun/permanent_failures"
)

// MailgunMaxAge is how far a webhook's timestamp may be from now.
const MailgunMaxAge = 15 * time.Minute

// Failure severities of Mailgun's "failed" event.
const (
	MailgunPermanent = "permanent"
	MailgunTemporary = "temporary"
)

// Daily failure limits per recipient (GitLab's temporary_email_failure and
// permanent_email_failure rate limits): more failures than this in one day
// mark the address as failing, and notification e-mail to it stops.
const (
	MailgunTemporaryFailureLimit = 300
	MailgunPermanentFailureLimit = 5
)

// MailgunFailureRetention is how long received failures are kept.
const MailgunFailureRetention = 90 * 24 * time.Hour

// ErrMailgunReplay says a webhook's token was already used.
var ErrMailgunReplay = errors.New("mailgun webhook token already used")

// MailgunSignature is the "signature" object of a webhook body.
type MailgunSignature struct {
	Timestamp flexString `json:"timestamp"`
	Token     string     `json:"token"`
	Signature string     `json:"signature"`
}

// MailgunWebhook is the JSON body Mailgun posts.
type MailgunWebhook struct {
	Signature MailgunSignature `json:"signature"`
	EventData json.RawMessage  `json:"event-data"`
}

// MailgunEvent is the part of "event-data" Hooklab reads.
type MailgunEvent struct {
	Event          string                `json:"event"`
	ID             string                `json:"id"`
	Timestamp      float64               `json:"timestamp"`
	Severity       string                `json:"severity"`
	Recipient      string                `json:"recipient"`
	Reason         string                `json:"reason"`
	Tags           []string              `json:"tags"`
	UserVariables  json.RawMessage       `json:"user-variables"`
	DeliveryStatus MailgunDeliveryStatus `json:"delivery-status"`
	Message        struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
}

// MailgunDeliveryStatus is the receiving server's answer.
type MailgunDeliveryStatus struct {
	Code        flexString `json:"code"` // an SMTP code, sent as a number or a string
	Message     string     `json:"message"`
	Description string     `json:"description"`
}

// flexString reads a JSON string or number as text (null as "").
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return errors.New("must be a string or a number")
		}
		*f = flexString(n.String())
	}
	return nil
}

// ParseMailgunWebhook reads a webhook body. Only the envelope is decoded
// here: the event is read after the signature has been checked.
func ParseMailgunWebhook(body []byte) (MailgunWebhook, error) {
	var w MailgunWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return MailgunWebhook{}, BadRequest("malformed Mailgun webhook: %v", err)
	}
	return w, nil
}

// Event decodes the event data.
func (w MailgunWebhook) Event() (MailgunEvent, error) {
	var e MailgunEvent
	if len(w.EventData) == 0 {
		return e, BadRequest("Mailgun webhook without event-data")
	}
	if err := json.Unmarshal(w.EventData, &e); err != nil {
		return MailgunEvent{}, BadRequest("malformed Mailgun event: %v", err)
	}
	return e, nil
}

// SignMailgun computes Mailgun's signature of timestamp and token.
func SignMailgun(key, timestamp, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether the signature was made with key. A blank key or a
// missing part never verifies; the comparison takes constant time.
func (s MailgunSignature) Verify(key string) bool {
	if strings.TrimSpace(key) == "" || s.Timestamp == "" || s.Token == "" || s.Signature == "" {
		return false
	}
	want := SignMailgun(key, string(s.Timestamp), s.Token)
	return subtle.ConstantTimeCompare([]byte(want), []byte(s.Signature)) == 1
}

// Time is the signature's timestamp (Unix seconds, possibly fractional).
func (s MailgunSignature) Time() (time.Time, bool) {
	f, err := strconv.ParseFloat(string(s.Timestamp), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// Fresh reports whether the timestamp lies within MailgunMaxAge of now
// (either side: a clock ahead of ours is tolerated by as much).
func (s MailgunSignature) Fresh(now time.Time) bool {
	t, ok := s.Time()
	if !ok {
		return false
	}
	d := now.Sub(t)
	return d <= MailgunMaxAge && d >= -MailgunMaxAge
}

// SeenUntil is how long the token must be remembered: after that its
// timestamp is stale and the request is refused anyway.
func (s MailgunSignature) SeenUntil() time.Time {
	t, _ := s.Time()
	return t.Add(MailgunMaxAge + time.Minute)
}

// IsFailure reports whether the event is a delivery failure Hooklab records.
func (e MailgunEvent) IsFailure() bool {
	return e.Event == "failed" && (e.Severity == MailgunPermanent || e.Severity == MailgunTemporary)
}

// InviteToken is the raw invite token of a permanently failed invitation
// e-mail (tagged invite_email, with user-variables.invite_token), as
// GitLab's Members::Mailgun processor reads it.
func (e MailgunEvent) InviteToken() (string, bool) {
	if e.Event != "failed" || e.Severity != MailgunPermanent || !slices.Contains(e.Tags, InviteEmailTag) {
		return "", false
	}
	var vars map[string]any
	if json.Unmarshal(e.UserVariables, &vars) != nil {
		return "", false
	}
	tok, _ := vars["invite_token"].(string)
	return tok, tok != ""
}

// MailgunFailure is one recorded delivery failure.
type MailgunFailure struct {
	ID          int64     `db:"id"`
	Recipient   string    `db:"recipient"`
	Severity    string    `db:"severity"`
	Reason      string    `db:"reason"`
	Code        string    `db:"code"`
	Message     string    `db:"message"`
	Description string    `db:"description"`
	EventID     string    `db:"event_id"`
	MessageID   string    `db:"message_id"`
	OccurredAt  time.Time `db:"occurred_at"` // Mailgun's event time
	ReceivedAt  time.Time `db:"received_at"`
}

// Failure is the record of a failure event received at now; the event's
// own time is used when it has a sane one. Fields are bounded, so a
// signed but oversized event cannot fill the database.
func (e MailgunEvent) Failure(now time.Time) MailgunFailure {
	occurred := now
	if e.Timestamp > 0 && e.Timestamp < 1e11 {
		sec, frac := math.Modf(e.Timestamp)
		occurred = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return MailgunFailure{
		Recipient:   truncate(strings.TrimSpace(e.Recipient), 255),
		Severity:    e.Severity,
		Reason:      truncate(e.Reason, 255),
		Code:        truncate(string(e.DeliveryStatus.Code), 32),
		Message:     truncate(e.DeliveryStatus.Message, 2000),
		Description: truncate(e.DeliveryStatus.Description, 2000),
		EventID:     truncate(e.ID, 255),
		MessageID:   truncate(e.Message.Headers.MessageID, 255),
		OccurredAt:  occurred,
		ReceivedAt:  now,
	}
}

// Detail is the receiving server's words: the message, else the description.
func (f MailgunFailure) Detail() string {
	if m := strings.TrimSpace(f.Message); m != "" {
		return m
	}
	return strings.TrimSpace(f.Description)
}

// InviteReason is the reason shown beside a failed invitation: the SMTP
// code and what the receiving server said, else Mailgun's reason.
func (f MailgunFailure) InviteReason() string {
	var parts []string
	if f.Code != "" {
		parts = append(parts, f.Code)
	}
	if d := f.Detail(); d != "" {
		parts = append(parts, d)
	}
	if len(parts) == 0 && f.Reason != "" {
		parts = append(parts, f.Reason)
	}
	if len(parts) == 0 {
		return "Permanent delivery failure"
	}
	return truncate(strings.Join(parts, " "), 255)
}

// MailgunFailing reports whether one day's failure counts mark an address
// as failing.
func MailgunFailing(temporary, permanent int) bool {
	return temporary > MailgunTemporaryFailureLimit || permanent > MailgunPermanentFailureLimit
}

// FailingAddress is an address that failed too often; notification e-mail
// to it is skipped until an admin allows it again.
type FailingAddress struct {
	ID        int64     `db:"id"`
	Address   string    `db:"address"`
	Day       string    `db:"day"` // the UTC day whose counts passed a limit
	Temporary int       `db:"temporary"`
	Permanent int       `db:"permanent"`
	MarkedAt  time.Time `db:"marked_at"`
}

// NormalizeAddress is the key of an address in counters and lists.
func NormalizeAddress(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// ValidMailgunSeverity reports whether s is a severity filter ("" for all).
func ValidMailgunSeverity(s string) bool {
	return s == "" || s == MailgunPermanent || s == MailgunTemporary
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
