package handlers

import (
	"regexp"
	"strings"

	"github.com/hooklab/hooklab/model"
)

// HTML forms show whole sentences beside their fields: what is wrong, with
// the field named, and how to fix it. The rules keep GitLab's fragments
// ("can't be blank", "has already been taken") because the JSON API answers
// with them; formSentences rewrites them for the pages only.

// formFields names a form's fields in sentences ("the username"), keyed by
// the field's parameter name.
type formFields map[string]string

// Labels of the forms whose errors are rewritten here.
var (
	userFormFields = formFields{
		"username": "the username", "name": "the name", "email": "the e-mail address", "password": "the password",
	}
	namespaceFormFields = formFields{
		"name": "the name", "path": "the path", "description": "the description",
		"parent_id": "the parent group", "namespace_id": "the group",
	}
	tokenFormFields = formFields{
		"name": "the token name", "scopes": "the scopes", "expires_at": "the expiration date",
	}
	memberFormFields = formFields{
		"username": "the username", "email": "the e-mail address", "access_level": "the access level",
		"expires_at": "the expiration date",
	}
	passwordFormFields = formFields{
		"current_password": "the current password", "password": "the new password",
		"password_confirmation": "the password confirmation",
	}
	notificationFormFields = formFields{
		"level": "the notification level", "notification_email": "the notification e-mail",
	}
	settingsFormFields = formFields{
		"webhook_timeout":              "the webhook timeout",
		"push_event_hooks_limit":       "the push event hooks limit",
		"web_hook_calls":               "the maximum webhook calls per minute",
		"project_hooks_limit":          "the maximum webhooks per project",
		"group_hooks_limit":            "the maximum webhooks per group",
		"web_hook_test_limit":          "the number of test requests per minute",
		"web_hook_resend_limit":        "the number of resend requests per minute",
		"hook_log_retention_days":      "the number of days to keep webhook logs",
		"mailgun_signing_key":          "the Mailgun signing key",
		model.SettingOutboundAllowlist: "the outbound allowlist",
	}
)

var (
	tooLongChars   = regexp.MustCompile(`^is too long \(maximum is (\d+) (characters|entries)\)$`)
	tooShortChars  = regexp.MustCompile(`^is too short \(minimum is (\d+) characters\)$`)
	belowInherited = regexp.MustCompile(`^should be greater than or equal to (.+) inherited membership from group (.+)$`)
)

// formSentences returns v's errors as sentences for a form with the given
// fields, dropping repeats. Messages that already are sentences (they start
// with a capital letter) stand as they are, with a full stop.
func formSentences(v *model.ValidationError, fields formFields) *model.ValidationError {
	if v == nil {
		return nil
	}
	out := &model.ValidationError{}
	seen := map[string]bool{}
	for _, e := range v.Errors {
		msg := formSentence(fields, e.Field, e.Message)
		if key := e.Field + "\x00" + msg; !seen[key] {
			seen[key] = true
			out.Add(e.Field, msg)
		}
	}
	return out
}

// formSentence is one of a form's errors as a sentence.
func formSentence(fields formFields, field, msg string) string {
	if msg == "" || (msg[0] >= 'A' && msg[0] <= 'Z') {
		return sentence(msg)
	}
	if s := knownFieldSentence(field, msg); s != "" {
		return s
	}
	label := fields[field]
	if label == "" {
		label = "the " + strings.ReplaceAll(field, "_", " ")
	}
	subject := strings.ToUpper(label[:1]) + label[1:]
	if m := tooLongChars.FindStringSubmatch(msg); m != nil {
		return subject + " is too long: use at most " + m[1] + " " + m[2] + "."
	}
	if m := tooShortChars.FindStringSubmatch(msg); m != nil {
		return subject + " is too short: use at least " + m[1] + " characters."
	}
	switch msg {
	case "can't be blank":
		return "Enter " + label + "."
	case "has already been taken":
		return subject + " is already taken: choose another."
	case "is reserved", "is a reserved name":
		return subject + " is reserved for Hooklab's own pages: choose another."
	case "is invalid":
		return subject + " is not valid: check it for typing mistakes."
	case "is not a number":
		return subject + " must be a whole number, such as 10."
	case "must be greater than 0":
		return subject + " must be a whole number of 1 or more."
	case "must be greater than or equal to 0":
		return subject + " must be a whole number of 0 or more."
	}
	return sentence(subject + " " + msg)
}

// knownFieldSentence words the messages whose fix depends on the field,
// or returns "".
func knownFieldSentence(field, msg string) string {
	switch {
	case field == "email" && msg == "is invalid":
		return "Enter a whole e-mail address, such as name@example.com."
	case field == "email" && msg == "has already been taken":
		return "This e-mail address is already used by an account: enter a different one."
	case field == "username" && strings.HasPrefix(msg, "can contain only "):
		return "The username can contain only letters, digits, '_', '-' and '.', cannot start or end with '_', '-' or '.', and cannot hold two of them in a row: change it to fit."
	case field == "path" && msg == model.PathMessage:
		return "The path can contain only letters, digits, '_', '-' and '.', cannot start with '-', and cannot end in '.git' or '.atom': change it to fit."
	case field == "name" && strings.HasPrefix(msg, "can contain only letters, digits, emoji"):
		return "The name can contain only letters, digits, emoji, '_', '.', '+', dashes and spaces, and must start with a letter, digit, emoji or '_': change it to fit."
	case field == "expires_at" && msg == "is not a date (use YYYY-MM-DD)":
		return "Enter the expiration date as YEAR-MONTH-DAY, or leave it blank."
	case field == "expires_at" && msg == "must be in the future":
		return "The expiration date must be in the future: choose tomorrow or a later date, or leave it blank."
	case field == "scopes" && msg == "can't be blank":
		return "Select at least one scope."
	case field == "scopes" && strings.HasPrefix(msg, "can only contain available scopes: "):
		return "Select only the scopes listed: " + strings.TrimPrefix(msg, "can only contain available scopes: ") + "."
	case field == "access_level" && msg == "is not a valid access level":
		return "Choose an access level from the list."
	case field == "access_level" && msg == "cannot be higher than your own access level":
		return "The access level cannot be higher than your own: choose yours or a lower one."
	case msg == "is already a member":
		return "This user is already a member: change their role in the list below instead."
	case msg == "has already been invited":
		return "This address has already been invited: use Resend invite in the list below instead."
	case field == "access_level" && belowInherited.MatchString(msg):
		m := belowInherited.FindStringSubmatch(msg)
		return "The access level must be " + m[1] + " or higher: they are " + m[1] + " through the group " + m[2] + "."
	case field == "password_confirmation" && msg == "doesn't match Password":
		return "The confirmation doesn't match the new password. Type the same password in both fields."
	case field == "mailgun_signing_key" && msg == "can't be blank":
		return "Enter the Mailgun signing key to enable Mailgun, or untick Enable Mailgun."
	case field == "webhook_timeout" && msg == "must be between 1 and 120 seconds":
		return "The webhook timeout must be a whole number of seconds from 1 to 120."
	case field == model.SettingOutboundAllowlist && msg == "entries cannot be larger than 255 characters":
		return "An allowlist entry is longer than 255 characters: shorten it."
	case field == model.SettingOutboundAllowlist && msg == "unicode domains should use IDNA encoding":
		return "Write international domain names in their IDNA form (xn--…), such as xn--bcher-kva.example for bücher.example."
	case field == model.SettingOutboundAllowlist && msg == "entries cannot contain HTML tags":
		return "Allowlist entries cannot contain <, >, &, \" or ': take them out."
	case field == model.SettingOutboundAllowlist && msg == "entries cannot have a port outside 1-65535":
		return "An allowlist entry has a port outside 1–65535: use a port from 1 to 65535, or none."
	case field == "notification_email" && msg == model.NotificationEmailProblem:
		return "Choose one of your verified e-mail addresses for notifications, or verify this one first on the Emails page."
	case field == "level" && msg == "can't be blank":
		return "Choose a notification level."
	case (field == "namespace_id" || field == "parent_id") && msg == "can't be blank: projects live in a group":
		return "Choose the group the project belongs in: projects live in a group."
	case (field == "namespace_id" || field == "parent_id") && msg == "is not a group you can see":
		return "Choose a group from the list: this one does not exist or is not visible to you."
	}
	return ""
}
