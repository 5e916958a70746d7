package model

import (
	"encoding/json"
	"errors"
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

// RenderTemplate renders a custom webhook template (SPEC §3.3) against a
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
// A blank template renders the payload itself. Errors are ErrInvalid with
// the message GitLab logs: "Error while parsing rendered custom webhook
// template: <reason>".
func RenderTemplate(tmpl string, payload *JSONObject) ([]byte, error) {
	if !TemplatePresent(tmpl) {
		return EncodeJSON(payload)
	}
	rendered, err := interpolateTemplate(tmpl, payload)
	if err != nil {
		return nil, templateError(err.Error())
	}
	v, err := DecodeJSON([]byte(rendered))
	if err != nil {
		return nil, templateError(err.Error())
	}
	return EncodeJSON(v)
}

func templateError(reason string) error {
	return Unprocessable("%s%s", TemplateErrorPrefix, reason)
}

func interpolateTemplate(tmpl string, payload *JSONObject) (string, error) {
	var (
		out  strings.Builder
		last int
	)
	for _, m := range templatePlaceholder.FindAllStringSubmatchIndex(tmpl, -1) {
		out.WriteString(tmpl[last:m[0]])
		last = m[1]
		v, err := digTemplateValue(payload, rubySplitDot(tmpl[m[2]:m[3]]))
		if err != nil {
			return "", err
		}
		text, err := templateValueText(v)
		if err != nil {
			return "", err
		}
		out.WriteString(text)
	}
	out.WriteString(tmpl[last:])
	return out.String(), nil
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

func templateValueText(v any) (string, error) {
	if s, ok := v.(string); ok {
		b, err := json.Marshal(s)
		if err != nil {
			return "", err
		}
		return string(b[1 : len(b)-1]), nil
	}
	b, err := EncodeJSON(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// CheckTemplate renders a template against the sample payload of each
// trigger, so a hook form can warn on save (SPEC §3.3). It returns the
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
		if _, err := RenderTemplate(tmpl, p); err != nil {
			v := &ValidationError{}
			v.Add("custom_webhook_template", err.Error()+" (with a sample "+t.EventHeader+" event)")
			return v
		}
	}
	return nil
}
