package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// PublishEvent is one event of a publication, already prepared for
// sending: Payload is what receivers get (logs show it with e-mail values
// redacted).
type PublishEvent struct {
	Event   *model.Event
	Payload []byte
	// FireHooks is false when the push limit keeps this event's hooks
	// from firing; the event is still recorded as a sample.
	FireHooks bool

	// Filled in by PublishBatch.
	EventID     int64
	RootGroupID *int64
}

// Publication is what one publish request stores: every event under one
// X-Gitlab-Event-UUID, for a project or for a group.
type Publication struct {
	UUID string
	// Recursive says UUID came from the publishing request's own
	// X-Gitlab-Event-UUID, so recursion detection applies.
	Recursive bool
	ProjectID int64 // project events
	GroupID   int64 // group-level events (member, project, subgroup)
	Events    []PublishEvent
	// Branches are the publication's branch filter decisions when its
	// publisher made them (DecideBranchFilters); else PublishBatch makes
	// them, before its transaction.
	Branches BranchDecisions
}

// PublishResult says what was stored.
type PublishResult struct {
	UUID       string
	Deliveries int
}

// Recursion limits (GitLab's Gitlab::WebHooks::RecursionDetection).
const (
	RecursionWindow   = 30 * time.Minute
	RecursionMaxHooks = 100
)

// fanoutHook is what fan-out needs of a hook: no secret columns are read.
type fanoutHook struct {
	ID                     int64          `db:"id"`
	Kind                   model.HookKind `db:"kind"`
	Events                 int64          `db:"events"`
	PushEventsBranchFilter *string        `db:"push_events_branch_filter"`
	BranchFilterStrategy   string         `db:"branch_filter_strategy"`
	RecentFailures         int            `db:"recent_failures"`
	DisabledUntil          *time.Time     `db:"disabled_until"`
	// Template is the custom webhook template (fan-out only): a delivery
	// holds what it can render.
	Template string `db:"custom_webhook_template"`
}

func (f fanoutHook) model() model.Hook {
	return model.Hook{ID: f.ID, Kind: f.Kind, Events: model.TriggerSet(f.Events),
		PushEventsBranchFilter: f.PushEventsBranchFilter, BranchFilterStrategy: model.BranchFilterStrategy(f.BranchFilterStrategy),
		RecentFailures: f.RecentFailures, DisabledUntil: f.DisabledUntil}
}

// NewDelivery is a delivery a publication created.
type NewDelivery struct {
	ID             int64
	EventID        int64
	HookID         int64
	IdempotencyKey string
	// Leased says the delivery was created leased to the caller (see
	// PublishOptions.Admit), which must send it.
	Leased bool
	// Size is what it holds in memory while sent (model.HeldBytes).
	Size int64
}

// PublishOptions tune PublishBatch.
type PublishOptions struct {
	// Admit, when set, is asked inside the transaction whether the caller
	// takes the new deliveries of one publication into memory to send at
	// once: one per hook ID, with payloadBytes what they hold in memory in
	// all (each its payload and what its hook's template can render, see
	// model.HeldBytes). Those are created leased to LeaseOwner until LeaseUntil
	// instead of due now, which saves claiming them. If the caller dies
	// first, the lease runs out and they are claimed from the outbox like
	// any other.
	Admit      func(hookIDs []int64, payloadBytes int64) bool
	LeaseOwner string
	LeaseUntil time.Time
}

// Publish stores one publication; see PublishBatch.
func (s *Store) Publish(ctx context.Context, pub Publication) (PublishResult, error) {
	res, _, errs, err := s.PublishBatch(ctx, []Publication{pub}, PublishOptions{})
	if err != nil {
		return PublishResult{}, err
	}
	return res[0], errs[0]
}

// PublishBatch stores publications and one pending delivery per matching
// hook in one transaction (the outbox): when it returns, nothing of them
// can be lost. Concurrent publish requests are committed together, which is
// what lets SQLite keep up. A publication that cannot be stored (its
// project or group is gone) gets its own error in errs; err fails all.
//
// Fan-out: the project's hooks, the hooks of its group and
// every ancestor group, and system hooks for system triggers; a hook fires
// when it has the trigger, is executable, and (push only) its branch filter
// allows the branch.
func (s *Store) PublishBatch(ctx context.Context, pubs []Publication, opt PublishOptions) (results []PublishResult, created []NewDelivery, errs []error, err error) {
	st, err := s.CachedSettings(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	decided, err := s.decideBranchFilters(ctx, pubs)
	if err != nil {
		return nil, nil, nil, err
	}
	now := s.Now()
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		results, created, errs = make([]PublishResult, len(pubs)), nil, make([]error, len(pubs))
		p, err := prepareFanout(ctx, tx, s.d)
		if err != nil {
			return err
		}
		defer p.close()
		p.decided = decided
		// The batch's deliveries and samples are written together at the
		// end: a statement per publication cost more than its rows.
		var targets []target
		for i := range pubs {
			pub := &pubs[i]
			if pub.UUID == "" {
				pub.UUID = newEventUUID()
			}
			results[i].UUID = pub.UUID
			if pub.Recursive && len(targets) > 0 {
				// Recursion detection reads the outbox: write what this
				// batch has so far first.
				out, err := insertDeliveries(ctx, tx, s.d, targets, now)
				if err != nil {
					return err
				}
				created, targets = append(created, out...), targets[:0]
			}
			out, err := p.publish(ctx, tx, pub, st, now, opt)
			if err != nil {
				var me *model.Error
				if errors.As(err, &me) {
					errs[i] = err
					continue
				}
				return err
			}
			results[i].Deliveries = len(out)
			targets = append(targets, out...)
		}
		out, err := insertDeliveries(ctx, tx, s.d, targets, now)
		if err != nil {
			return err
		}
		created = append(created, out...)
		if err := s.d.notifyOutbox(ctx, tx, created); err != nil {
			return err
		}
		return p.keepSamples(ctx, tx, now)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return results, created, errs, nil
}

// newEventUUID makes a published event's UUID. It is a version 7 UUID,
// which starts with the time: events_uuid then grows at its end like the
// table, where random (version 4) UUIDs put each new entry on a random
// page of the index, and every one of those pages had to be written again
// at each commit.
func newEventUUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// deliveryInsertChunk is how many deliveries one INSERT writes.
const deliveryInsertChunk = 500

// fanout holds a batch's prepared statements and what it already read.
type fanout struct {
	insEvent      *sqlx.Stmt
	returning     bool              // insEvent returns the new ID (PostgreSQL)
	chains        map[int64][]int64 // group → self and ancestors, self first
	projectGroups map[int64]int64
	hooks         map[int64][]fanoutHook
	samples       map[sampleKey]int64 // the batch's newest event of each kind per project
	decided       BranchDecisions     // branch filters decided before the transaction
}

// sampleKey names a sample: a project's, or for group-level events
// (project, member, subgroup) a group's.
type sampleKey struct {
	project, group int64
	scope          string
}

// target is a delivery to create: an event (whose payload is size bytes)
// to a hook, due at due.
type target struct {
	event, hook, size int64
	due               time.Time
	owner             *string // leased to, or nil
}

func prepareFanout(ctx context.Context, tx *sqlx.Tx, d *dialect) (*fanout, error) {
	f := &fanout{chains: map[int64][]int64{}, hooks: map[int64][]fanoutHook{}, projectGroups: map[int64]int64{},
		samples: map[sampleKey]int64{}, returning: d.returning}
	returning := ""
	if d.returning {
		returning = " RETURNING id"
	}
	var err error
	if f.insEvent, err = tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO events
		(uuid, project_id, group_id, root_group_id, kind, trigger_scope, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+returning)); err != nil {
		return nil, err
	}
	return f, nil
}

// insertEvent stores one event and returns its ID.
func (f *fanout) insertEvent(ctx context.Context, args ...any) (int64, error) {
	if f.returning {
		var id int64
		err := f.insEvent.QueryRowxContext(ctx, args...).Scan(&id)
		return id, err
	}
	res, err := f.insEvent.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return firstInsertedID(res, 1)
}

func (f *fanout) close() {
	if f.insEvent != nil {
		f.insEvent.Close()
	}
}

// keepSamples records the batch's newest event of each kind per project
// (per group for group-level events) as the sample Test uses.
func (f *fanout) keepSamples(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	for _, table := range [...]struct{ name, owner string }{
		{"sample_events", "project_id"}, {"group_sample_events", "group_id"},
	} {
		var values []string
		var args []any
		flush := func() error {
			if len(values) == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO `+table.name+` (`+table.owner+`, trigger_scope, event_id, created_at)
				VALUES `+strings.Join(values, ", ")+`
				ON CONFLICT (`+table.owner+`, trigger_scope) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at`), args...)
			if err != nil {
				return fmt.Errorf("keep sample events: %w", err)
			}
			values, args = values[:0], args[:0]
			return nil
		}
		for k, eventID := range f.samples {
			owner := k.project
			if table.owner == "group_id" {
				owner = k.group
			}
			if owner == 0 {
				continue
			}
			values = append(values, "(?, ?, ?, ?)")
			args = append(args, owner, k.scope, eventID, now)
			if len(values) == deliveryInsertChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

// chain returns a group's ID and its ancestors' IDs, the group first.
func (f *fanout) chain(ctx context.Context, tx *sqlx.Tx, groupID int64) ([]int64, error) {
	if c, ok := f.chains[groupID]; ok {
		return c, nil
	}
	var c []int64
	err := tx.SelectContext(ctx, &c, tx.Rebind(`WITH RECURSIVE up(id, depth) AS (
			SELECT id, 0 FROM groups WHERE id = ?
			UNION ALL SELECT groups.parent_id, up.depth + 1 FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT id FROM up ORDER BY depth`), groupID)
	if err != nil {
		return nil, fmt.Errorf("group chain: %w", err)
	}
	if len(c) == 0 {
		return nil, errGroupNotFound
	}
	f.chains[groupID] = c
	return c, nil
}

// candidates returns the hooks an event of the project (or group) may fan
// out to, without secrets.
func (f *fanout) candidates(ctx context.Context, tx *sqlx.Tx, projectID int64, chain []int64) ([]fanoutHook, error) {
	key := projectID
	if key == 0 {
		key = -chain[0]
	}
	if h, ok := f.hooks[key]; ok {
		return h, nil
	}
	q, args, err := sqlx.In(`SELECT id, kind, events, push_events_branch_filter, branch_filter_strategy, recent_failures, disabled_until,
			custom_webhook_template
		FROM hooks WHERE project_id = ? OR group_id IN (?) OR kind = 'SystemHook' ORDER BY id`, projectID, chain)
	if err != nil {
		return nil, err
	}
	var hooks []fanoutHook
	if err := tx.SelectContext(ctx, &hooks, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("fan-out hooks: %w", err)
	}
	f.hooks[key] = hooks
	return hooks, nil
}

// publish stores a publication's events and returns the deliveries to
// create for them.
func (f *fanout) publish(ctx context.Context, tx *sqlx.Tx, pub *Publication, st model.Settings, now time.Time, opt PublishOptions) ([]target, error) {
	groupID := pub.GroupID
	if pub.ProjectID != 0 {
		var ok bool
		if groupID, ok = f.projectGroups[pub.ProjectID]; !ok {
			if err := tx.GetContext(ctx, &groupID, tx.Rebind(`SELECT group_id FROM projects WHERE id = ?`), pub.ProjectID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return nil, errProjectNotFound
				}
				return nil, err
			}
			f.projectGroups[pub.ProjectID] = groupID
		}
	}
	chain, err := f.chain(ctx, tx, groupID)
	if err != nil {
		return nil, err
	}
	root := chain[len(chain)-1]
	hooks, err := f.candidates(ctx, tx, pub.ProjectID, chain)
	if err != nil {
		return nil, err
	}
	blocked, budget, err := recursionState(ctx, tx, *pub, now)
	if err != nil {
		return nil, err
	}
	var projectID, evGroupID *int64
	if pub.ProjectID != 0 {
		projectID = &pub.ProjectID
	} else {
		evGroupID = &groupID
	}
	var targets []target
	var payloadBytes int64
	for i := range pub.Events {
		ev := &pub.Events[i]
		scope := ev.Event.Trigger.Scope
		eventID, err := f.insertEvent(ctx, pub.UUID, projectID, evGroupID, root, ev.Event.Kind, scope,
			PackBlob(ev.Payload), now)
		if err != nil {
			return nil, fmt.Errorf("insert event: %w", err)
		}
		ev.EventID, ev.RootGroupID = eventID, &root
		if projectID != nil {
			f.samples[sampleKey{project: *projectID, scope: scope}] = eventID
		} else {
			f.samples[sampleKey{group: groupID, scope: scope}] = eventID
		}
		if !ev.FireHooks {
			continue
		}
		ref := ev.Event.Payload.String("ref")
		for _, fh := range hooks {
			h := fh.model()
			if !h.Events.HasScope(scope) || !h.Executable(now, st.AutoDisablingWebHooks) || !f.decided.allows(h, scope, ref) {
				continue
			}
			if pub.Recursive {
				if blocked[h.ID] || budget <= 0 {
					continue
				}
				blocked[h.ID] = true
				budget--
			}
			held := model.HeldBytes(fh.Template, int64(len(ev.Payload)))
			targets = append(targets, target{event: eventID, hook: h.ID, size: held, due: now})
			payloadBytes += held
		}
	}
	leased := false
	if len(targets) > 0 && opt.Admit != nil {
		ids := make([]int64, len(targets))
		for i, t := range targets {
			ids[i] = t.hook
		}
		leased = opt.Admit(ids, payloadBytes)
	}
	if leased {
		for i := range targets {
			targets[i].due, targets[i].owner = opt.LeaseUntil.UTC(), &opt.LeaseOwner
		}
	}
	return targets, nil
}

// insertDeliveries creates the outbox rows, many per statement.
func insertDeliveries(ctx context.Context, tx *sqlx.Tx, d *dialect, targets []target, now time.Time) ([]NewDelivery, error) {
	out := make([]NewDelivery, 0, len(targets))
	for start := 0; start < len(targets); start += deliveryInsertChunk {
		chunk := targets[start:min(start+deliveryInsertChunk, len(targets))]
		args := make([]any, 0, 7*len(chunk))
		values := make([]string, 0, len(chunk))
		keys := make([]string, len(chunk))
		for i, t := range chunk {
			keys[i] = uuid.NewString()
			args = append(args, t.event, t.hook, keys[i], t.size, t.due, t.owner, now)
			values = append(values, "(?, ?, ?, ?, ?, ?, ?)")
		}
		// One statement per chunk, so the outbox is written as fast as
		// events arrive. On SQLite without RETURNING, which costs more than
		// the insert: in the write transaction SQLite gives the rows of one
		// INSERT consecutive rowids ending at the last insert rowid
		// (sqlite.go, backend.go).
		ids, err := d.insertIDs(ctx, tx, `INSERT INTO deliveries
			(event_id, hook_id, idempotency_key, payload_size, available_at, lease_owner, created_at) VALUES `+strings.Join(values, ", "), args, len(chunk))
		if err != nil {
			return nil, fmt.Errorf("insert deliveries: %w", err)
		}
		for i, t := range chunk {
			out = append(out, NewDelivery{ID: ids[i], EventID: t.event, HookID: t.hook, IdempotencyKey: keys[i], Leased: t.owner != nil, Size: t.size})
		}
	}
	return out, nil
}

// recursionState returns the hooks already triggered under a recursive
// publication's UUID within the window, and how many more may fire.
func recursionState(ctx context.Context, tx *sqlx.Tx, pub Publication, now time.Time) (map[int64]bool, int, error) {
	seen := map[int64]bool{}
	if !pub.Recursive {
		return seen, RecursionMaxHooks, nil
	}
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT d.hook_id FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE e.uuid = ? AND e.created_at > ?
		UNION SELECT l.hook_id FROM hook_logs l JOIN events e ON e.id = l.event_id
			WHERE e.uuid = ? AND e.created_at > ?`), pub.UUID, now.Add(-RecursionWindow), pub.UUID, now.Add(-RecursionWindow))
	if err != nil {
		return nil, 0, fmt.Errorf("recursion check: %w", err)
	}
	for _, id := range ids {
		seen[id] = true
	}
	return seen, RecursionMaxHooks - len(ids), nil
}

// SampleEvent returns the newest published event of a trigger for a
// project, for Test. A group passes every project under it; the newest of
// them wins.
func (s *Store) SampleEvent(ctx context.Context, projectIDs []int64, scope string) (*DeliveryEvent, error) {
	return s.sampleEvent(ctx, "sample_events", "project_id", projectIDs, scope)
}

// GroupSampleEvent returns the newest group-level event of the trigger
// scope published for any of the groups (Test of a group hook's project
// events).
func (s *Store) GroupSampleEvent(ctx context.Context, groupIDs []int64, scope string) (*DeliveryEvent, error) {
	return s.sampleEvent(ctx, "group_sample_events", "group_id", groupIDs, scope)
}

// sampleEvent reads the newest sample of scope kept in table for any of the
// owners (projects or groups, by column).
func (s *Store) sampleEvent(ctx context.Context, table, column string, owners []int64, scope string) (*DeliveryEvent, error) {
	notFound := model.NotFound("Sample event")
	if len(owners) == 0 {
		return nil, notFound
	}
	q, args, err := sqlx.In(`SELECT e.id, e.uuid, e.project_id, e.root_group_id, e.trigger_scope, e.payload
		FROM `+table+` s JOIN events e ON e.id = s.event_id
		WHERE s.`+column+` IN (?) AND s.trigger_scope = ? ORDER BY s.created_at DESC, s.event_id DESC LIMIT 1`, owners, scope)
	if err != nil {
		return nil, err
	}
	var ev DeliveryEvent
	if err := s.get(ctx, &ev, notFound, q, args...); err != nil {
		return nil, err
	}
	return &ev, nil
}
