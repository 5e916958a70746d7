package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

const settingsPath = "/admin/application_settings/general"

// settingsNumberFields are the form's number inputs. They are checked here
// so that a bad one is an error beside its field, not the API's 400.
var settingsNumberFields = []string{
	"webhook_timeout", "push_event_hooks_limit", "web_hook_calls", "project_hooks_limit",
	"group_hooks_limit", "web_hook_test_limit", "web_hook_resend_limit", "hook_log_retention_days",
}

func (h *Handler) renderSettings(c echo.Context, status int, f views.SettingsForm) error {
	f.MailgunWebhookURL = h.srv.ExternalURL() + model.MailgunWebhookPath
	return web.Render(c, status, views.AdminSettingsPage(h.adminPage(c, "settings", "General settings"), f))
}

func (h *Handler) showSettings(c echo.Context) error {
	st, err := h.store.Settings(h.ctx(c))
	if err != nil {
		return err
	}
	return h.renderSettings(c, http.StatusOK, views.SettingsForm{
		Settings: st, AllowlistRaw: strings.Join(st.OutboundLocalRequestsAllowlist, "\n"), MailgunKeySaved: st.MailgunSigningKey != "",
	})
}

// updateSettings reads the form with the API's reader (applySettings), so
// both change settings by the same rules; nothing is saved unless every
// field is valid.
func (h *Handler) updateSettings(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	ctx := h.ctx(c)
	st, err := h.store.Settings(ctx)
	if err != nil {
		return err
	}
	f := views.SettingsForm{Numbers: map[string]string{}, MailgunKeySaved: st.MailgunSigningKey != ""}
	v := &model.ValidationError{}
	for _, k := range settingsNumberFields {
		raw, ok := p.String(k)
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSpace(raw)); err != nil {
			v.Add(k, "is not a number")
			f.Numbers[k] = raw
			delete(p, k)
		}
	}
	if err := applySettings(p, &st); err != nil {
		return err
	}
	f.AllowlistRaw = strings.Join(st.OutboundLocalRequestsAllowlist, "\n")
	if raw, ok := p.String("outbound_local_requests_allowlist_raw"); ok {
		f.AllowlistRaw = raw
	}
	if verr, ok := model.AsValidation(st.Validate()); ok {
		v.Errors = append(v.Errors, verr.Errors...)
	}
	// The form names entries that cannot match anything ("host!!",
	// "10.0.0.0/33"); the API stores them as GitLab does.
	if _, typed := p.String("outbound_local_requests_allowlist_raw"); typed {
		if bad := model.MalformedAllowlistEntries(st.OutboundLocalRequestsAllowlist); len(bad) > 0 {
			v.Add(model.SettingOutboundAllowlist, malformedAllowlistMessage(bad))
		}
	}
	if v.Empty() {
		err = h.store.UpdateSettings(ctx, st)
		if err == nil {
			h.log.Info("application settings saved", "by", user(c).Username)
			h.srv.Flash(c, "notice", "Application settings saved successfully")
			return web.Redirect(c, settingsPath)
		}
		if v, err = web.FormErrors(err); err != nil {
			return err
		}
	}
	f.Settings, f.Errors = st, formSentences(v, settingsFormFields)
	return h.renderSettings(c, http.StatusUnprocessableEntity, f)
}

// malformedAllowlistMessage names the allowlist entries the form refuses
// and says what an entry may be.
func malformedAllowlistMessage(bad []string) string {
	quoted := make([]string, len(bad))
	for i, b := range bad {
		quoted[i] = strconv.Quote(b)
	}
	what := "This entry is"
	if len(bad) > 1 {
		what = "These entries are"
	}
	return what + " not a domain name, IP address or CIDR range: " + strings.Join(quoted, ", ") +
		". Write each like example.com, 192.168.1.1 or 10.0.0.0/24, optionally with a port from 1 to 65535 (127.0.0.1:8080)."
}
