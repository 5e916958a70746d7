package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// Secret columns of hooks; each name is also the ciphertext's additional
// data, so a value copied into another column or table does not decrypt.
const (
	hookURLColumn           = "hooks.url"
	hookTokenColumn         = "hooks.token"
	hookSigningTokenColumn  = "hooks.signing_token"
	hookURLVariablesColumn  = "hooks.url_variables"
	hookCustomHeadersColumn = "hooks.custom_headers"
)

// hookColumns renames the sealed columns so they land in hookRow's byte
// fields and not in model.Hook's plain ones.
const hookColumns = `h.id, h.kind, h.project_id, h.group_id, h.url AS url_sealed, h.token AS token_sealed,
	h.signing_token AS signing_token_sealed,
	h.url_variables AS url_variables_sealed, h.custom_headers AS custom_headers_sealed, h.name, h.description,
	h.events AS events_bits, h.push_events_branch_filter, h.branch_filter_strategy, h.enable_ssl_verification,
	h.custom_webhook_template, h.recent_failures, h.disabled_until, h.created_at, h.updated_at`

// errHookNotFound is GitLab's answer for a hook that is not there (an
// ActiveRecord::RecordNotFound in the API).
var errHookNotFound = &model.Error{Kind: model.ErrNotFound, Message: "404 Not found"}

type hookRow struct {
	model.Hook
	URLSealed           []byte `db:"url_sealed"`
	TokenSealed         []byte `db:"token_sealed"`
	SigningTokenSealed  []byte `db:"signing_token_sealed"`
	URLVariablesSealed  []byte `db:"url_variables_sealed"`
	CustomHeadersSealed []byte `db:"custom_headers_sealed"`
	EventsBits          int64  `db:"events_bits"`
}

// open decrypts a row into a hook.
func (s *Store) openHook(r *hookRow) (model.Hook, error) {
	h := r.Hook
	h.Events = model.TriggerSet(uint64(r.EventsBits))
	var err error
	if h.URL, err = s.cipher.OpenString(hookURLColumn, r.URLSealed); err != nil {
		return model.Hook{}, fmt.Errorf("hook %d: %w", h.ID, err)
	}
	if h.Token, err = s.cipher.OpenString(hookTokenColumn, r.TokenSealed); err != nil {
		return model.Hook{}, fmt.Errorf("hook %d: %w", h.ID, err)
	}
	if h.SigningToken, err = s.cipher.OpenString(hookSigningTokenColumn, r.SigningTokenSealed); err != nil {
		return model.Hook{}, fmt.Errorf("hook %d: %w", h.ID, err)
	}
	if h.URLVariables, err = s.openHookMap(hookURLVariablesColumn, r.URLVariablesSealed); err != nil {
		return model.Hook{}, fmt.Errorf("hook %d: %w", h.ID, err)
	}
	if h.CustomHeaders, err = s.openHookMap(hookCustomHeadersColumn, r.CustomHeadersSealed); err != nil {
		return model.Hook{}, fmt.Errorf("hook %d: %w", h.ID, err)
	}
	if h.DisabledUntil != nil {
		t := h.DisabledUntil.UTC()
		h.DisabledUntil = &t
	}
	h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	return h, nil
}

func (s *Store) openHookMap(column string, sealed []byte) (map[string]string, error) {
	m := map[string]string{}
	b, err := s.cipher.Open(column, sealed)
	if err != nil || len(b) == 0 {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", column, err)
	}
	return m, nil
}

// sealHookMap encrypts a map as JSON; an empty map is stored as NULL.
func (s *Store) sealHookMap(column string, m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return s.cipher.Seal(column, b), nil
}

// sealedHook is a hook's secret columns, sealed.
type sealedHook struct {
	url, token, signingToken, vars, headers []byte
}

func (s *Store) sealHook(h *model.Hook) (sealedHook, error) {
	vars, err := s.sealHookMap(hookURLVariablesColumn, h.URLVariables)
	if err != nil {
		return sealedHook{}, err
	}
	headers, err := s.sealHookMap(hookCustomHeadersColumn, h.CustomHeaders)
	if err != nil {
		return sealedHook{}, err
	}
	return sealedHook{
		url:          s.cipher.SealString(hookURLColumn, h.URL),
		token:        s.cipher.SealString(hookTokenColumn, h.Token),
		signingToken: s.cipher.SealString(hookSigningTokenColumn, h.SigningToken),
		vars:         vars,
		headers:      headers,
	}, nil
}

func (s *Store) selectHooks(ctx context.Context, query string, args ...any) ([]model.Hook, error) {
	var rows []hookRow
	if err := s.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	out := make([]model.Hook, 0, len(rows))
	for i := range rows {
		h, err := s.openHook(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// storeTime is a timestamp as the store keeps it: UTC, to the microsecond
// (PostgreSQL's precision), so that a value read back compares equal.
func storeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CreateHook validates and stores a new hook, enforcing the per-project or
// per-group limit of the application settings inside the write transaction
// (GitLab's "Maximum number of project hooks (100) exceeded"). It fills in
// h's ID and timestamps. The public-URL check needs DNS and is the caller's.
func (s *Store) CreateHook(ctx context.Context, h *model.Hook) error {
	h.Normalize()
	if err := h.Validate(); err != nil {
		return err
	}
	sealed, err := s.sealHook(h)
	if err != nil {
		return err
	}
	now := storeTime(s.Now())
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := checkHookLimitTx(ctx, tx, h); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO hooks
			(kind, project_id, group_id, url, token, signing_token, url_variables, custom_headers, name, description, events,
			 push_events_branch_filter, branch_filter_strategy, enable_ssl_verification, custom_webhook_template,
			 recent_failures, disabled_until, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?) RETURNING id`),
			h.Kind, h.ProjectID, h.GroupID, sealed.url, sealed.token, sealed.signingToken, sealed.vars, sealed.headers, h.Name, h.Description,
			int64(h.Events), h.PushEventsBranchFilter, h.BranchFilterStrategy, h.EnableSSLVerification,
			h.CustomWebhookTemplate, now, now).Scan(&h.ID)
		if err != nil {
			return fmt.Errorf("create hook: %w", err)
		}
		h.RecentFailures, h.DisabledUntil, h.CreatedAt, h.UpdatedAt = 0, nil, now, now
		return nil
	})
}

func checkHookLimitTx(ctx context.Context, tx *sqlx.Tx, h *model.Hook) error {
	var (
		limit, n int
		err      error
	)
	switch h.Kind {
	case model.ProjectHookKind:
		if err = tx.GetContext(ctx, &limit, `SELECT project_hooks_limit FROM application_settings WHERE id = 1`); err == nil {
			err = tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM hooks WHERE project_id = ?`), h.ProjectID)
		}
	case model.GroupHookKind:
		if err = tx.GetContext(ctx, &limit, `SELECT group_hooks_limit FROM application_settings WHERE id = 1`); err == nil {
			err = tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM hooks WHERE group_id = ?`), h.GroupID)
		}
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("count hooks: %w", err)
	}
	return model.CheckHookLimit(h.Kind, n, limit)
}

// Hook returns a hook by ID with its secrets decrypted.
func (s *Store) Hook(ctx context.Context, id int64) (*model.Hook, error) {
	var r hookRow
	if err := s.get(ctx, &r, errHookNotFound, `SELECT `+hookColumns+` FROM hooks h WHERE h.id = ?`, id); err != nil {
		return nil, err
	}
	h, err := s.openHook(&r)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// HooksByProject lists a project's hooks, oldest first.
func (s *Store) HooksByProject(ctx context.Context, projectID int64) ([]model.Hook, error) {
	return s.selectHooks(ctx, `SELECT `+hookColumns+` FROM hooks h WHERE h.project_id = ? ORDER BY h.id`, projectID)
}

// HooksByGroup lists a group's own hooks (not its ancestors'), oldest first.
func (s *Store) HooksByGroup(ctx context.Context, groupID int64) ([]model.Hook, error) {
	return s.selectHooks(ctx, `SELECT `+hookColumns+` FROM hooks h WHERE h.group_id = ? ORDER BY h.id`, groupID)
}

// SystemHooks lists the system hooks, oldest first.
func (s *Store) SystemHooks(ctx context.Context) ([]model.Hook, error) {
	return s.selectHooks(ctx, `SELECT `+hookColumns+` FROM hooks h WHERE h.kind = 'SystemHook' ORDER BY h.id`)
}

// CountHooks counts the hooks of one parent: a project's for
// ProjectHookKind, a group's for GroupHookKind (parentID is ignored for
// system hooks).
func (s *Store) CountHooks(ctx context.Context, kind model.HookKind, parentID int64) (int, error) {
	var n int
	var err error
	switch kind {
	case model.ProjectHookKind:
		err = s.get(ctx, &n, nil, `SELECT COUNT(*) FROM hooks WHERE project_id = ?`, parentID)
	case model.GroupHookKind:
		err = s.get(ctx, &n, nil, `SELECT COUNT(*) FROM hooks WHERE group_id = ?`, parentID)
	case model.SystemHookKind:
		err = s.get(ctx, &n, nil, `SELECT COUNT(*) FROM hooks WHERE kind = 'SystemHook'`)
	default:
		return 0, fmt.Errorf("count hooks: unknown kind %q", kind)
	}
	return n, err
}

// errHookChanged answers an update whose hook was changed by someone else
// since it was read.
var errHookChanged = model.Conflict("The webhook was changed by someone else in the meantime. Reload it and try again.")

// UpdateHook validates h and stores its configuration (everything except
// the auto-disable state, which the delivery engine owns). h.UpdatedAt must
// be the value it was read with: the write is refused with a conflict when
// the stored hook changed since, so that merging URL variables and custom
// headers over what was read never loses a concurrent change. On success
// h.UpdatedAt is the new value.
func (s *Store) UpdateHook(ctx context.Context, h *model.Hook) error {
	h.Normalize()
	if err := h.Validate(); err != nil {
		return err
	}
	sealed, err := s.sealHook(h)
	if err != nil {
		return err
	}
	read := storeTime(h.UpdatedAt)
	now := storeTime(s.Now())
	if !now.After(read) {
		now = read.Add(time.Microsecond)
	}
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE hooks SET
			url = ?, token = ?, signing_token = ?, url_variables = ?, custom_headers = ?, name = ?, description = ?, events = ?,
			push_events_branch_filter = ?, branch_filter_strategy = ?, enable_ssl_verification = ?,
			custom_webhook_template = ?, updated_at = ?
			WHERE id = ? AND updated_at = ?`),
			sealed.url, sealed.token, sealed.signingToken, sealed.vars, sealed.headers, h.Name, h.Description, int64(h.Events),
			h.PushEventsBranchFilter, h.BranchFilterStrategy, h.EnableSSLVerification, h.CustomWebhookTemplate,
			now, h.ID, read)
		if err != nil {
			return fmt.Errorf("update hook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := tx.GetContext(ctx, &one, tx.Rebind(`SELECT 1 FROM hooks WHERE id = ?`), h.ID)
			if errors.Is(err, sql.ErrNoRows) {
				return errHookNotFound
			}
			if err != nil {
				return err
			}
			return errHookChanged
		}
		h.UpdatedAt = now
		return nil
	})
}

// DeleteHook removes a hook.
func (s *Store) DeleteHook(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM hooks WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("delete hook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errHookNotFound
		}
		return nil
	})
}

// HookQuery selects the hooks an event fans out to.
type HookQuery struct {
	// ProjectID selects the project's hooks (0: none).
	ProjectID int64
	// GroupIDs selects these groups' hooks: for a project event the
	// project's group and all its ancestors (GroupSelfAndAncestorIDs).
	GroupIDs []int64
	// System adds the system hooks.
	System bool
	// Trigger, a trigger attribute ("push_events"), keeps only the hooks
	// subscribed to it; empty keeps all.
	Trigger string
	// ExecutableAt, when set, leaves out project and group hooks that are
	// auto-disabled at that time (model.Hook.Executable's rule). Leave it
	// zero when auto_disabling_web_hooks is off.
	ExecutableAt time.Time
}

// HooksForEvent returns, decrypted and ordered by ID, the hooks q selects:
// what the delivery engine reads at fan-out, in one query.
func (s *Store) HooksForEvent(ctx context.Context, q HookQuery) ([]model.Hook, error) {
	var owners []string
	args := map[string]any{}
	if q.ProjectID != 0 {
		owners = append(owners, "h.project_id = :project")
		args["project"] = q.ProjectID
	}
	if len(q.GroupIDs) > 0 {
		owners = append(owners, "h.group_id IN (:groups)")
		args["groups"] = q.GroupIDs
	}
	if q.System {
		owners = append(owners, "h.kind = 'SystemHook'")
	}
	if len(owners) == 0 {
		return []model.Hook{}, nil
	}
	where := []string{"(" + strings.Join(owners, " OR ") + ")"}
	if q.Trigger != "" {
		bit := model.NewTriggerSet(q.Trigger)
		if bit == 0 {
			return nil, fmt.Errorf("hooks for event: unknown trigger %q", q.Trigger)
		}
		where = append(where, "(h.events & :bit) <> 0")
		args["bit"] = int64(bit)
	}
	if !q.ExecutableAt.IsZero() {
		// The SQL form of model.Hook.Executable (see hook_state.go).
		where = append(where, `(h.kind = 'SystemHook' OR h.recent_failures <= :temp
			OR (h.recent_failures <= :perm AND (h.disabled_until IS NULL OR h.disabled_until < :now)))`)
		args["temp"] = model.TemporarilyDisabledFailureThreshold
		args["perm"] = model.PermanentlyDisabledFailureThreshold
		args["now"] = storeTime(q.ExecutableAt)
	}
	query, a, err := sqlx.Named(`SELECT `+hookColumns+` FROM hooks h WHERE `+strings.Join(where, " AND ")+` ORDER BY h.id`, args)
	if err != nil {
		return nil, err
	}
	if query, a, err = sqlx.In(query, a...); err != nil {
		return nil, err
	}
	return s.selectHooks(ctx, query, a...)
}

// UpdateHookState changes a hook's auto-disable state atomically: fn gets
// the hook's current state (ID, kind, owner, recent_failures,
// disabled_until; no secrets) inside the write transaction and reports
// whether it changed it, as model.Hook.RecordFailure and RecordSuccess do.
// The configuration and updated_at are left alone. It returns the state
// after fn.
func (s *Store) UpdateHookState(ctx context.Context, id int64, fn func(h *model.Hook) bool) (model.Hook, error) {
	var h model.Hook
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &h, tx.Rebind(`SELECT id, kind, project_id, group_id, recent_failures, disabled_until
			FROM hooks WHERE id = ?`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return errHookNotFound
		}
		if err != nil {
			return fmt.Errorf("read hook state: %w", err)
		}
		if h.DisabledUntil != nil {
			t := h.DisabledUntil.UTC()
			h.DisabledUntil = &t
		}
		if !fn(&h) {
			return nil
		}
		var until *time.Time
		if h.DisabledUntil != nil {
			t := storeTime(*h.DisabledUntil)
			until = &t
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE hooks SET recent_failures = ?, disabled_until = ? WHERE id = ?`),
			h.RecentFailures, until, id)
		if err != nil {
			return fmt.Errorf("update hook state: %w", err)
		}
		h.DisabledUntil = until
		return nil
	})
	return h, err
}
