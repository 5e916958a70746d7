package views

import (
	"fmt"
	"strings"

	"github.com/hooklab/hooklab/model"
)

// HookFragmentsPath is where the hook form's htmx fragments live (rows
// added and removed, the branch filter input); they are the same for every
// kind of hook.
const HookFragmentsPath = "/-/hooks/fragments"

// HooksData is a hooks settings page: a project's, a group's or the
// instance's system hooks.
type HooksData struct {
	Kind model.HookKind
	// Base is the list's URL ("/acme/api/-/hooks"); a hook is Base/<id>.
	Base  string
	Rows  []HookItem
	Limit int // 0: unlimited
	// RateLimit, when set, warns that web_hook_calls dropped deliveries.
	RateLimit *HooksRateLimit
}

// HookItem is one hook as the list and the edit page show it.
type HookItem struct {
	Hook model.Hook
	// URL is the hook's own URL: PUT and DELETE go there.
	URL    string
	Status model.AlertStatus
}

// EditURL is the hook's edit page.
func (r HookItem) EditURL() string { return r.URL + "/edit" }

// DeleteURL is the confirmation page that deleting without JavaScript uses.
func (r HookItem) DeleteURL() string { return r.URL + "/delete" }

// DisplayURL is the URL as lists show it: with {placeholders} for masked
// portions, as stored, and any password in the userinfo masked.
func (r HookItem) DisplayURL() string { return model.MaskURLCredentials(r.Hook.URL) }

// Triggers are the triggers the hook subscribes to, in GitLab's order.
func (r HookItem) Triggers() []model.Trigger {
	var out []model.Trigger
	for _, t := range r.Hook.Kind.Triggers() {
		if r.Hook.Events.Has(t.Attribute) {
			out = append(out, t)
		}
	}
	return out
}

// HookTitle is the heading of a hooks page.
func HookTitle(k model.HookKind) string {
	if k == model.SystemHookKind {
		return "System hooks"
	}
	return "Webhooks"
}

// triggerLabels are the checkbox labels of GitLab's webhook form.
var triggerLabels = map[string]string{
	"push_events":                  "Push events",
	"tag_push_events":              "Tag push events",
	"issues_events":                "Issues events",
	"confidential_issues_events":   "Confidential issues events",
	"note_events":                  "Comments",
	"confidential_note_events":     "Confidential comments",
	"merge_requests_events":        "Merge request events",
	"job_events":                   "Job events",
	"pipeline_events":              "Pipeline events",
	"wiki_page_events":             "Wiki page events",
	"deployment_events":            "Deployment events",
	"feature_flag_events":          "Feature flag events",
	"releases_events":              "Releases events",
	"milestone_events":             "Milestone events",
	"emoji_events":                 "Emoji events",
	"resource_access_token_events": "Project or group access token events",
	"member_events":                "Member events",
	"project_events":               "Project events",
	"subgroup_events":              "Subgroup events",
	"repository_update_events":     "Repository update events",
	"vulnerability_events":         "Vulnerability events",
}

// TriggerLabel is a trigger's name in the UI.
func TriggerLabel(t model.Trigger) string {
	if l, ok := triggerLabels[t.Attribute]; ok {
		return l
	}
	return t.Name()
}

// HookFormState is the add/edit webhook form's state. It holds no secret: a
// set token, a masked URL portion and a custom header value are shown as
// model.HookSecretMask, and secrets typed into a form that has to be shown
// again travel in Sealed, encrypted by the server. A userinfo password in
// the URL shows as model.URLPasswordMask; when the URL masking rows
// themselves are wrong they come back with their values as the mask (and
// hidden in the URL), so that their keys can be corrected.
type HookFormState struct {
	Kind   model.HookKind
	New    bool
	Action string // where the form posts (PUT via _method when editing)
	Cancel string // the hooks list

	URL, Name, Description string
	// TokenSet shows the token field with the mask: a token is stored, or
	// was typed and is kept in Sealed.
	TokenSet bool
	// SigningTokenSet shows the signing token field with the mask.
	SigningTokenSet bool
	// NewSigningToken is a token Generate just made: shown once, in the
	// clear, so that it can be copied to the receiver.
	NewSigningToken string
	Events          model.TriggerSet
	Strategy        model.BranchFilterStrategy
	Filter          string
	SSL             bool
	Template        string

	// Vars are the names of masked URL portions already defined (stored,
	// or typed before and kept in Sealed); the URL shows them as {name}.
	Vars []string
	// MaskRows are new "Sensitive portion of URL" rows, shown again only
	// when masking itself failed so that they can be corrected.
	MaskRows []HookMaskRow
	Headers  []HookHeaderRow

	// Sealed carries typed secrets from one rendering to the next.
	Sealed string
	Errors *model.ValidationError
}

// HookMaskRow is one "Add URL masking" row.
type HookMaskRow struct {
	Value string // Sensitive portion of URL
	Key   string // How it looks in the UI
}

// HookHeaderRow is one custom header row; its value, when it has one, is
// shown as the mask.
type HookHeaderRow struct {
	Key      string
	HasValue bool
}

// SubmitLabel is the form's button.
func (f HookFormState) SubmitLabel() string {
	switch {
	case !f.New:
		return "Save changes"
	case f.Kind == model.SystemHookKind:
		return "Add system hook"
	}
	return "Add webhook"
}

// Errs returns the errors of the given fields.
func (f HookFormState) Errs(fields ...string) []string {
	var out []string
	for _, field := range fields {
		out = append(out, f.Errors.For(field)...)
	}
	return out
}

// RowErrs returns the errors of one row's field ("url_variables", 2, "key").
func (f HookFormState) RowErrs(list string, i int, field string) []string {
	return f.Errors.For(fmt.Sprintf("%s.%d.%s", list, i, field))
}

// HasErrors reports whether any of the fields have errors.
func (f HookFormState) HasErrors(fields ...string) bool { return len(f.Errs(fields...)) > 0 }

// SummaryError is one line of a long form's error summary: the whole
// message and the id of the field it is about ("" when there is none).
type SummaryError struct {
	Message, FieldID string
}

// hookFieldIDs are the inputs of the form's fields, for the summary links.
var hookFieldIDs = map[string]string{
	"url": "hook_url", "interpolated_url": "hook_url", "name": "hook_name", "description": "hook_description",
	"token": "hook_token", "custom_webhook_template": "hook_custom_webhook_template",
	"push_events_branch_filter": "hook_push_events_branch_filter",
}

// hookFieldLabels name the fields in the summary as the form labels them.
var hookFieldLabels = map[string]string{
	"url": "URL", "interpolated_url": "URL", "name": "Name", "description": "Description", "token": "Secret token",
	"custom_webhook_template": "Custom webhook template", "push_events_branch_filter": "Branch filter",
	"branch_filter_strategy": "Branch filter", "url_variables": "Mask portions of URL", "custom_headers": "Custom headers",
}

// ErrorSummary lists every field error of the form (base errors are shown
// on their own), so that the top of a long form says what is wrong below.
func (f HookFormState) ErrorSummary() []SummaryError {
	if f.Errors == nil {
		return nil
	}
	var out []SummaryError
	for _, e := range f.Errors.Errors {
		if e.Field == "base" || e.Field == "" {
			continue
		}
		field := e.Field
		if i := strings.IndexByte(field, '.'); i > 0 {
			field = field[:i]
		}
		msg := e.Message
		if field != e.Field || (msg != "" && msg[0] >= 'a' && msg[0] <= 'z') {
			// A row's error, or a fragment: say which part of the form.
			label := hookFieldLabels[field]
			if label == "" {
				label = model.FullMessage(field, "")
			}
			msg = strings.TrimSpace(label) + ": " + msg
		}
		out = append(out, SummaryError{Message: msg, FieldID: hookFieldIDs[field]})
	}
	return out
}

// CanAddHeader reports whether another custom header row fits.
func (f HookFormState) CanAddHeader() bool { return len(f.Headers) < model.MaxHookEntries }

// placeholder shows a URL variable's name as the URL shows it.
func placeholder(key string) string { return "{" + key + "}" }

// rowOp is the value of a row's plain-form remove button.
func rowOp(op string, i int) string { return fmt.Sprintf("%s:%d", op, i) }

// hookDialogID names a hook's delete confirmation dialog.
func hookDialogID(r HookItem) string { return fmt.Sprintf("delete-hook-%d", r.Hook.ID) }

// strategyLabel names a branch filter strategy in the form.
func strategyLabel(s model.BranchFilterStrategy) string {
	switch s {
	case model.BranchFilterWildcard:
		return "Wildcard pattern"
	case model.BranchFilterRegex:
		return "Regular expression"
	}
	return "All branches"
}

// hookStrategies are the strategy radios in GitLab's order.
var hookStrategies = []model.BranchFilterStrategy{model.BranchFilterAllBranches, model.BranchFilterWildcard, model.BranchFilterRegex}

// hookSummary says how many hooks there are against the limit.
func hookSummary(l HooksData) string {
	n := len(l.Rows)
	noun := "webhooks"
	if l.Kind == model.SystemHookKind {
		noun = "system hooks"
	}
	if n == 1 {
		noun = strings.TrimSuffix(noun, "s")
	}
	if l.Limit > 0 {
		return fmt.Sprintf("%d %s (at most %d)", n, noun, l.Limit)
	}
	return fmt.Sprintf("%d %s", n, noun)
}
