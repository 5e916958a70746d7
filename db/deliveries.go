package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// Claim is a pending delivery a worker has leased.
type Claim struct {
	ID             int64  `db:"id"`
	EventID        int64  `db:"event_id"`
	HookID         int64  `db:"hook_id"`
	IdempotencyKey string `db:"idempotency_key"`
	Attempts       int    `db:"attempts"`
	// PayloadSize is what the delivery holds in memory while it is sent:
	// its event's payload, plus what its hook's custom template can render
	// (model.HeldBytes); 0 for deliveries stored before it was kept.
	PayloadSize int64 `db:"payload_size"`
}

// ClaimLimits bound what one claim takes.
type ClaimLimits struct {
	// Count is the most deliveries to claim.
	Count int
	// Bytes, when above 0, bounds the sum of the claimed deliveries'
	// payload sizes.
	Bytes int64
	// FirstAnySize claims the first delivery whatever its size, so that a
	// payload bigger than Bytes is still sent (by a caller holding nothing
	// else).
	FirstAnySize bool
	// Room, when set, is the most deliveries to claim for a hook. It is
	// asked once per hook with due deliveries, in the order they are
	// served, inside the claim's transaction: a caller may reserve that
	// room and give back what the claim did not use.
	Room func(hookID int64) int
}

// ClaimDeliveries leases due deliveries to owner until leaseUntil, within limits:
// at most limits.Room(hookID) for each hook (so a slow hook's backlog
// cannot fill the caller's queue) and at most limits.Bytes of payloads (so
// what the caller holds in memory stays bounded however large the events).
// Hooks are served in the order of their oldest due delivery, each hook's
// deliveries oldest first; it goes hook by hook, so a long backlog of one
// hook costs a claim nothing when that hook has no room. A claimed row is
// not due again before the lease ends, so two workers never send it at
// once, and a delivery already leased to owner is never claimed by it again
// (it is owner's to send, even if its lease ran out before a heartbeat
// renewed it); if the owner dies before recording the outcome, it falls due
// again and is resent with the same idempotency key. waiting lists the
// hooks that still have due deliveries after the claim (the limits cut it
// short).
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limits ClaimLimits) (claims []Claim, waiting []int64, err error) {
	var out []Claim
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		due, err := dueHooks(ctx, tx, now)
		if err != nil {
			return err
		}
		pick, err := tx.PreparexContext(ctx, tx.Rebind(`SELECT id, payload_size FROM deliveries
			WHERE hook_id = ? AND available_at <= ? AND (lease_owner IS NULL OR lease_owner <> ?)
			ORDER BY available_at, id LIMIT ?`+s.d.claimLock))
		if err != nil {
			return err
		}
		defer pick.Close()
		type picked struct {
			ID   int64 `db:"id"`
			Size int64 `db:"payload_size"`
		}
		ids := make([]int64, 0, limits.Count)
		var bytes int64
		full := false
		for _, hookID := range due {
			n := limits.Count - len(ids)
			if limits.Room != nil {
				n = min(n, limits.Room(hookID))
			}
			if n <= 0 || full {
				waiting = append(waiting, hookID)
				continue
			}
			var got []picked
			if err := pick.SelectContext(ctx, &got, hookID, now, owner, n+1); err != nil {
				return err
			}
			left := len(got) > n
			for _, g := range got[:min(n, len(got))] {
				if limits.Bytes > 0 && (len(ids) > 0 || !limits.FirstAnySize) && bytes+g.Size > limits.Bytes {
					full, left = true, true
					break
				}
				ids = append(ids, g.ID)
				bytes += g.Size
			}
			if left {
				waiting = append(waiting, hookID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`SELECT id, event_id, hook_id, idempotency_key, attempts + 1 AS attempts, payload_size
			FROM deliveries WHERE id IN (?)`, ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &out, tx.Rebind(q), args...); err != nil {
			return err
		}
		q, args, err = sqlx.In(`UPDATE deliveries SET available_at = ?, lease_owner = ?, attempts = attempts + 1 WHERE id IN (?)`,
			leaseUntil.UTC(), owner, ids)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, waiting, nil
}

// dueHooks lists the hooks with due deliveries, the longest waiting first.
// The hooks with any pending delivery are found by skipping through
// deliveries_hook from one hook to the next (a loose index scan: a seek
// per hook, however many deliveries each has), and each one's oldest due
// delivery by one more seek.
func dueHooks(ctx context.Context, tx *sqlx.Tx, now time.Time) ([]int64, error) {
	var due []int64
	err := tx.SelectContext(ctx, &due, tx.Rebind(`WITH RECURSIVE pending(hook_id) AS (
			SELECT MIN(hook_id) FROM deliveries
			UNION ALL
			SELECT (SELECT MIN(hook_id) FROM deliveries WHERE hook_id > pending.hook_id) FROM pending WHERE pending.hook_id IS NOT NULL)
		SELECT hook_id FROM (
			SELECT hook_id, (SELECT MIN(available_at) FROM deliveries d WHERE d.hook_id = pending.hook_id AND d.available_at <= ?) AS oldest
			FROM pending WHERE hook_id IS NOT NULL) AS due
		WHERE oldest IS NOT NULL ORDER BY oldest, hook_id`), now)
	if err != nil {
		return nil, fmt.Errorf("hooks with due deliveries: %w", err)
	}
	return due, nil
}

// ReleaseDeliveries makes deliveries leased to owner due again at once
// (graceful shutdown hands back work it did not start); deliveries whose
// lease owner has changed are left alone.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`UPDATE deliveries SET available_at = ?, lease_owner = NULL WHERE lease_owner = ? AND id IN (?)`,
			s.Now(), owner, ids)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
		return err
	})
}

// PendingDeliveries counts deliveries not yet recorded.
func (s *Store) PendingDeliveries(ctx context.Context) (int, error) {
	var n int
	return n, s.get(ctx, &n, nil, `SELECT COUNT(*) FROM deliveries`)
}

// NextDue returns when the earliest pending delivery falls due, or nil.
func (s *Store) NextDue(ctx context.Context) (*time.Time, error) {
	var t []time.Time
	if err := s.sel(ctx, &t, `SELECT available_at FROM deliveries ORDER BY available_at LIMIT 1`); err != nil {
		return nil, err
	}
	if len(t) == 0 {
		return nil, nil
	}
	return &t[0], nil
}

// DeliveryEvent is what sending needs of an event.
type DeliveryEvent struct {
	ID          int64  `db:"id"`
	UUID        string `db:"uuid"`
	ProjectID   *int64 `db:"project_id"`
	RootGroupID *int64 `db:"root_group_id"`
	Scope       string `db:"trigger_scope"`
	Payload     Blob   `db:"payload"`
}

// DeliveryEvents loads events by ID. An event whose stored payload cannot
// be read (a damaged row) comes without its payload, and with the reason
// in unreadable, so that it fails alone instead of every event loaded with
// it.
func (s *Store) DeliveryEvents(ctx context.Context, ids []int64) (events map[int64]*DeliveryEvent, unreadable map[int64]error, err error) {
	events = map[int64]*DeliveryEvent{}
	if len(ids) == 0 {
		return events, nil, nil
	}
	q, args, err := sqlx.In(`SELECT id, uuid, project_id, root_group_id, trigger_scope, payload AS stored_payload
		FROM events WHERE id IN (?)`, ids)
	if err != nil {
		return nil, nil, err
	}
	var rows []struct {
		DeliveryEvent
		Stored TolerantBlob `db:"stored_payload"`
	}
	if err := s.sel(ctx, &rows, q, args...); err != nil {
		return nil, nil, fmt.Errorf("load events: %w", err)
	}
	for i := range rows {
		ev := &rows[i].DeliveryEvent
		ev.Payload = rows[i].Stored.Blob
		if err := rows[i].Stored.Err; err != nil {
			if unreadable == nil {
				unreadable = map[int64]error{}
			}
			unreadable[ev.ID] = fmt.Errorf("the stored payload of event %d cannot be read: %w", ev.ID, err)
		}
		events[ev.ID] = ev
	}
	return events, unreadable, nil
}

// Outcome is one finished delivery attempt to record.
type Outcome struct {
	// DeliveryID is the outbox row the attempt finishes; 0 for Test and
	// Resend, which have none.
	DeliveryID int64
	// Log is the attempt's log row; nil drops the delivery without one
	// (disabled hook, rate limit, hook gone).
	Log *model.HookLog
	// Success says the receiver answered 2xx/3xx; it drives auto-disable.
	Success bool
	// CountsForState says the attempt updates the hook's failure state
	// (project and group hooks; not for dropped deliveries).
	CountsForState bool
}

// hookLogInsertChunk is how many log rows one INSERT writes (14
// parameters each, well under SQLite's limit).
const hookLogInsertChunk = 100

const hookLogInsert = `INSERT INTO hook_logs
	(hook_id, event_id, trigger_scope, url, url_hash, request_headers, request_data, response_status,
	 response_headers, response_body, execution_duration, internal_error_message, idempotency_key, created_at) VALUES `

// insertHookLogs writes log rows, many per statement. A single row gets
// its ID back (Test and Resend show it); a batch from the engine does not
// need them.
func insertHookLogs(ctx context.Context, tx *sqlx.Tx, logs []*model.HookLog) error {
	row := func(l *model.HookLog) []any {
		return []any{l.HookID, l.EventID, l.Trigger, l.URL, l.URLHash, l.RequestHeadersJSON(), l.RequestData,
			l.ResponseStatus, l.ResponseHeadersJSON(), l.ResponseBody, l.ExecutionDuration, l.InternalErrorMessage,
			l.IdempotencyKey, l.CreatedAt}
	}
	const values = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	if len(logs) == 1 {
		if err := tx.QueryRowxContext(ctx, tx.Rebind(hookLogInsert+values+" RETURNING id"), row(logs[0])...).Scan(&logs[0].ID); err != nil {
			return fmt.Errorf("insert hook log: %w", err)
		}
		return nil
	}
	for start := 0; start < len(logs); start += hookLogInsertChunk {
		chunk := logs[start:min(start+hookLogInsertChunk, len(logs))]
		args := make([]any, 0, 14*len(chunk))
		for _, l := range chunk {
			args = append(args, row(l)...)
		}
		q := hookLogInsert + values + strings.Repeat(", "+values, len(chunk)-1)
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("insert hook logs: %w", err)
		}
	}
	return nil
}

// RecordOutcomes stores many attempts in one short transaction: each log
// row, the end of each delivery, and each hook's auto-disable state,
// applied in order — so a log row and the state it caused are never
// apart.
//
// A delivery's outcome is recorded only while its lease is still owner's:
// one whose lease was taken over (it ran out and another instance claimed
// it) or whose row is gone (its hook was deleted) is left out — no log
// row, no change to the hook's state — and returned in lost. An outcome
// without a delivery (Test, Resend) is recorded only while its hook exists,
// so a log row never lands under a hook that was deleted meanwhile.
func (s *Store) RecordOutcomes(ctx context.Context, owner string, outs []Outcome) (res RecordResult, err error) {
	if len(outs) == 0 {
		return res, nil
	}
	st, err := s.CachedSettings(ctx)
	if err != nil {
		return res, err
	}
	now := s.Now()
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		res = RecordResult{}
		ended, err := endDeliveries(ctx, tx, owner, outs)
		if err != nil {
			return err
		}
		hooks, err := existingHooks(ctx, tx, outs)
		if err != nil {
			return err
		}
		var keep []*Outcome
		var logs []*model.HookLog
		var order []int64
		states := map[int64]*model.Hook{}
		for i := range outs {
			o := &outs[i]
			if o.DeliveryID != 0 && !ended[o.DeliveryID] {
				res.Lost = append(res.Lost, o.DeliveryID)
				continue
			}
			l := o.Log
			if l == nil {
				continue
			}
			if o.DeliveryID == 0 && !hooks[l.HookID] {
				continue
			}
			if l.CreatedAt.IsZero() {
				l.CreatedAt = now
			}
			logs = append(logs, l)
			keep = append(keep, o)
			if o.CountsForState {
				if _, ok := states[l.HookID]; !ok {
					states[l.HookID] = nil
					order = append(order, l.HookID)
				}
			}
		}
		if err := insertHookLogs(ctx, tx, logs); err != nil {
			return err
		}
		res.Recorded = len(logs)
		res.Disabled, err = updateHookStates(ctx, tx, keep, states, order, now, st.AutoDisablingWebHooks)
		return err
	})
	if err != nil {
		return RecordResult{}, err
	}
	return res, nil
}

// RecordResult says what RecordOutcomes did.
type RecordResult struct {
	// Lost are the deliveries whose outcome was not recorded because their
	// lease was no longer the owner's (or their row was gone).
	Lost []int64
	// Recorded is how many log rows were written.
	Recorded int
	// Disabled is how many hooks the outcomes disabled (for a while or
	// for good) that were executable before.
	Disabled int
}

// endDeliveries deletes the outcomes' outbox rows that are still leased to
// owner and returns which ones it deleted.
func endDeliveries(ctx context.Context, tx *sqlx.Tx, owner string, outs []Outcome) (map[int64]bool, error) {
	var ids []int64
	for _, o := range outs {
		if o.DeliveryID != 0 {
			ids = append(ids, o.DeliveryID)
		}
	}
	ended := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return ended, nil
	}
	q, args, err := sqlx.In(`DELETE FROM deliveries WHERE lease_owner = ? AND id IN (?) RETURNING id`, owner, ids)
	if err != nil {
		return nil, err
	}
	var got []int64
	if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("finish deliveries: %w", err)
	}
	for _, id := range got {
		ended[id] = true
	}
	return ended, nil
}

// existingHooks says which hooks of the outcomes without a delivery still
// exist.
func existingHooks(ctx context.Context, tx *sqlx.Tx, outs []Outcome) (map[int64]bool, error) {
	var ids []int64
	for _, o := range outs {
		if o.DeliveryID == 0 && o.Log != nil {
			ids = append(ids, o.Log.HookID)
		}
	}
	found := map[int64]bool{}
	if len(ids) == 0 {
		return found, nil
	}
	q, args, err := sqlx.In(`SELECT id FROM hooks WHERE id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var got []int64
	if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("find hooks: %w", err)
	}
	for _, id := range got {
		found[id] = true
	}
	return found, nil
}

// updateHookStates applies the recorded outcomes to their hooks'
// auto-disable state, in order, and writes the states that changed.
func updateHookStates(ctx context.Context, tx *sqlx.Tx, outs []*Outcome, states map[int64]*model.Hook, order []int64,
	now time.Time, autoDisabling bool) (disabled int, err error) {
	if len(order) == 0 {
		return 0, nil
	}
	q, args, err := sqlx.In(`SELECT id, kind, recent_failures, disabled_until FROM hooks WHERE id IN (?)`, order)
	if err != nil {
		return 0, err
	}
	var rows []fanoutHook
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return 0, fmt.Errorf("read hook state: %w", err)
	}
	wasExecutable := map[int64]bool{}
	for i := range rows {
		h := rows[i].model()
		states[h.ID] = &h
		wasExecutable[h.ID] = h.Executable(now, autoDisabling)
	}
	changed := map[int64]bool{}
	for _, o := range outs {
		if !o.CountsForState {
			continue
		}
		h := states[o.Log.HookID]
		if h == nil {
			continue // deleted meanwhile
		}
		var c bool
		if o.Success {
			c = h.RecordSuccess() // also re-enables a disabled hook (Test)
		} else {
			c = h.RecordFailure(o.Log.CreatedAt, autoDisabling)
		}
		changed[h.ID] = changed[h.ID] || c
	}
	upd, err := tx.PreparexContext(ctx, tx.Rebind(`UPDATE hooks SET recent_failures = ?, disabled_until = ? WHERE id = ?`))
	if err != nil {
		return 0, err
	}
	defer upd.Close()
	for _, id := range order {
		if h := states[id]; h != nil && changed[id] {
			var until *time.Time
			if h.DisabledUntil != nil {
				t := storeTime(*h.DisabledUntil)
				until = &t
			}
			if _, err := upd.ExecContext(ctx, h.RecentFailures, until, h.ID); err != nil {
				return 0, fmt.Errorf("update hook state: %w", err)
			}
			if wasExecutable[id] && !h.Executable(now, autoDisabling) {
				disabled++
			}
		}
	}
	return disabled, nil
}

// HooksByIDs loads hooks, decrypted, by ID; missing ones are left out.
func (s *Store) HooksByIDs(ctx context.Context, ids []int64) (map[int64]*model.Hook, error) {
	out := map[int64]*model.Hook{}
	if len(ids) == 0 {
		return out, nil
	}
	seen := map[int64]bool{}
	uniq := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	q, args, err := sqlx.In(`SELECT `+hookColumns+` FROM hooks h WHERE h.id IN (?)`, uniq)
	if err != nil {
		return nil, err
	}
	hooks, err := s.selectHooks(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	for i := range hooks {
		out[hooks[i].ID] = &hooks[i]
	}
	return out, nil
}
