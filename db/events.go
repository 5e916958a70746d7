package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// PublishEvent is one event of a publication, already prepared for
// sending: Payload is what receivers get, LoggedPayload what logs show.
type PublishEvent struct {
	Event         *model.Event
	Payload       []byte
	LoggedPayload []byte
	// FireHooks is false when the push limit keeps this event's hooks
	// from firing (SPEC §4.1); the event is still recorded as a sample.
	FireHooks bool
}

// Publication is what one publish request stores: every event under one
// X-Gitlab-Event-UUID, for a project or for a group.
type Publication struct {
	UUID string
	// Recursive says UUID came from the publishing request's own
	// X-Gitlab-Event-UUID, so recursion detection applies (SPEC §4.5).
	Recursive bool
	ProjectID int64 // project events
	GroupID   int64 // group-level events (member, project, subgroup)
	Events    []PublishEvent
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
}

func (f fanoutHook) model() model.Hook {
	return model.Hook{ID: f.ID, Kind: f.Kind, Events: model.TriggerSet(f.Events),
		PushEventsBranchFilter: f.PushEventsBranchFilter, BranchFilterStrategy: model.BranchFilterStrategy(f.BranchFilterStrategy),
		RecentFailures: f.RecentFailures, DisabledUntil: f.DisabledUntil}
}

// Publish stores a publication and one pending delivery per matching hook
// in one transaction (the outbox): when it returns nil, nothing of it can
// be lost. Fan-out (SPEC §4.1): the project's hooks, the hooks of its group
// and every ancestor group, and system hooks for system triggers; a hook
// fires when it has the trigger, is executable, and (push only) its branch
// filter allows the branch.
func (s *Store) Publish(ctx context.Context, pub Publication) (PublishResult, error) {
	if pub.UUID == "" {
		pub.UUID = uuid.NewString()
	}
	res := PublishResult{UUID: pub.UUID}
	st, err := s.Settings(ctx)
	if err != nil {
		return res, err
	}
	now := s.Now()
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		groupID := pub.GroupID
		if pub.ProjectID != 0 {
			if err := tx.GetContext(ctx, &groupID, tx.Rebind(`SELECT group_id FROM projects WHERE id = ?`), pub.ProjectID); err != nil {
				return errProjectNotFound
			}
		}
		chain := []int64{}
		err := tx.SelectContext(ctx, &chain, tx.Rebind(`WITH RECURSIVE up(id, depth) AS (
				SELECT id, 0 FROM groups WHERE id = ?
				UNION ALL SELECT groups.parent_id, up.depth + 1 FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
			SELECT id FROM up ORDER BY depth`), groupID)
		if err != nil {
			return fmt.Errorf("group chain: %w", err)
		}
		if len(chain) == 0 {
			return errGroupNotFound
		}
		root := chain[len(chain)-1]

		q, args, err := sqlx.In(`SELECT id, kind, events, push_events_branch_filter, branch_filter_strategy, recent_failures, disabled_until
			FROM hooks WHERE project_id = ? OR group_id IN (?) OR kind = 'SystemHook' ORDER BY id`, pub.ProjectID, chain)
		if err != nil {
			return err
		}
		var hooks []fanoutHook
		if err := tx.SelectContext(ctx, &hooks, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("fan-out hooks: %w", err)
		}

		blocked, budget, err := recursionState(ctx, tx, pub, now)
		if err != nil {
			return err
		}

		insEvent, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO events
			(uuid, project_id, group_id, root_group_id, kind, trigger_scope, payload, logged_payload, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer insEvent.Close()
		insDelivery, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO deliveries
			(event_id, hook_id, idempotency_key, available_at, created_at) VALUES (?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer insDelivery.Close()

		var projectID, evGroupID *int64
		if pub.ProjectID != 0 {
			projectID = &pub.ProjectID
		} else {
			evGroupID = &groupID
		}
		for _, ev := range pub.Events {
			var eventID int64
			scope := ev.Event.Trigger.Scope
			if err := insEvent.QueryRowxContext(ctx, pub.UUID, projectID, evGroupID, root, ev.Event.Kind, scope,
				ev.Payload, ev.LoggedPayload, now).Scan(&eventID); err != nil {
				return fmt.Errorf("insert event: %w", err)
			}
			if projectID != nil {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sample_events (project_id, trigger_scope, payload, created_at)
					VALUES (?, ?, ?, ?) ON CONFLICT (project_id, trigger_scope) DO UPDATE SET payload = excluded.payload, created_at = excluded.created_at`),
					*projectID, scope, ev.Payload, now); err != nil {
					return fmt.Errorf("keep sample event: %w", err)
				}
			}
			if !ev.FireHooks {
				continue
			}
			ref := ev.Event.Payload.String("ref")
			for _, fh := range hooks {
				h := fh.model()
				if !h.Events.HasScope(scope) || !h.Executable(now, st.AutoDisablingWebHooks) || !h.AllowsEvent(scope, ref) {
					continue
				}
				if pub.Recursive {
					if blocked[h.ID] || budget <= 0 {
						continue
					}
					blocked[h.ID] = true
					budget--
				}
				if _, err := insDelivery.ExecContext(ctx, eventID, h.ID, uuid.NewString(), now, now); err != nil {
					return fmt.Errorf("insert delivery: %w", err)
				}
				res.Deliveries++
			}
		}
		return nil
	})
	return res, err
}

// recursionState returns the hooks already triggered under a recursive
// publication's UUID within the window, and how many more may fire.
func recursionState(ctx context.Context, tx *sqlx.Tx, pub Publication, now time.Time) (map[int64]bool, int, error) {
	seen := map[int64]bool{}
	if !pub.Recursive {
		return seen, RecursionMaxHooks, nil
	}
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT DISTINCT d.hook_id FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE e.uuid = ? AND e.created_at > ?`), pub.UUID, now.Add(-RecursionWindow))
	if err != nil {
		return nil, 0, fmt.Errorf("recursion check: %w", err)
	}
	for _, id := range ids {
		seen[id] = true
	}
	return seen, RecursionMaxHooks - len(ids), nil
}

// SampleEvent returns the newest published payload of a trigger for a
// project, for Test. A group passes every project under it; the newest of
// them wins.
func (s *Store) SampleEvent(ctx context.Context, projectIDs []int64, scope string) ([]byte, error) {
	if len(projectIDs) == 0 {
		return nil, model.NotFound("Sample event")
	}
	q, args, err := sqlx.In(`SELECT payload FROM sample_events WHERE project_id IN (?) AND trigger_scope = ?
		ORDER BY created_at DESC LIMIT 1`, projectIDs, scope)
	if err != nil {
		return nil, err
	}
	var payload []byte
	return payload, s.get(ctx, &payload, model.NotFound("Sample event"), q, args...)
}
