package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

type hookLogRow struct {
	ID                   int64        `db:"id"`
	HookID               int64        `db:"hook_id"`
	EventID              *int64       `db:"event_id"`
	Trigger              string       `db:"trigger_scope"`
	URL                  string       `db:"url"`
	URLHash              string       `db:"url_hash"`
	RequestHeaders       string       `db:"request_headers"`
	RequestData          Blob         `db:"request_data"`
	EventPayload         TolerantBlob `db:"event_payload"`
	ResponseStatus       string       `db:"response_status"`
	ResponseHeaders      string       `db:"response_headers"`
	ResponseBody         []byte       `db:"response_body"`
	ExecutionDuration    float64      `db:"execution_duration"`
	InternalErrorMessage string       `db:"internal_error_message"`
	IdempotencyKey       string       `db:"idempotency_key"`
	CreatedAt            time.Time    `db:"created_at"`
}

// model is the row as shown. A row without its own request data refers to
// its event, whose payload is shown with e-mail values redacted, as it was
// logged when sent.
func (r *hookLogRow) model() model.HookLog {
	data := []byte(r.RequestData)
	if data == nil && r.EventPayload.Blob != nil {
		if logged, err := model.RedactEmailsJSON(r.EventPayload.Blob); err == nil {
			data = logged
		}
	}
	// Rows are written masked; masking again (idempotent) keeps a row that
	// a faulty mask let through from being shown.
	return model.HookLog{ID: r.ID, HookID: r.HookID, EventID: r.EventID, Trigger: r.Trigger, URL: model.MaskURLUserinfo(r.URL), URLHash: r.URLHash,
		RequestHeaders: model.ParseHeaders(r.RequestHeaders), RequestData: data, ResponseStatus: r.ResponseStatus,
		ResponseHeaders: model.ParseHeaders(r.ResponseHeaders), ResponseBody: r.ResponseBody, ExecutionDuration: r.ExecutionDuration,
		InternalErrorMessage: r.InternalErrorMessage, IdempotencyKey: r.IdempotencyKey, CreatedAt: r.CreatedAt}
}

// hookLogSelect reads a log row with the event's payload, which stands in
// for request_data when the body was sent unchanged (see model).
const hookLogSelect = `SELECT l.id, l.hook_id, l.event_id, l.trigger_scope, l.url, l.url_hash, l.request_headers,
	l.request_data, CASE WHEN l.request_data IS NULL THEN e.payload END AS event_payload,
	l.response_status, l.response_headers, l.response_body,
	l.execution_duration, l.internal_error_message, l.idempotency_key, l.created_at
	FROM hook_logs l LEFT JOIN events e ON e.id = l.event_id`

var errHookLogNotFound = model.NotFound("Hook log")

// HookLog returns one log row of a hook.
func (s *Store) HookLog(ctx context.Context, hookID, id int64) (*model.HookLog, error) {
	var r hookLogRow
	if err := s.get(ctx, &r, errHookLogNotFound, hookLogSelect+` WHERE l.hook_id = ? AND l.id = ?`, hookID, id); err != nil {
		return nil, err
	}
	l := r.model()
	return &l, nil
}

// HookLogSentBody returns the body a log row's request sent, for Resend:
// the event's payload as receivers got it when the row refers to it (the
// log shows a copy with e-mail addresses redacted), else the row's own
// request_data (a rendered template, or a resent body).
func (s *Store) HookLogSentBody(ctx context.Context, hookID, id int64) ([]byte, error) {
	var body TolerantBlob
	if err := s.get(ctx, &body, errHookLogNotFound, `SELECT COALESCE(l.request_data, e.payload) FROM hook_logs l
		LEFT JOIN events e ON e.id = l.event_id WHERE l.hook_id = ? AND l.id = ?`, hookID, id); err != nil {
		return nil, err
	}
	if body.Err != nil {
		return nil, model.Unprocessable("The logged request body cannot be sent again: its stored copy is damaged (%v)", body.Err)
	}
	return []byte(body.Blob), nil
}

// HookLogFilter narrows a hook's recent events.
type HookLogFilter struct {
	Since time.Time
	// Statuses are exact codes ("200") or classes: "successful" (2xx),
	// "client_failure" (4xx), "server_failure" (5xx and internal errors, as
	// GitLab's API filter), "server_error" (5xx only) and "internal_error"
	// (internal errors only).
	Statuses []string
	Triggers []string
	Page     Page
}

// HookLogs lists a hook's log rows, newest first, with the total count.
func (s *Store) HookLogs(ctx context.Context, hookID int64, f HookLogFilter) ([]model.HookLog, int, error) {
	where := "l.hook_id = :hook AND l.created_at >= :since"
	args := map[string]any{"hook": hookID, "since": f.Since}
	if len(f.Statuses) > 0 {
		var codes []string
		var conds []string
		for _, st := range f.Statuses {
			switch st {
			case "successful":
				conds = append(conds, "(l.response_status >= '200' AND l.response_status < '300' AND length(l.response_status) = 3)")
			case "client_failure":
				conds = append(conds, "(l.response_status >= '400' AND l.response_status < '500' AND length(l.response_status) = 3)")
			case "server_failure":
				conds = append(conds, "((l.response_status >= '500' AND length(l.response_status) = 3) OR l.response_status = 'internal error')")
			case "server_error":
				conds = append(conds, "(l.response_status >= '500' AND length(l.response_status) = 3)")
			case "internal_error":
				conds = append(conds, "l.response_status = 'internal error'")
			default:
				codes = append(codes, st)
			}
		}
		if len(codes) > 0 {
			conds = append(conds, "l.response_status IN (:codes)")
			args["codes"] = codes
		}
		where += " AND (" + joinOr(conds) + ")"
	}
	if len(f.Triggers) > 0 {
		where += " AND l.trigger_scope IN (:triggers)"
		args["triggers"] = f.Triggers
	}
	var total int
	if err := s.named(ctx, &total, true, `SELECT COUNT(*) FROM hook_logs l WHERE `+where, args); err != nil {
		return nil, 0, fmt.Errorf("count hook logs: %w", err)
	}
	args["limit"], args["offset"] = f.Page.PerPage, f.Page.Offset()
	var rows []hookLogRow
	if err := s.named(ctx, &rows, false, hookLogSelect+` WHERE `+where+` ORDER BY l.created_at DESC, l.id DESC LIMIT :limit OFFSET :offset`, args); err != nil {
		return nil, 0, fmt.Errorf("list hook logs: %w", err)
	}
	out := make([]model.HookLog, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out, total, nil
}

func joinOr(conds []string) string {
	s := ""
	for i, c := range conds {
		if i > 0 {
			s += " OR "
		}
		s += c
	}
	return s
}

// NoteRateLimited records that a top-level group hit web_hook_calls, at
// most once a minute per group.
func (s *Store) NoteRateLimited(ctx context.Context, rootGroupID int64, at time.Time) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO hook_rate_limits (root_group_id, limited_at) VALUES (?, ?)
			ON CONFLICT (root_group_id) DO UPDATE SET limited_at = excluded.limited_at
			WHERE hook_rate_limits.limited_at < ?`), rootGroupID, at, at.Add(-time.Minute))
		return err
	})
}

// RateLimitedSince reports when the group's top-level group last hit the
// web_hook_calls limit, if after since.
func (s *Store) RateLimitedSince(ctx context.Context, rootGroupID int64, since time.Time) (*time.Time, error) {
	var at []time.Time
	err := s.sel(ctx, &at, `SELECT limited_at FROM hook_rate_limits WHERE root_group_id = ? AND limited_at >= ?`, rootGroupID, since)
	if err != nil || len(at) == 0 {
		return nil, err
	}
	return &at[0], nil
}

// pruneBatch keeps each delete transaction short.
const pruneBatch = 2000

// Prune deletes log rows older than retentionDays and events nothing
// refers to any more (past the recursion window), and rate limit counters
// of windows long over. It returns how many log rows went.
func (s *Store) Prune(ctx context.Context, now time.Time, retentionDays int) (int, error) {
	cutoff := now.AddDate(0, 0, -retentionDays)
	logs, err := s.deleteInBatches(ctx, `DELETE FROM hook_logs WHERE id IN (SELECT id FROM hook_logs WHERE created_at < ? LIMIT ?)`, cutoff)
	if err != nil {
		return logs, err
	}
	_, err = s.deleteInBatches(ctx, `DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < ?
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
		AND NOT EXISTS (SELECT 1 FROM hook_logs l WHERE l.event_id = e.id)
		AND NOT EXISTS (SELECT 1 FROM sample_events s WHERE s.event_id = e.id)
		AND NOT EXISTS (SELECT 1 FROM group_sample_events g WHERE g.event_id = e.id) LIMIT ?)`, now.Add(-2*RecursionWindow))
	if err != nil {
		return logs, err
	}
	return logs, s.pruneCounters(ctx, now)
}

func (s *Store) deleteInBatches(ctx context.Context, query string, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.tx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, tx.Rebind(query), before, pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}
