package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// templatePlaceholder is GitLab's CUSTOM_TEMPLATE_INTERPOLATION_REGEX. Like
// Ruby's, "." does not cross a line break and the match is non-greedy.
var templatePlaceholder = regexp.MustCompile(`{{(.+?)}}`)

const (
	// TemplateErrorPrefix starts every template error message.
	TemplateErrorPrefix = "Error while parsing rendered custom webhook template: "
	// templateArrayMessage is GitLab's message for a TypeError from Hash#dig.
	templateArrayMessage = "You may be trying to access an array value, which is not supported."
)

var errTemplateDig = errors.New(templateArrayMessage)

// TemplatePresent reports whether a hook has a custom template at all. GitLab
// ignores a blank one (Rails' present?) and sends the payload unchanged.
func TemplatePresent(tmpl string) bool {
	return strings.TrimSpace(tmpl) != ""
}

// ErrTemplateTooLarge matches (errors.Is) a render refused because its
// output would pass the limit given to RenderTemplate.
var ErrTemplateTooLarge = errors.New("rendered custom webhook template too large")

// TemplateTooLargeError says a rendered template would pass Limit bytes.
type TemplateTooLargeError struct{ Limit int64 }

func (e *TemplateTooLargeError) Error() string {
	return fmt.Sprintf("Request body is too large: the custom template renders more than %d bytes (the limit is %s)",
		e.Limit, byteSize(e.Limit))
}

// Unwrap makes the error match ErrTemplateTooLarge.
func (e *TemplateTooLargeError) Unwrap() error { return ErrTemplateTooLarge }

// byteSize words a limit as "25 MiB" when it is whole mebibytes.
func byteSize(n int64) string {
	if n > 0 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// RenderTemplate renders a custom webhook template against a
// payload and returns the compact JSON to POST and to log.
//
// As GitLab's WebHookService#render_custom_template does: each {{a.b.c}} is
// looked up by splitting on "." and walking the payload's keys (Hash#dig). A
// string is inserted JSON-escaped without its quotes; any other value,
// including a missing one (null), as its JSON text. Walking into anything
// that is not an object or null — an array, but also a string or number —
// fails with "You may be trying to access an array value, which is not
// supported." The rendered text must then parse as JSON; it is re-encoded
// compactly, which is what GitLab sends after its parse.
//
// limit bounds the memory a render may take: a few placeholders of a large
// field multiply it, so the rendered text is measured before it is built
// (each distinct placeholder's value encoded once) and a render whose text
// would pass limit bytes fails with *TemplateTooLargeError without building
// it. Only text within the limit is built — once, at its exact size — and
// then compacted in place; only a text that compacting cannot make what
// GitLab sends (a repeated key, an escape written differently) is parsed
// and re-encoded.
//
// A blank template renders the payload itself. Other errors are ErrInvalid
// with the message GitLab logs: "Error while parsing rendered custom
// webhook template: <reason>".
func RenderTemplate(tmpl string, payload *JSONObject, limit int64) ([]byte, error) {
	if !TemplatePresent(tmpl) {
		return EncodeJSON(payload)
	}
	rendered, err := interpolateTemplate(tmpl, payload, limit)
	if err != nil {
		if errors.Is(err, ErrTemplateTooLarge) {
			return nil, err
		}
		return nil, templateError(err.Error())
	}
	if !json.Valid(rendered) {
		_, err := DecodeJSON(rendered)
		return nil, templateError(err.Error())
	}
	// The values were inserted as encoding/json writes them, so the text
	// is usually what decoding and encoding would give, but for
	// whitespace: then it is compacted where it lies.
	if out, ok := compactCanonical(rendered); ok {
		return out, nil
	}
	v, err := DecodeJSON(rendered)
	if err != nil {
		return nil, templateError(err.Error())
	}
	size := len(rendered)
	rendered = nil // let the collector have it while encoding
	var out bytes.Buffer
	out.Grow(size)
	if err := encodeJSON(&out, v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// TemplateOutputBound is an upper bound of the bytes RenderTemplate can
// return (and holds as rendered text) for a payload of payloadSize bytes of
// JSON with the given limit: the rendered text never passes limit, and the
// re-encoding of a text within it grows only by escapes, at most
// maxEscapeGrowth times the template's own text. Below that, each
// placeholder inserts at most one value of the payload, which JSON escaping
// can grow maxEscapeGrowth times (a raw "<" becomes \u003c). A blank
// template is the payload itself.
func TemplateOutputBound(tmpl string, payloadSize int64, limit int64) int64 {
	if !TemplatePresent(tmpl) {
		return payloadSize
	}
	placeholders := int64(len(templatePlaceholder.FindAllStringIndex(tmpl, -1)))
	literal := int64(len(tmpl)) * maxEscapeGrowth
	bound := limit + literal
	if placeholders > 0 && payloadSize > (bound-literal)/placeholders/maxEscapeGrowth {
		return bound // the product would pass the limit (or overflow)
	}
	return min(bound, literal+placeholders*payloadSize*maxEscapeGrowth)
}

// MaxRequestBody is the largest body a webhook request may have (GitLab's
// WebHookService::REQUEST_BODY_SIZE_LIMIT, 25 MiB); a custom template's
// rendering stops as soon as its output passes it.
const MaxRequestBody = 25 << 20

// HeldBytes is what one delivery of a payloadSize-byte event to a hook
// with this custom template may hold in memory while it is sent: the
// payload, and what rendering the template can produce. The delivery
// engine bounds what it holds by this.
func HeldBytes(tmpl string, payloadSize int64) int64 {
	if !TemplatePresent(tmpl) {
		return payloadSize
	}
	return payloadSize + TemplateOutputBound(tmpl, payloadSize, MaxRequestBody)
}

// maxEscapeGrowth is the most JSON escaping grows a text: "<", ">" and "&"
// (one byte each) become six-byte \u escapes.
const maxEscapeGrowth = 6

func templateError(reason string) error {
	return Unprocessable("%s%s", TemplateErrorPrefix, reason)
}

// interpolateTemplate substitutes the placeholders in two passes: the first
// resolves each distinct placeholder once and adds up the output's size,
// stopping as soon as it passes limit; the second writes the output into a
// buffer of exactly that size.
func interpolateTemplate(tmpl string, payload *JSONObject, limit int64) ([]byte, error) {
	matches := templatePlaceholder.FindAllStringSubmatchIndex(tmpl, -1)
	texts := make(map[string][]byte, len(matches))
	size, last := int64(0), 0
	for _, m := range matches {
		size += int64(m[0] - last)
		last = m[1]
		inner := tmpl[m[2]:m[3]]
		text, ok := texts[inner]
		if !ok {
			v, err := digTemplateValue(payload, rubySplitDot(inner))
			if err != nil {
				return nil, err
			}
			if text, err = templateValueText(v); err != nil {
				return nil, err
			}
			texts[inner] = text
		}
		if size += int64(len(text)); size > limit {
			return nil, &TemplateTooLargeError{Limit: limit}
		}
	}
	if size += int64(len(tmpl) - last); size > limit {
		return nil, &TemplateTooLargeError{Limit: limit}
	}
	out := make([]byte, 0, size)
	last = 0
	for _, m := range matches {
		out = append(out, tmpl[last:m[0]]...)
		out = append(out, texts[tmpl[m[2]:m[3]]]...)
		last = m[1]
	}
	return append(out, tmpl[last:]...), nil
}

// rubySplitDot splits like Ruby's String#split('.'): empty fields stay,
// except trailing ones, which are dropped ("a..b" → [a "" b], "a." → [a]).
func rubySplitDot(s string) []string {
	parts := strings.Split(s, ".")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// digTemplateValue follows Ruby's Hash#dig: a missing key or a null on the
// way gives nil; stepping into any other non-object is a TypeError.
func digTemplateValue(root *JSONObject, keys []string) (any, error) {
	if len(keys) == 0 {
		// Ruby raises ArgumentError for dig() (template "{{.}}"), which GitLab
		// does not rescue; render null instead of failing the delivery.
		return nil, nil
	}
	var cur any = root
	for _, k := range keys {
		switch c := cur.(type) {
		case nil:
			return nil, nil
		case *JSONObject:
			cur, _ = c.Get(k)
		default:
			return nil, errTemplateDig
		}
	}
	return cur, nil
}

func templateValueText(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		return b[1 : len(b)-1], nil
	}
	return EncodeJSON(v)
}

// sampleRenderLimit bounds a render against a sample payload, which is small.
const sampleRenderLimit = 1 << 20

// CheckTemplate renders a template against the sample payload of each
// trigger, so a hook form can warn on save. It returns the
// first failure as a validation error on custom_webhook_template; triggers
// without a sample are skipped.
func CheckTemplate(tmpl string, triggers []Trigger) error {
	if !TemplatePresent(tmpl) {
		return nil
	}
	for _, t := range triggers {
		p, ok := SamplePayload(t)
		if !ok {
			continue
		}
		if _, err := RenderTemplate(tmpl, p, sampleRenderLimit); err != nil {
			v := &ValidationError{}
			v.Add("custom_webhook_template", err.Error()+" (with a sample "+t.EventHeader+" event)")
			return v
		}
	}
	return nil
}
