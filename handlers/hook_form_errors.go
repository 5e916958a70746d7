package handlers

import (
	"regexp"
	"strings"

	"github.com/hooklab/hooklab/model"
)

// The webhook form shows whole sentences that say what is wrong and how to
// fix it, where the API keeps GitLab's messages ("is blocked: ...",
// `Invalid URL template. Missing keys: ["token"]`).

// hookFormLabels name the form's fields in sentences.
var hookFormLabels = map[string]string{
	"url": "The URL", "interpolated_url": "The URL", "name": "The name", "description": "The description",
	"token": "The secret token", "custom_webhook_template": "The custom webhook template",
	"push_events_branch_filter": "The branch filter", "branch_filter_strategy": "The branch filter",
	"url_variables": "The masked portions of the URL", "custom_headers": "The custom headers",
}

var quotedName = regexp.MustCompile(`"([^"]*)"`)

// hookFormSentences rewrites the form's errors as sentences, dropping
// repeats (a blank URL is not also "not a valid URL").
func hookFormSentences(v *model.ValidationError) *model.ValidationError {
	if v == nil {
		return nil
	}
	out := &model.ValidationError{}
	seen := map[string]bool{}
	for _, e := range v.Errors {
		if e.Field == "url" && e.Message == "must be a valid URL" && len(v.For("url")) > 1 {
			continue
		}
		msg := hookFormSentence(e.Field, e.Message)
		if key := e.Field + "\x00" + msg; !seen[key] {
			seen[key] = true
			out.Add(e.Field, msg)
		}
	}
	return out
}

// hookFormSentence is one error of the form as a sentence.
func hookFormSentence(field, msg string) string {
	isURL := field == "url" || field == "interpolated_url"
	switch {
	case field == "url" && msg == "can't be blank":
		return "Enter the URL that receives the webhook's requests."
	case field == "url" && msg == "must be a valid URL":
		return "Enter a whole URL, such as https://example.com/hook."
	case field == "interpolated_url" && msg == "must be a valid URL":
		return "With its masked portions filled in, the URL is not valid: check the URL and the masked values."
	case isURL && msg == "is blocked: Only allowed schemes are http, https":
		return "The URL must start with http:// or https://."
	case isURL && msg == "is blocked: URI is invalid":
		return "The URL is not valid: take out spaces and line breaks, and percent-encode special characters."
	case isURL && strings.HasPrefix(msg, "is blocked: "):
		return sentence("The URL is blocked: " + strings.TrimPrefix(msg, "is blocked: "))
	case field == "url" && strings.HasPrefix(msg, "Invalid URL template. Missing keys: "):
		var names []string
		for _, m := range quotedName.FindAllStringSubmatch(msg, -1) {
			names = append(names, "{"+m[1]+"}")
		}
		return "The URL uses " + strings.Join(names, ", ") + " but no masked portion has that name: add a URL masking row for each, or take it out of the URL."
	case field == "push_events_branch_filter" && strings.HasPrefix(msg, "not valid RE2 syntax: "):
		return sentence("The regular expression is not valid RE2 syntax (" + strings.TrimPrefix(msg, "not valid RE2 syntax: ") + ")")
	case field == "token" && msg == "is invalid":
		return "The secret token cannot contain line breaks."
	case strings.HasSuffix(field, ".value") && msg == "Must match part of URL":
		return "This text is not in the URL: copy the sensitive portion exactly as the URL has it."
	case msg != "" && msg[0] >= 'a' && msg[0] <= 'z':
		label := hookFormLabels[rowList(field)]
		if label == "" {
			label = model.FullMessage(field, "")
		}
		return sentence(strings.TrimSpace(label) + " " + msg)
	}
	return sentence(msg)
}

// rowList is the list a row field belongs to ("custom_headers.2.key" →
// "custom_headers"), or the field itself.
func rowList(field string) string {
	if i := strings.IndexByte(field, '.'); i > 0 {
		return field[:i]
	}
	return field
}

// sentence ends msg with a full stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" || strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, "?") || strings.HasSuffix(msg, "!") {
		return msg
	}
	return msg + "."
}
