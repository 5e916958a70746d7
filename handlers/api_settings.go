package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
)

// apiSettings is GitLab's application settings entity, limited to what
// Hooklab has. The Mailgun signing key is never returned.
type apiSettings struct {
	MailgunEventsEnabled                      bool     `json:"mailgun_events_enabled"`
	MailgunSigningKeySet                      bool     `json:"mailgun_signing_key_set"`
	AllowLocalRequestsFromWebHooksAndServices bool     `json:"allow_local_requests_from_web_hooks_and_services"`
	AllowLocalRequestsFromSystemHooks         bool     `json:"allow_local_requests_from_system_hooks"`
	OutboundLocalRequestsAllowlist            []string `json:"outbound_local_requests_allowlist"`
	OutboundLocalRequestsWhitelist            []string `json:"outbound_local_requests_whitelist"`
	OutboundLocalRequestsAllowlistRaw         string   `json:"outbound_local_requests_allowlist_raw"`
	PushEventHooksLimit                       int      `json:"push_event_hooks_limit"`
	WebHookCalls                              int      `json:"web_hook_calls"`
	WebhookTimeout                            int      `json:"webhook_timeout"`
	ProjectHooksLimit                         int      `json:"project_hooks_limit"`
	GroupHooksLimit                           int      `json:"group_hooks_limit"`
	AutoDisablingWebHooks                     bool     `json:"auto_disabling_web_hooks"`
	WebHookTestLimit                          int      `json:"web_hook_test_limit"`
	WebHookResendLimit                        int      `json:"web_hook_resend_limit"`
	HookLogRetentionDays                      int      `json:"hook_log_retention_days"`
}

func settingsEntity(st model.Settings) apiSettings {
	return apiSettings{
		MailgunEventsEnabled:                      st.MailgunEventsEnabled,
		MailgunSigningKeySet:                      st.MailgunSigningKey != "",
		AllowLocalRequestsFromWebHooksAndServices: st.AllowLocalRequestsFromWebHooksAndServices,
		AllowLocalRequestsFromSystemHooks:         st.AllowLocalRequestsFromSystemHooks,
		OutboundLocalRequestsAllowlist:            st.OutboundLocalRequestsAllowlist,
		OutboundLocalRequestsWhitelist:            st.OutboundLocalRequestsAllowlist,
		OutboundLocalRequestsAllowlistRaw:         strings.Join(st.OutboundLocalRequestsAllowlist, "\n"),
		PushEventHooksLimit:                       st.PushEventHooksLimit,
		WebHookCalls:                              st.WebHookCalls,
		WebhookTimeout:                            st.WebhookTimeout,
		ProjectHooksLimit:                         st.ProjectHooksLimit,
		GroupHooksLimit:                           st.GroupHooksLimit,
		AutoDisablingWebHooks:                     st.AutoDisablingWebHooks,
		WebHookTestLimit:                          st.WebHookTestLimit,
		WebHookResendLimit:                        st.WebHookResendLimit,
		HookLogRetentionDays:                      st.HookLogRetentionDays,
	}
}

func (h *Handler) apiGetSettings(c echo.Context) error {
	st, err := h.store.Settings(h.ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settingsEntity(st))
}

func (h *Handler) apiUpdateSettings(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	st, err := h.store.Settings(h.ctx(c))
	if err != nil {
		return err
	}
	if err := applySettings(p, &st); err != nil {
		return err
	}
	if err := h.store.UpdateSettings(h.ctx(c), st); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settingsEntity(st))
}

// applySettings copies the given parameters over st; absent ones keep
// their value. The admin settings form posts the same names.
func applySettings(p params, st *model.Settings) error {
	bools := map[string]*bool{
		"mailgun_events_enabled":                           &st.MailgunEventsEnabled,
		"allow_local_requests_from_web_hooks_and_services": &st.AllowLocalRequestsFromWebHooksAndServices,
		"allow_local_requests_from_hooks_and_services":     &st.AllowLocalRequestsFromWebHooksAndServices,
		"allow_local_requests_from_system_hooks":           &st.AllowLocalRequestsFromSystemHooks,
		"auto_disabling_web_hooks":                         &st.AutoDisablingWebHooks,
	}
	for k, dst := range bools {
		v, ok, err := p.Bool(k)
		if err != nil {
			return err
		}
		if ok {
			*dst = v
		}
	}
	ints := map[string]*int{
		"push_event_hooks_limit":  &st.PushEventHooksLimit,
		"web_hook_calls":          &st.WebHookCalls,
		"webhook_timeout":         &st.WebhookTimeout,
		"project_hooks_limit":     &st.ProjectHooksLimit,
		"group_hooks_limit":       &st.GroupHooksLimit,
		"web_hook_test_limit":     &st.WebHookTestLimit,
		"web_hook_resend_limit":   &st.WebHookResendLimit,
		"hook_log_retention_days": &st.HookLogRetentionDays,
	}
	for k, dst := range ints {
		v, ok, err := p.Int64(k)
		if err != nil {
			return err
		}
		if ok {
			*dst = int(v)
		}
	}
	// A blank key field keeps the stored key: the form never shows it.
	if key, ok := p.String("mailgun_signing_key"); ok && strings.TrimSpace(key) != "" {
		st.MailgunSigningKey = key
	}
	for _, k := range []string{"outbound_local_requests_allowlist", "outbound_local_requests_whitelist"} {
		if list, ok := p.StringList(k); ok {
			st.OutboundLocalRequestsAllowlist = list
		}
	}
	if raw, ok := p.String("outbound_local_requests_allowlist_raw"); ok {
		// GitLab splits the raw text on whitespace, commas and semicolons
		// and drops duplicates.
		st.OutboundLocalRequestsAllowlist = model.SplitAllowlist(raw)
	}
	return nil
}
