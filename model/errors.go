// Package model holds Hooklab's domain types and pure rules. It does no I/O
// and imports only the standard library.
package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error kinds. Every error the store, the delivery engine or a rule returns
// that a user should see is classified by wrapping one of these; the web
// layer maps a kind to an HTTP status with errors.Is, never by message text.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrBadRequest   = errors.New("bad request")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrRateLimited  = errors.New("rate limited")
	ErrTooLarge     = errors.New("too large")
)

// Error is a classified error with a message fit to show a user.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// NotFound says that a thing does not exist or is not visible to the user.
// The message follows GitLab's API: "404 Project Not Found".
func NotFound(what string) error {
	return &Error{Kind: ErrNotFound, Message: "404 " + what + " Not Found"}
}

// Conflict says the request clashes with stored state (a taken path, ...).
func Conflict(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// BadRequest says a parameter is missing or malformed.
func BadRequest(format string, args ...any) error {
	return &Error{Kind: ErrBadRequest, Message: fmt.Sprintf(format, args...)}
}

// Forbidden says the user may see the thing but not do this to it.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Message: fmt.Sprintf(format, args...)}
}

// RateLimited says the caller must wait before trying again.
func RateLimited(format string, args ...any) error {
	return &Error{Kind: ErrRateLimited, Message: fmt.Sprintf(format, args...)}
}

// Unprocessable says the request was understood but refused by a rule whose
// message is the whole answer (GitLab's 422 {"message": "..."}).
func Unprocessable(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

// FieldError is one failed rule on one field.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError collects failed rules per field, in the order they were
// found, so a form can show each message beside its field and the API can
// answer GitLab's {"message": {"field": ["..."]}}.
type ValidationError struct {
	Errors []FieldError
}

func (v *ValidationError) Error() string {
	parts := make([]string, 0, len(v.Errors))
	for _, e := range v.Errors {
		parts = append(parts, FullMessage(e.Field, e.Message))
	}
	return strings.Join(parts, ", ")
}

func (v *ValidationError) Unwrap() error { return ErrInvalid }

// Add records a failed rule.
func (v *ValidationError) Add(field, message string) {
	v.Errors = append(v.Errors, FieldError{Field: field, Message: message})
}

// Empty reports whether no rule failed.
func (v *ValidationError) Empty() bool { return v == nil || len(v.Errors) == 0 }

// Err returns v as an error, or nil when nothing failed.
func (v *ValidationError) Err() error {
	if v.Empty() {
		return nil
	}
	return v
}

// For returns the messages recorded for one field.
func (v *ValidationError) For(field string) []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, e := range v.Errors {
		if e.Field == field {
			out = append(out, e.Message)
		}
	}
	return out
}

// Map returns the messages grouped by field.
func (v *ValidationError) Map() map[string][]string {
	m := make(map[string][]string)
	for _, e := range v.Errors {
		m[e.Field] = append(m[e.Field], e.Message)
	}
	return m
}

// Fields returns the names of the fields with errors, sorted.
func (v *ValidationError) Fields() []string {
	m := v.Map()
	out := make([]string, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// FullMessage joins a field name and its message the way GitLab's
// full_messages do: "Url is blocked: ...". A message that starts with an
// upper-case letter is a whole sentence and stands alone; the field "base"
// never prefixes.
func FullMessage(field, message string) string {
	if field == "" || field == "base" || (message != "" && message[0] >= 'A' && message[0] <= 'Z') {
		return message
	}
	name := strings.ReplaceAll(field, "_", " ")
	return strings.ToUpper(name[:1]) + name[1:] + " " + message
}

// AsValidation returns the validation error inside err, if any.
func AsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}
