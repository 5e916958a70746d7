package db

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hooklab/hooklab/model"
)

// Branch filters are decided before the publish transaction: every
// publisher of a group commit waits on that transaction, so matching a
// push's ref against regex filters inside it would let one tenant's hooks
// or events slow every other tenant's publishing. Regex filters are capped
// at model.MaxRegexFilterLength and compiled once per pattern; what is
// left — matching a ref of any length — happens here, on a reader.

// filterKey names one decision: a filter (strategy and pattern) and a ref.
type filterKey struct{ strategy, filter, ref string }

// BranchDecisions are branch filter decisions made before the publish
// transaction.
type BranchDecisions map[filterKey]bool

// needsDecision reports whether a hook's filter is more than a constant
// for an event: only push events with a non-blank wildcard or regex filter.
func needsDecision(h model.Hook, scope string) bool {
	f := h.PushEventsBranchFilter
	return scope == "push_hooks" && f != nil && *f != "" && h.BranchFilterStrategy != model.BranchFilterAllBranches
}

// allows is h.AllowsEvent, taken from the decisions made before the
// transaction when there is one. A hook whose filter changed in between
// is decided here, as before.
func (d BranchDecisions) allows(h model.Hook, scope, ref string) bool {
	if needsDecision(h, scope) {
		if ok, found := d[filterKey{string(h.BranchFilterStrategy), *h.PushEventsBranchFilter, ref}]; found {
			return ok
		}
	}
	return h.AllowsEvent(scope, ref)
}

// DecideBranchFilters decides the branch filters a publication's push
// events meet, on a reader, and keeps them in pub.Branches. A publisher
// that calls it before joining a group commit pays for its own refs and
// filters; PublishBatch decides those of publications without them for
// the whole batch.
func (s *Store) DecideBranchFilters(ctx context.Context, pub *Publication) error {
	d := BranchDecisions{}
	if err := s.decide(ctx, pub, d, map[int64][]fanoutHook{}); err != nil {
		return err
	}
	pub.Branches = d
	return nil
}

// decideBranchFilters gathers a batch's decisions: those its publications
// carry, and the others made now.
func (s *Store) decideBranchFilters(ctx context.Context, pubs []Publication) (BranchDecisions, error) {
	d := BranchDecisions{}
	filters := map[int64][]fanoutHook{}
	for i := range pubs {
		if pubs[i].Branches != nil {
			for k, v := range pubs[i].Branches {
				d[k] = v
			}
			continue
		}
		if err := s.decide(ctx, &pubs[i], d, filters); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// decide reads the branch filters of the hooks a publication's push events
// may fan out to (one query per project: its hooks, its groups' and the
// system hooks; filters caches them) and adds their decisions to d. Group
// events are never pushes.
func (s *Store) decide(ctx context.Context, pub *Publication, d BranchDecisions, filters map[int64][]fanoutHook) error {
	var refs []string
	for _, ev := range pub.Events {
		if ev.FireHooks && ev.Event.Trigger.Scope == "push_hooks" {
			refs = append(refs, ev.Event.Payload.String("ref"))
		}
	}
	if len(refs) == 0 || pub.ProjectID == 0 {
		return nil
	}
	hooks, ok := filters[pub.ProjectID]
	if !ok {
		var err error
		if hooks, err = s.projectFilters(ctx, pub.ProjectID); err != nil {
			return err
		}
		filters[pub.ProjectID] = hooks
	}
	for _, fh := range hooks {
		h := fh.model()
		if !h.Events.HasScope("push_hooks") {
			continue
		}
		for _, ref := range refs {
			k := filterKey{string(h.BranchFilterStrategy), *h.PushEventsBranchFilter, ref}
			if _, done := d[k]; !done {
				d[k] = h.AllowsEvent("push_hooks", ref)
			}
		}
	}
	return nil
}

// projectFilters returns the branch filters of the hooks a project's push
// may fan out to (its own, its groups' and the system hooks'), from
// memory when read less than filterTTL ago. A hook change through this
// store empties the cache at once. Reading them took a third of the
// server's CPU under a sustained publish load. A stale list never gives a
// wrong answer: a filter it lacks is decided in the publish transaction
// (BranchDecisions.allows), and one of a hook since changed or deleted is
// never asked for.
func (s *Store) projectFilters(ctx context.Context, projectID int64) ([]fanoutHook, error) {
	c := &s.filters
	c.mu.Lock()
	e, ok := c.entries[projectID]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.at) < filterTTL {
		return e.hooks, nil
	}
	var hooks []fanoutHook
	// No DISTINCT: its temporary B-tree cost 0.45 ms a publish (SQLite
	// keeps temporary tables in files), and a filter met twice is decided
	// once anyway.
	err := s.r.SelectContext(ctx, &hooks, s.r.Rebind(`WITH RECURSIVE up(id) AS (
			SELECT group_id FROM projects WHERE id = ?
			UNION ALL SELECT groups.parent_id FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT events, push_events_branch_filter, branch_filter_strategy FROM hooks
		WHERE (project_id = ? OR group_id IN (SELECT id FROM up) OR kind = 'SystemHook')
			AND push_events_branch_filter IS NOT NULL AND push_events_branch_filter <> ''
			AND branch_filter_strategy <> 'all_branches'`), projectID, projectID)
	if err != nil {
		return nil, fmt.Errorf("branch filters: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		if c.entries == nil || len(c.entries) >= filterCacheMax {
			c.entries = map[int64]filterEntry{}
		}
		c.entries[projectID] = filterEntry{hooks: hooks, at: time.Now()}
	}
	return hooks, nil
}

// filterTTL bounds how long a project's branch filters are served from
// memory (changes made by another process); filterCacheMax bounds how many
// projects are kept.
const (
	filterTTL      = time.Second
	filterCacheMax = 4096
)

// filterCache keeps recently read branch filters by project.
type filterCache struct {
	mu      sync.Mutex
	entries map[int64]filterEntry
	gen     uint64 // counts invalidations, like authCache
}

type filterEntry struct {
	hooks []fanoutHook
	at    time.Time
}

// forgetFilters empties the cache: a hook was created, changed or deleted.
func (s *Store) forgetFilters() {
	s.filters.mu.Lock()
	s.filters.entries = map[int64]filterEntry{}
	s.filters.gen++
	s.filters.mu.Unlock()
}
