package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// notificationEventNames are the tri-state event columns, in
// model.NotificationEvents order; the names are model constants, never input.
var notificationEventNames = func() []string {
	names := make([]string, len(model.NotificationEvents))
	for i, e := range model.NotificationEvents {
		names[i] = string(e)
	}
	return names
}()

var notificationEventColumns = strings.Join(notificationEventNames, ", ")

const notificationBaseColumns = `user_id, group_id, project_id, level, notification_email`

// notificationRows reads settings rows matching where (a condition on the
// table's columns).
func (s *Store) notificationRows(ctx context.Context, where string, args ...any) ([]model.NotificationSetting, error) {
	rows, err := s.r.QueryxContext(ctx, s.r.Rebind(`SELECT `+notificationBaseColumns+`, `+notificationEventColumns+`
		FROM notification_settings WHERE `+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	defer rows.Close()
	out := []model.NotificationSetting{}
	for rows.Next() {
		var (
			st                 model.NotificationSetting
			groupID, projectID sql.NullInt64
			email              sql.NullString
			events             = make([]sql.NullBool, len(model.NotificationEvents))
		)
		dst := []any{&st.UserID, &groupID, &projectID, &st.Level, &email}
		for i := range events {
			dst = append(dst, &events[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("notification settings: %w", err)
		}
		switch {
		case groupID.Valid:
			st.SourceType, st.SourceID = model.SourceGroup, groupID.Int64
		case projectID.Valid:
			st.SourceType, st.SourceID = model.SourceProject, projectID.Int64
		default:
			st.SourceType = model.SourceGlobal
		}
		st.NotificationEmail = email.String
		st.Events = map[model.NotificationEvent]*bool{}
		for i, e := range model.NotificationEvents {
			if events[i].Valid {
				st.SetEvent(e, &events[i].Bool)
			}
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// notificationWhere selects one user's row for a source.
func notificationWhere(userID int64, sourceType string, sourceID int64) (string, []any) {
	switch sourceType {
	case model.SourceGroup:
		return `user_id = ? AND group_id = ?`, []any{userID, sourceID}
	case model.SourceProject:
		return `user_id = ? AND project_id = ?`, []any{userID, sourceID}
	}
	return `user_id = ? AND group_id IS NULL AND project_id IS NULL`, []any{userID}
}

// NotificationSetting returns a user's setting for a group or project
// (sourceType model.SourceGroup or model.SourceProject) or their global
// setting (model.SourceGlobal, sourceID 0); the default when they never
// chose one.
func (s *Store) NotificationSetting(ctx context.Context, userID int64, sourceType string, sourceID int64) (model.NotificationSetting, error) {
	where, args := notificationWhere(userID, sourceType, sourceID)
	rows, err := s.notificationRows(ctx, where, args...)
	if err != nil {
		return model.NotificationSetting{}, err
	}
	if len(rows) == 0 {
		return model.DefaultNotificationSetting(userID, sourceType, sourceID), nil
	}
	return rows[0], nil
}

// GlobalNotificationSetting returns a user's global setting (level,
// notification e-mail, events).
func (s *Store) GlobalNotificationSetting(ctx context.Context, userID int64) (model.NotificationSetting, error) {
	return s.NotificationSetting(ctx, userID, model.SourceGlobal, 0)
}

// UserNotificationSettings returns every setting a user stored: global,
// groups and projects. Sources without a row are at their default.
func (s *Store) UserNotificationSettings(ctx context.Context, userID int64) ([]model.NotificationSetting, error) {
	return s.notificationRows(ctx, `user_id = ?`, userID)
}

// SaveNotificationSetting stores a user's setting for its source, replacing
// the one before. NotificationEmail is kept for the global setting only.
func (s *Store) SaveNotificationSetting(ctx context.Context, st model.NotificationSetting) error {
	if !st.Level.Valid() {
		return fmt.Errorf("save notification setting: invalid level %d", st.Level)
	}
	var email *string
	if st.SourceType == model.SourceGlobal && st.NotificationEmail != "" {
		email = &st.NotificationEmail
	}
	values := []any{st.Level, email}
	for _, e := range model.NotificationEvents {
		values = append(values, st.Event(e))
	}
	now := s.Now()
	where, whereArgs := notificationWhere(st.UserID, st.SourceType, st.SourceID)
	set := make([]string, 0, len(values))
	for _, c := range append([]string{"level", "notification_email"}, notificationEventNames...) {
		set = append(set, c+" = ?")
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notification_settings SET `+strings.Join(set, ", ")+`, updated_at = ? WHERE `+where),
			append(append(values, now), whereArgs...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var groupID, projectID *int64
		switch st.SourceType {
		case model.SourceGroup:
			groupID = &st.SourceID
		case model.SourceProject:
			projectID = &st.SourceID
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", 3+len(values)+2), ", ")
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notification_settings
			(`+notificationBaseColumns+`, `+notificationEventColumns+`, created_at, updated_at) VALUES (`+marks+`)`),
			append(append([]any{st.UserID, groupID, projectID}, values...), now, now)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("save notification setting: %w", err)
	}
	return nil
}

// NotificationChain returns a user's settings for a project or group and
// every group above it, nearest first: a project's own setting, its
// group's, then each ancestor's up to the root. Missing rows are defaults
// ("global"). With the user's global setting it is what
// model.EffectiveNotificationSetting resolves.
func (s *Store) NotificationChain(ctx context.Context, userID int64, sourceType string, sourceID int64) ([]model.NotificationSetting, error) {
	var chain []model.NotificationSetting
	groupID := sourceID
	switch sourceType {
	case model.SourceProject:
		p, err := s.Project(ctx, sourceID)
		if err != nil {
			return nil, err
		}
		chain = append(chain, model.DefaultNotificationSetting(userID, model.SourceProject, p.ID))
		groupID = p.GroupID
	case model.SourceGroup:
	default:
		return nil, nil
	}
	ancestors, err := s.GroupAncestors(ctx, groupID)
	if err != nil {
		return nil, err
	}
	chain = append(chain, model.DefaultNotificationSetting(userID, model.SourceGroup, groupID))
	for i := len(ancestors) - 1; i >= 0; i-- {
		chain = append(chain, model.DefaultNotificationSetting(userID, model.SourceGroup, ancestors[i].ID))
	}
	where, args := `user_id = ? AND (group_id IN (?)`, []any{userID, chainGroupIDs(chain)}
	if sourceType == model.SourceProject {
		where += ` OR project_id = ?`
		args = append(args, sourceID)
	}
	q, args, err := sqlx.In(where+`)`, args...)
	if err != nil {
		return nil, err
	}
	rows, err := s.notificationRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		for i := range chain {
			if chain[i].SourceType == r.SourceType && chain[i].SourceID == r.SourceID {
				chain[i] = r
			}
		}
	}
	return chain, nil
}

func chainGroupIDs(chain []model.NotificationSetting) []int64 {
	var ids []int64
	for _, s := range chain {
		if s.SourceType == model.SourceGroup {
			ids = append(ids, s.SourceID)
		}
	}
	return ids
}

// EffectiveNotificationSetting returns the setting that decides a user's
// e-mail about a project or group: the thing's own setting unless
// it is "global", else the nearest ancestor group's that is not, else the
// user's global setting. Recipient selection asks this; for a custom result,
// EventEnabled says whether an event is wanted.
func (s *Store) EffectiveNotificationSetting(ctx context.Context, userID int64, sourceType string, sourceID int64) (model.NotificationSetting, error) {
	chain, err := s.NotificationChain(ctx, userID, sourceType, sourceID)
	if err != nil {
		return model.NotificationSetting{}, err
	}
	global, err := s.GlobalNotificationSetting(ctx, userID)
	if err != nil {
		return model.NotificationSetting{}, err
	}
	return model.EffectiveNotificationSetting(global, chain...), nil
}
