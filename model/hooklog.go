package model

import (
	"encoding/json"
	"strconv"
	"time"
)

// InternalErrorStatus is the response status of an attempt that got no
// HTTP response (connection refused, timeout, blocked address, template
// error), as GitLab's recent events show it.
const InternalErrorStatus = "internal error"

// Header is one HTTP header of a log row, in the order it was sent or
// received.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HookLog is one delivery attempt ("recent event").
type HookLog struct {
	ID      int64
	HookID  int64
	EventID *int64
	// Trigger is the internal scope name, e.g. "push_hooks".
	Trigger string
	// URL is the hook URL as shown: placeholders kept, credentials masked.
	URL string
	// URLHash is the salted SHA-256 of the interpolated URL; Resend refuses
	// when the hook's current hash differs.
	URLHash        string
	RequestHeaders []Header
	// RequestData is the body sent, with e-mail values redacted. Stored nil
	// means the event's payload was sent unchanged; reading the row fills
	// in its redacted form.
	RequestData []byte
	// ResponseStatus is the status code, or InternalErrorStatus.
	ResponseStatus       string
	ResponseHeaders      []Header
	ResponseBody         []byte
	ExecutionDuration    float64 // seconds
	InternalErrorMessage string
	IdempotencyKey       string
	CreatedAt            time.Time
}

// StatusCode returns the HTTP status, or 0 for an internal error.
func (l *HookLog) StatusCode() int {
	n, _ := strconv.Atoi(l.ResponseStatus)
	return n
}

// Success reports whether the receiver answered 2xx or 3xx.
func (l *HookLog) Success() bool {
	c := l.StatusCode()
	return c >= 200 && c < 400
}

// InternalError reports whether the attempt got no HTTP response.
func (l *HookLog) InternalError() bool { return l.ResponseStatus == InternalErrorStatus }

// RequestHeadersJSON is the stored form of the request headers.
func (l *HookLog) RequestHeadersJSON() string { return headersJSON(l.RequestHeaders) }

// ResponseHeadersJSON is the stored form of the response headers.
func (l *HookLog) ResponseHeadersJSON() string { return headersJSON(l.ResponseHeaders) }

func headersJSON(h []Header) string {
	if h == nil {
		h = []Header{}
	}
	b, _ := json.Marshal(h)
	return string(b)
}

// ParseHeaders reads the stored form of headers.
func ParseHeaders(s string) []Header {
	var h []Header
	_ = json.Unmarshal([]byte(s), &h)
	return h
}

// StatusClass is a recent-events filter: success, client_error,
// server_error or internal_error.
func (l *HookLog) StatusClass() string {
	c := l.StatusCode()
	switch {
	case l.InternalError():
		return "internal_error"
	case c >= 200 && c < 300:
		return "success"
	case c >= 400 && c < 500:
		return "client_error"
	case c >= 500:
		return "server_error"
	}
	return "other"
}
