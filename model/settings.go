package model

import (
	"strings"
	"time"
)

// Settings are the instance-wide application settings. The
// store keeps one row; the secret Mailgun key is decrypted only when read
// for verification and never rendered or returned.
type Settings struct {
	MailgunEventsEnabled                      bool      `db:"mailgun_events_enabled"`
	MailgunSigningKey                         string    `db:"-"` // decrypted by the store
	AllowLocalRequestsFromWebHooksAndServices bool      `db:"allow_local_requests_from_web_hooks_and_services"`
	AllowLocalRequestsFromSystemHooks         bool      `db:"allow_local_requests_from_system_hooks"`
	OutboundLocalRequestsAllowlist            []string  `db:"-"`
	PushEventHooksLimit                       int       `db:"push_event_hooks_limit"`
	WebHookCalls                              int       `db:"web_hook_calls"`
	WebhookTimeout                            int       `db:"webhook_timeout"`
	ProjectHooksLimit                         int       `db:"project_hooks_limit"`
	GroupHooksLimit                           int       `db:"group_hooks_limit"`
	AutoDisablingWebHooks                     bool      `db:"auto_disabling_web_hooks"`
	WebHookTestLimit                          int       `db:"web_hook_test_limit"`
	WebHookResendLimit                        int       `db:"web_hook_resend_limit"`
	HookLogRetentionDays                      int       `db:"hook_log_retention_days"`
	UpdatedAt                                 time.Time `db:"updated_at"`
}

// DefaultSettings are GitLab's defaults.
func DefaultSettings() Settings {
	return Settings{
		AllowLocalRequestsFromSystemHooks: true,
		OutboundLocalRequestsAllowlist:    []string{},
		PushEventHooksLimit:               3,
		WebhookTimeout:                    10,
		ProjectHooksLimit:                 100,
		GroupHooksLimit:                   50,
		AutoDisablingWebHooks:             true,
		WebHookTestLimit:                  5,
		WebHookResendLimit:                5,
		HookLogRetentionDays:              14,
	}
}

// Validate checks the settings' rules.
func (s *Settings) Validate() error {
	var v ValidationError
	s.MailgunSigningKey = strings.TrimSpace(s.MailgunSigningKey)
	if s.MailgunEventsEnabled && s.MailgunSigningKey == "" {
		v.Add("mailgun_signing_key", "can't be blank")
	}
	if len(s.MailgunSigningKey) > 255 {
		v.Add("mailgun_signing_key", "is too long (maximum is 255 characters)")
	}
	nonNegative := func(field string, n int) {
		if n < 0 {
			v.Add(field, "must be greater than or equal to 0")
		}
	}
	nonNegative("push_event_hooks_limit", s.PushEventHooksLimit)
	nonNegative("web_hook_calls", s.WebHookCalls)
	nonNegative("web_hook_test_limit", s.WebHookTestLimit)
	nonNegative("web_hook_resend_limit", s.WebHookResendLimit)
	if s.WebhookTimeout < 1 || s.WebhookTimeout > 120 {
		v.Add("webhook_timeout", "must be between 1 and 120 seconds")
	}
	if s.ProjectHooksLimit < 1 {
		v.Add("project_hooks_limit", "must be greater than 0")
	}
	if s.GroupHooksLimit < 1 {
		v.Add("group_hooks_limit", "must be greater than 0")
	}
	if s.HookLogRetentionDays < 1 {
		v.Add("hook_log_retention_days", "must be greater than 0")
	}
	entries := make([]string, 0, len(s.OutboundLocalRequestsAllowlist))
	for _, e := range s.OutboundLocalRequestsAllowlist {
		if e = strings.TrimSpace(e); e != "" {
			entries = append(entries, e)
		}
	}
	s.OutboundLocalRequestsAllowlist = entries
	if err := ValidateAllowlist(entries); err != nil {
		av, _ := AsValidation(err)
		v.Errors = append(v.Errors, av.Errors...)
	}
	return v.Err()
}
