package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const settingsKeyColumn = "application_settings.mailgun_signing_key"

type settingsRow struct {
	model.Settings
	SigningKey []byte `db:"mailgun_signing_key"`
	Allowlist  string `db:"outbound_local_requests_allowlist"`
}

func (s *Store) ensureSettings(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, s.w.Rebind(`INSERT INTO application_settings (id, updated_at) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`), s.Now())
	return err
}

// Settings returns the application settings with the Mailgun key decrypted.
func (s *Store) Settings(ctx context.Context) (model.Settings, error) {
	var row settingsRow
	err := s.r.GetContext(ctx, &row, `SELECT mailgun_events_enabled, mailgun_signing_key,
		allow_local_requests_from_web_hooks_and_services, allow_local_requests_from_system_hooks,
		outbound_local_requests_allowlist, push_event_hooks_limit, web_hook_calls, webhook_timeout,
		project_hooks_limit, group_hooks_limit, auto_disabling_web_hooks, web_hook_test_limit,
		web_hook_resend_limit, hook_log_retention_days, updated_at FROM application_settings WHERE id = 1`)
	if err != nil {
		return model.Settings{}, fmt.Errorf("read settings: %w", err)
	}
	st := row.Settings
	if st.MailgunSigningKey, err = s.cipher.OpenString(settingsKeyColumn, row.SigningKey); err != nil {
		return model.Settings{}, err
	}
	if err := json.Unmarshal([]byte(row.Allowlist), &st.OutboundLocalRequestsAllowlist); err != nil {
		return model.Settings{}, fmt.Errorf("read allowlist: %w", err)
	}
	return st, nil
}

// CachedSettings is Settings read at most once every settingsTTL, for the
// delivery hot paths; a change through UpdateSettings shows at once.
func (s *Store) CachedSettings(ctx context.Context) (model.Settings, error) {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if s.settingsCache != nil && time.Since(s.settingsAt) < settingsTTL {
		st := *s.settingsCache
		st.OutboundLocalRequestsAllowlist = slices.Clone(st.OutboundLocalRequestsAllowlist)
		return st, nil
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return st, err
	}
	c := st
	c.OutboundLocalRequestsAllowlist = slices.Clone(st.OutboundLocalRequestsAllowlist)
	s.settingsCache, s.settingsAt = &c, time.Now()
	return st, nil
}

// settingsTTL bounds how stale CachedSettings may be when another process
// changed the settings.
const settingsTTL = time.Second

func (s *Store) forgetSettings() {
	s.settingsMu.Lock()
	s.settingsCache = nil
	s.settingsMu.Unlock()
}

// UpdateSettings validates and stores the application settings.
func (s *Store) UpdateSettings(ctx context.Context, st model.Settings) error {
	defer s.forgetSettings()
	if err := st.Validate(); err != nil {
		return err
	}
	allow, err := json.Marshal(st.OutboundLocalRequestsAllowlist)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE application_settings SET
			mailgun_events_enabled = ?, mailgun_signing_key = ?,
			allow_local_requests_from_web_hooks_and_services = ?, allow_local_requests_from_system_hooks = ?,
			outbound_local_requests_allowlist = ?, push_event_hooks_limit = ?, web_hook_calls = ?, webhook_timeout = ?,
			project_hooks_limit = ?, group_hooks_limit = ?, auto_disabling_web_hooks = ?, web_hook_test_limit = ?,
			web_hook_resend_limit = ?, hook_log_retention_days = ?, updated_at = ? WHERE id = 1`),
			st.MailgunEventsEnabled, s.cipher.SealString(settingsKeyColumn, st.MailgunSigningKey),
			st.AllowLocalRequestsFromWebHooksAndServices, st.AllowLocalRequestsFromSystemHooks,
			string(allow), st.PushEventHooksLimit, st.WebHookCalls, st.WebhookTimeout,
			st.ProjectHooksLimit, st.GroupHooksLimit, st.AutoDisablingWebHooks, st.WebHookTestLimit,
			st.WebHookResendLimit, st.HookLogRetentionDays, s.Now())
		return err
	})
}
