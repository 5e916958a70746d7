package delivery

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/model"
)

// InternalError is a log row's response status when no HTTP response was
// received (GitLab's WebHookService::InternalErrorResponse::ERROR_MESSAGE).
const InternalError = "internal error"

// Request and response limits (GitLab's WebHookService constants).
const (
	MaxRequestBody         = model.MaxRequestBody
	MaxResponseBody        = 8 << 10
	MaxResponseHeaders     = 50
	MaxResponseHeaderValue = 1 << 10
)

// Kinds of failure an Attempt's Err matches with errors.Is, besides
// model.ErrBlocked (outbound policy; errors.As gives the
// *model.BlockedError), model.ErrInvalid (custom template or URL template)
// and context.Canceled / context.DeadlineExceeded of the caller's ctx (see
// Attempt.Aborted).
var (
	ErrTimeout  = errors.New("webhook request timed out")
	ErrTooLarge = errors.New("webhook request body too large")
	ErrRequest  = errors.New("webhook request failed")
)

// Attempt is the record of one delivery attempt: everything a hook log row
// holds, already redacted, so the engine stores it as it is.
type Attempt struct {
	// Trigger is the trigger's scope, e.g. "push_hooks".
	Trigger string
	// URL is the hook's stored URL (placeholders kept) with any userinfo
	// masked as *****:*****.
	URL string
	// URLHash is URLHash(key, interpolated URL): Resend compares it with
	// the hook's current one. Empty when the URL could not be interpolated.
	URLHash string
	// RequestHeaders are the headers sent, with X-Gitlab-Token and every
	// custom header value [REDACTED].
	RequestHeaders map[string]string
	// RequestData is the JSON body sent, with e-mail-looking values
	// [REDACTED]. It is {} when a template failed to render and
	// {"oversize":true} for a body over MaxRequestBody, as in GitLab. It is
	// nil when the body was a stored event's payload sent as is and no
	// redacted form was prepared: LogRow derives it.
	RequestData []byte
	// sentStored says the body was a stored event's payload as is.
	sentStored bool
	// StatusCode is the receiver's HTTP status, 0 when there was no
	// response (an internal error).
	StatusCode int
	// ResponseHeaders: at most MaxResponseHeaders (by name), each value at
	// most MaxResponseHeaderValue bytes, URL-variable values shown as {name}.
	ResponseHeaders map[string]string
	// ResponseBody is the first MaxResponseBody bytes of the response body
	// as UTF-8.
	ResponseBody string
	// ExecutionDuration runs from the start of Send to the end of reading
	// the response.
	ExecutionDuration time.Duration
	// InternalErrorMessage says why there was no response; it names no
	// secret (URL-variable values in it are shown as {name}).
	InternalErrorMessage string
	// Err is nil when the receiver answered; else its message is
	// InternalErrorMessage and it matches one of the kinds above.
	Err error
}

// ResponseStatus is the log row's response_status: the status code as a
// string, or "internal error".
func (a Attempt) ResponseStatus() string {
	if a.StatusCode == 0 {
		return InternalError
	}
	return strconv.Itoa(a.StatusCode)
}

// Success reports whether the attempt counts as a success for
// auto-disabling: a 2xx or 3xx response.
func (a Attempt) Success() bool {
	return a.StatusCode >= 200 && a.StatusCode < 400
}

// Aborted reports whether the caller's ctx ended before the outcome was
// known (shutdown): such an attempt is not a receiver failure, should not
// be recorded, and the delivery should be sent again later.
func (a Attempt) Aborted() bool {
	return errors.Is(a.Err, context.Canceled) || errors.Is(a.Err, context.DeadlineExceeded)
}

// attemptError is an Attempt's Err: a message fit for the log, and the
// kind to classify it by. The underlying error is not kept, because its
// text may quote the destination (which can hold URL-variable secrets).
type attemptError struct {
	msg  string
	kind error
}

func (e *attemptError) Error() string { return e.msg }
func (e *attemptError) Unwrap() error { return e.kind }

// truncateBytes cuts s to at most limit bytes the way ActiveSupport's
// String#truncate_bytes does, which GitLab uses for response bodies and
// headers: a cut string ends in "…" and never splits a UTF-8 sequence.
// (Rails also avoids splitting grapheme clusters; a combining mark may be
// cut off here.)
func truncateBytes(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const omission = "…"
	cut := limit - len(omission)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + omission
}

// validUTF8 replaces invalid byte sequences with U+FFFD, so what is logged
// and shown is text (GitLab's EncodingHelper#encode_utf8).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// logResponseHeaders applies GitLab's safe_response_headers: one entry per
// header name with its values joined by ", ", the first MaxResponseHeaders
// names (Go does not keep the order they arrived in, so by name), each
// value truncated, and URL-variable values masked.
func logResponseHeaders(h http.Header, urlVariables map[string]string) map[string]string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > MaxResponseHeaders {
		names = names[:MaxResponseHeaders]
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		values := h[name]
		v := ""
		if len(values) == 1 {
			v = values[0]
		} else {
			v = strings.Join(values, ", ")
		}
		out[validUTF8(name)] = truncateBytes(validUTF8(v), MaxResponseHeaderValue)
	}
	if len(urlVariables) > 0 {
		out = model.MaskResponseHeaders(out, urlVariables)
	}
	return out
}

// maskSecrets shows URL-variable values in a message as {name}, as
// model.MaskResponseHeaders does for response headers.
func maskSecrets(msg string, urlVariables map[string]string) string {
	if len(urlVariables) == 0 {
		return msg
	}
	return model.MaskResponseHeaders(map[string]string{"": msg}, urlVariables)[""]
}
