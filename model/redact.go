package model

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces a secret or personal value in a hook log.
const Redacted = "[REDACTED]"

// TokenHeader carries a hook's secret token.
const TokenHeader = "X-Gitlab-Token"

// DeliveryHeaderValues are the values of the headers every delivery
// carries; an empty Token sends no X-Gitlab-Token.
type DeliveryHeaderValues struct {
	UserAgent      string // GitLab/<version>
	IdempotencyKey string // fixed per event and hook
	Event          string // the trigger's X-Gitlab-Event
	WebhookUUID    string // fresh for every attempt
	Instance       string // the external URL
	Token          string // the hook's secret token
	EventUUID      string // shared by the event's hooks
}

// DeliveryHeaders is the one list of the headers Hooklab sets on every
// delivery, GitLab's, in the order they are set. They win over custom
// headers of the same name (X-Gitlab-Token only when the hook has a
// token).
func DeliveryHeaders(v DeliveryHeaderValues) [8][2]string {
	return [...][2]string{
		{"Content-Type", "application/json"},
		{"User-Agent", v.UserAgent},
		{"Idempotency-Key", v.IdempotencyKey},
		{"X-Gitlab-Event", v.Event},
		{"X-Gitlab-Webhook-UUID", v.WebhookUUID},
		{"X-Gitlab-Instance", v.Instance},
		{TokenHeader, v.Token},
		{"X-Gitlab-Event-UUID", v.EventUUID},
	}
}

// IsDeliveryHeader reports whether name (any case) is a delivery header.
func IsDeliveryHeader(name string) bool {
	for _, h := range DeliveryHeaders(DeliveryHeaderValues{}) {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

// RedactRequestHeaders returns the request headers as a hook log stores
// them: X-Gitlab-Token and every custom header value become
// [REDACTED]. A custom header that a delivery header overrode was not sent,
// so the delivery header's value shows. Names compare case-insensitively.
// headers is not modified.
func RedactRequestHeaders(headers map[string]string, customHeaderNames []string) map[string]string {
	out := make(map[string]string, len(headers))
	for name, value := range headers {
		switch {
		case strings.EqualFold(name, TokenHeader):
			value = Redacted
		case IsDeliveryHeader(name):
		case headerNameIn(customHeaderNames, name):
			value = Redacted
		}
		out[name] = value
	}
	return out
}

func headerNameIn(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// mailtoEmailPattern is Ruby's URI::MailTo::EMAIL_REGEXP, which GitLab's
// WebHookLog#redact_user_emails matches against every value.
var mailtoEmailPattern = regexp.MustCompile(`\A[a-zA-Z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\z`)

// IsEmail reports whether s as a whole looks like an e-mail address.
func IsEmail(s string) bool {
	return mailtoEmailPattern.MatchString(s)
}

// RedactEmails replaces, throughout a decoded JSON tree, every value that
// is an e-mail address as a whole with [REDACTED] — GitLab's
// WebHookLog#redact_user_emails, applied to the stored request body only
// (the receiver gets the real addresses). Keys and strings that merely
// contain an address ("John <john@example.com>") are kept. Objects and
// arrays are changed in place; the (possibly replaced) value is returned.
func RedactEmails(v any) any {
	switch x := v.(type) {
	case string:
		if IsEmail(x) {
			return Redacted
		}
	case *JSONObject:
		if x != nil {
			for _, k := range x.keys {
				x.values[k] = RedactEmails(x.values[k])
			}
		}
	case []any:
		for i, e := range x {
			x[i] = RedactEmails(e)
		}
	}
	return v
}

// RedactEmailsJSON returns a JSON body with every string value that is an
// e-mail address as a whole replaced by [REDACTED]; everything else is
// kept byte for byte. Invalid JSON is an error. It scans the bytes instead
// of decoding the tree — it runs once per published event on the hot
// path — and falls back to decoding for the rare value with escapes.
func RedactEmailsJSON(body []byte) ([]byte, error) {
	if !json.Valid(body) {
		_, err := DecodeJSON(body)
		return nil, err
	}
	if out, ok := redactEmailValues(body); ok {
		return out, nil
	}
	v, err := DecodeJSON(body)
	if err != nil {
		return nil, err
	}
	return EncodeJSON(RedactEmails(v))
}

// redactEmailValues is the scanning fast path of RedactEmailsJSON. It
// reports false when it cannot decide without decoding: a string value
// holding an escape and an '@'.
func redactEmailValues(body []byte) ([]byte, bool) {
	if bytes.IndexByte(body, '@') < 0 {
		return body, true
	}
	var out []byte // nil until the first change
	last := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		start := i
		escaped, at := false, false
		for i++; i < len(body) && body[i] != '"'; i++ {
			switch body[i] {
			case '\\':
				escaped = true
				i++
			case '@':
				at = true
			}
		}
		end := i // the closing quote
		if !at {
			continue
		}
		// A string followed by ':' is a key, which is never redacted.
		j := end + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == ':' {
			continue
		}
		if escaped {
			return nil, false
		}
		if !IsEmail(string(body[start+1 : end])) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(body))
		}
		out = append(out, body[last:start]...)
		out = append(out, `"`+Redacted+`"`...)
		last = end + 1
	}
	if out == nil {
		return body, true
	}
	return append(out, body[last:]...), true
}

// MaskResponseHeaders returns response headers with every URL-variable
// value found in a header value replaced by {name} (GitLab's
// WebHooks::LogExecutionService#mask_response_headers), so a receiver that
// echoes the URL cannot leak the secret into the log. Longer values are
// masked first so that a value containing another is masked whole; when
// two variables share a value the first name in sort order is shown.
// headers is not modified.
func MaskResponseHeaders(headers map[string]string, urlVariables map[string]string) map[string]string {
	out := make(map[string]string, len(headers))
	byValue := make(map[string]string, len(urlVariables))
	for name, value := range urlVariables {
		if value == "" {
			continue
		}
		if prev, ok := byValue[value]; !ok || name < prev {
			byValue[value] = name
		}
	}
	values := make([]string, 0, len(byValue))
	for v := range byValue {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool {
		if len(values[i]) != len(values[j]) {
			return len(values[i]) > len(values[j])
		}
		return values[i] < values[j]
	})
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, "{"+byValue[v]+"}")
	}
	replacer := strings.NewReplacer(pairs...)
	for name, value := range headers {
		if len(pairs) > 0 {
			value = replacer.Replace(value)
		}
		out[name] = value
	}
	return out
}

// maskedUserinfo is GitLab's Gitlab::UrlSanitizer::MASKED_USERINFO_REGEX
// after "//" and before "@": RFC 3986 userinfo characters (unreserved,
// sub-delims, ":" and %-escapes) plus { and }, so a masked URL's
// {placeholders} count as userinfo too. It masks URLs inside the URL (a
// query's "?next=https://u:p@host"); the URL's own userinfo is found as
// url.Parse finds it (userinfoSpan), which also covers an "@" inside it.
var maskedUserinfo = regexp.MustCompile(`//(?:[-_.!~*'()a-zA-Z\d;:&=+$,{}]|%[a-fA-F\d]{2})*@`)

// MaskURLUserinfo hides credentials in a hook URL for logs and display:
// "https://user:pass@host/" → "https://*****:*****@host/". Like GitLab's
// UrlSanitizer.sanitize_masked_url it masks user and password alike and
// works on the stored URL, placeholders included.
func MaskURLUserinfo(url string) string {
	if !strings.Contains(url, "@") {
		return url
	}
	if start, end, ok := userinfoSpan(url); ok {
		url = url[:start] + "*****:*****" + url[end:]
	}
	return maskedUserinfo.ReplaceAllLiteralString(url, "//*****:*****@")
}
